"""Real-browser tests: fw's browser scripts in headless Chromium, under a strict CSP.

The pages are served from 127.0.0.1 with a Content-Security-Policy that
allows scripts from the page's own origin only (no 'unsafe-eval', no
'unsafe-inline'). The node test runners in tests/js/ are loaded into the
page as well, so that the browser computes its outcomes with the very
functions node uses, and the outcomes are compared by the rules of
tests/test_expressions_js.py and tests/test_validation_js.py. Without
Chromium, the browser classes are skipped with a message that says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import struct
import tempfile
import threading
import time
import unittest
from dataclasses import dataclass
from pathlib import Path

from fw.validation import TYPES, read, rules_for_form, rules_to_json, shared_source
from tests import test_expressions_js as expression_js
from tests import test_validation
from tests import test_validation_js as validation_js
from tests.browser import (
    Browser,
    BrowserTestCase,
    JavaScriptError,
    Site,
    WebSocket,
    _masked,
)

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "fw" / "client"
RUNNERS = ROOT / "tests" / "js"
SCRIPT = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
STRICT = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'"
    ),
}

#: Record every Content Security Policy violation the page reports.
WATCH_JS = """"use strict";
window.violations = [];
window.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push({directive: event.effectiveDirective,
    blocked: event.blockedURI, sample: event.sample});
}, true);
"""

#: Let a node runner load as a classic script: its module-level require()
#: calls get inert stand-ins, and its functions become page globals.
SHIM_JS = """"use strict";
globalThis.module = {exports: {}};
globalThis.__dirname = "/tests/js";
globalThis.require = (name) => ({
  fs: {}, vm: {},
  path: {resolve: (...parts) => parts.join("/"), join: (...parts) => parts.join("/")},
})[name];
"""

#: Run the expression vectors as run_expression_vectors.js's main() does.
EXPRESSIONS_JS = """"use strict";
(async () => {
  try {
    const shared = await (await fetch("/vectors.json")).json();
    const expressions = globalThis.fw.expressions;
    const functions = testFunctions(expressions);
    window.lines = shared.vectors.map((vector, index) =>
      lineFor(index, outcome(expressions, functions, vector)));
  } catch (error) {
    window.failure = String(error && error.stack || error);
  }
})();
"""

#: Run the validation input as run_validation_vectors.js's run() does.
VALIDATION_JS = """"use strict";
(async () => {
  try {
    const input = await (await fetch("/input.json")).json();
    const fw = globalThis.fw;
    window.output = JSON.stringify({
      cases: input.cases.map((item) => runCase(fw, item)),
      readings: input.readings.map((item) => runReading(fw, item)),
      patterns: input.patterns.map(
        ([source, text]) => new RegExp(source, "u").test(text)),
    });
  } catch (error) {
    window.failure = String(error && error.stack || error);
  }
})();
"""

#: Try what the policy forbids: an inline script and eval.
FORBIDDEN_JS = """"use strict";
try {
  window.evalResult = String(globalThis.eval("1 + 1"));
} catch (error) {
  window.evalResult = error.name;
}
"""

FORM_JS = """"use strict";
const field = document.querySelector("#name");
let clicks = 0;
field.addEventListener("input", () => {
  document.querySelector("#length").textContent = String(field.value.length);
});
document.querySelector("#go").addEventListener("click", () => {
  clicks += 1;
  document.querySelector("#out").textContent = `clicked ${clicks}: ${field.value}`;
});
"""

FORM_HTML = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>form</title>
<label>Name <input id="name" name="name"></label>
<button id="go" type="button">Go</button>
<p id="length">none</p><p id="out"></p>
<script src="/watch.js"></script><script src="/form.js"></script>
</html>
"""


def page_html(*scripts: str, inline: str = "") -> str:
    """Return a page that loads ``scripts`` in order, after the violation watch."""
    tags = "".join(f'<script src="{src}"></script>' for src in ("/watch.js", *scripts))
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>fw</title>'
        f"{tags}{inline}</html>"
    )


def script_file(path: Path) -> tuple[str, bytes]:
    """Return a route that serves the file ``path`` as JavaScript."""
    return (SCRIPT, path.read_bytes())


def validation_input() -> dict:
    """Return the input tests/test_validation_js.py gives the node runner."""
    cases = test_validation.load_vectors()
    patterns = [*test_validation.PatternTestCase.ACCEPTED,
                *validation_js._vector_patterns(cases)]
    return {
        "cases": [
            {"rules": json.loads(rules_to_json(rules_for_form(case["rules"]))),
             "input": case["input"]}
            for case in cases
        ],
        "readings": [[kind, text] for kind in TYPES for text in validation_js.STRINGS],
        "patterns": [[shared_source(pattern), text]
                     for pattern in patterns for text in validation_js.SAMPLES],
    }


@dataclass
class Run:
    """What a strict page computed, and what it logged and refused meanwhile."""

    value: object
    violations: list
    errors: list[str]


def run_strict(browser: Browser, routes: dict, name: str) -> Run:
    """Open ``routes["/"]`` under the strict policy; return ``window[name]``."""
    site = Site({"/watch.js": (SCRIPT, WATCH_JS), **routes}, headers=STRICT)
    page = browser.new_page()
    try:
        page.open(site.url("/"))
        page.wait_for(f"window.{name} !== undefined || window.failure")

        failure = page.evaluate("window.failure || null")
        if failure:
            raise AssertionError(f"The page script failed: {failure}")
        return Run(page.evaluate(f"window.{name}"),
                   page.evaluate("window.violations"), page.errors())
    finally:
        browser.close_page(page)
        site.close()


class PolicyTests(BrowserTestCase):
    """The policy is really enforced, and the harness sees when it refuses."""

    def test_inline_scripts_and_eval_are_refused_and_reported(self) -> None:
        site = self.serve({
            "/": (HTML, page_html("/forbidden.js",
                                  inline="<script>window.inline = 1;</script>")),
            "/watch.js": (SCRIPT, WATCH_JS),
            "/forbidden.js": (SCRIPT, FORBIDDEN_JS),
        }, headers=STRICT)

        self.page.open(site.url("/"))

        self.assertEqual(self.page.evaluate("window.evalResult"), "EvalError")
        self.assertIsNone(self.page.evaluate("window.inline ?? null"))
        directives = self.page.wait_for(
            "window.violations.length >= 2 && window.violations.map(v => v.directive)"
        )
        self.assertEqual(sorted(directives), ["script-src", "script-src-elem"])
        self.assertTrue(any("Content Security Policy" in text
                            for text in self.page.errors()))


class ExpressionTests(BrowserTestCase):
    """fw/client/expressions.js passes the shared vectors in Chromium."""

    @classmethod
    def setUpClass(cls) -> None:
        """Run every vector once, in a strict page, and keep the output lines."""
        super().setUpClass()
        text = (ROOT / "tests" / "vectors" / "expressions.json").read_bytes()
        cls.vectors = json.loads(text)["vectors"]
        cls.found = run_strict(cls.browser, {
            "/": (HTML, page_html("/shim.js", "/fw/client/expressions.js",
                                  "/tests/js/runner.js", "/run.js")),
            "/shim.js": (SCRIPT, SHIM_JS),
            "/fw/client/expressions.js": script_file(CLIENT / "expressions.js"),
            "/tests/js/runner.js": script_file(RUNNERS / "run_expression_vectors.js"),
            "/run.js": (SCRIPT, EXPRESSIONS_JS),
            "/vectors.json": (JSON, text),
        }, "lines")

        # NOTE: json.loads, like the node test, reads NaN and Infinity back.
        cls.outcomes = [json.loads(line) for line in cls.found.value]

    def test_every_vector_gives_what_it_expects(self) -> None:
        wanted = [expression_js.expected_outcome(vector) for vector in self.vectors]

        found = expression_js.mismatches(
            self.vectors, self.outcomes, wanted, "the vector expects"
        )

        self.assertGreaterEqual(len(self.vectors), 300)
        self.assertEqual(len(self.outcomes), len(self.vectors))
        self.assertEqual(found, [])

    def test_nothing_was_refused_by_the_policy(self) -> None:
        self.assertEqual(self.found.violations, [])
        self.assertEqual(self.found.errors, [])

    @unittest.skipIf(expression_js.NODE is None, expression_js.NO_NODE)
    def test_chromium_prints_what_node_prints(self) -> None:
        output = expression_js.run_node(str(RUNNERS / "run_expression_vectors.js"))

        node_lines = output.split("\n")[:-1]

        self.assertEqual([_comparable(line) for line in self.found.value],
                         [_comparable(line) for line in node_lines])


class ValidationTests(BrowserTestCase):
    """fw/client/validation.js gives Python's verdicts in Chromium."""

    @classmethod
    def setUpClass(cls) -> None:
        """Run the whole input once, in a strict page, and keep its output."""
        super().setUpClass()
        cls.cases = test_validation.load_vectors()
        cls.input = validation_input()
        cls.found = run_strict(cls.browser, {
            "/": (HTML, page_html(
                "/shim.js", "/fw/client/expressions.js", "/fw/client/validation.js",
                "/tests/js/runner.js", "/run.js",
            )),
            "/shim.js": (SCRIPT, SHIM_JS),
            "/fw/client/expressions.js": script_file(CLIENT / "expressions.js"),
            "/fw/client/validation.js": script_file(CLIENT / "validation.js"),
            "/tests/js/runner.js": script_file(RUNNERS / "run_validation_vectors.js"),
            "/run.js": (SCRIPT, VALIDATION_JS),
            "/input.json": (JSON, json.dumps(cls.input)),
        }, "output")

        cls.output = json.loads(cls.found.value)

    def test_every_case_gives_the_expected_errors_in_order(self) -> None:
        for case, found in zip(self.cases, self.output["cases"], strict=True):
            with self.subTest(case["name"]):
                self.assertNotIn("exception", found)
                self.assertEqual(list(found["errors"].items()),
                                 list(case["errors"].items()))

    def test_every_type_reads_every_string_as_python_does(self) -> None:
        readings = zip(self.input["readings"], self.output["readings"], strict=True)
        for (kind, text), found in readings:
            with self.subTest(kind=kind, text=text):
                mine = read(kind, text)

                self.assertEqual(found["ok"], mine.ok)
                self.assertEqual(found["text"], mine.text)
                self.assertEqual(validation_js._tag(found["value"]),
                                 validation_js._tag(mine.value))

    def test_shared_patterns_match_as_in_python(self) -> None:
        for (source, text), found in zip(self.input["patterns"],
                                         self.output["patterns"], strict=True):
            with self.subTest(source=source, text=text):
                self.assertEqual(found, re.fullmatch(source, text) is not None)

    def test_nothing_was_refused_by_the_policy(self) -> None:
        self.assertEqual(self.found.violations, [])
        self.assertEqual(self.found.errors, [])

    @unittest.skipIf(validation_js.NODE is None, validation_js.SKIP)
    def test_chromium_prints_what_node_prints(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "input.json"
            path.write_text(json.dumps(self.input), encoding="utf-8")

            output = expression_js.run_node(
                str(RUNNERS / "run_validation_vectors.js"), str(path)
            )

        self.assertEqual(json.loads(output), self.output)


class HarnessTests(BrowserTestCase):
    """Typing, clicking, reading the DOM, screenshots and what the page logs."""

    def setUp(self) -> None:
        """Open the form page under the strict policy."""
        super().setUp()
        site = self.serve({
            "/": (HTML, FORM_HTML),
            "/watch.js": (SCRIPT, WATCH_JS),
            "/form.js": (SCRIPT, FORM_JS),
        }, headers=STRICT)

        self.page.open(site.url("/"))

    def test_typing_fires_input_events_that_the_page_shows(self) -> None:
        self.page.type_into("#name", "héllo")
        first = self.page.text_of("#length")
        self.page.type_into("#name", " 😀")

        self.assertEqual(first, "5")
        self.assertEqual(self.page.text_of("#length"), "8")
        self.assertEqual(self.page.evaluate("document.activeElement.id"), "name")

    def test_clicking_runs_the_page_handlers(self) -> None:
        self.page.type_into("#name", "Ada")
        self.page.click("#go")
        self.page.click("#go")

        self.assertEqual(self.page.text_of("#out"), "clicked 2: Ada")
        self.assertEqual(self.page.errors(), [])

    def test_missing_elements_are_named(self) -> None:
        with self.assertRaisesRegex(JavaScriptError, "No element matches #nothing"):
            self.page.text_of("#nothing")

    def test_evaluate_awaits_promises_and_reports_throws(self) -> None:
        value = self.page.evaluate("new Promise((done) => done({a: [1, 'b']}))")

        self.assertEqual(value, {"a": [1, "b"]})
        with self.assertRaisesRegex(JavaScriptError, "RangeError: too far"):
            self.page.evaluate("(() => { throw new RangeError('too far'); })()")

    def test_console_calls_and_uncaught_errors_are_kept(self) -> None:
        self.page.evaluate(
            "console.log('one', 2); console.error('bad');"
            "document.querySelector('#go').addEventListener('click',"
            " () => { throw new TypeError('in handler'); });"
        )
        self.page.click("#go")

        self.page.session.wait_for_event("Runtime.exceptionThrown")
        self.assertIn({"level": "log", "text": "one 2", "source": "console"},
                      self.page.console)
        self.assertEqual(self.page.errors()[0], "bad")
        self.assertIn("TypeError: in handler", self.page.errors()[1])

    def test_screenshots_are_png_files_of_the_viewport(self) -> None:
        width = self.page.evaluate("window.innerWidth * window.devicePixelRatio")
        with tempfile.TemporaryDirectory() as folder:
            data = self.page.screenshot(Path(folder) / "form.png").read_bytes()

        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(data[12:16], b"IHDR")
        self.assertEqual(struct.unpack("!I", data[16:20])[0], width)


class WebSocketTests(unittest.TestCase):
    """The WebSocket client against a scripted server on 127.0.0.1."""

    BIG = "x" * 70_000

    def serve_once(self) -> None:
        """Answer the handshake, send frames, then read what the client sent."""
        connection, _ = self.listener.accept()
        with connection:
            stream = connection.makefile("rb")
            connection.sendall(_accept(stream))
            connection.sendall(
                _frame(0x9, b"are you there", final=True)
                + _frame(0x1, "hé".encode(), final=False)
                + _frame(0x0, "llo".encode(), final=True)
                + _frame(0x1, self.BIG.encode(), final=True)
            )

            for _ in range(3):
                self.received.append(_read_masked(stream))

    def test_fragments_pings_and_long_frames(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(self.listener.close)
        self.received: list[tuple[int, bytes]] = []
        self.server = threading.Thread(target=self.serve_once, daemon=True)
        self.server.start()
        port = self.listener.getsockname()[1]
        client = WebSocket(f"ws://127.0.0.1:{port}/devtools/x")
        deadline = time.monotonic() + 10

        messages = [client.receive(deadline), client.receive(deadline)]
        client.send("ü" * 200)
        client.close()
        self.server.join(10)

        self.assertEqual(messages, ["héllo", self.BIG])
        self.assertEqual(self.received, [(0xA, b"are you there"),
                                         (0x1, ("ü" * 200).encode()),
                                         (0x8, struct.pack("!H", 1000))])

    def test_masking_is_its_own_inverse(self) -> None:
        payload = bytes(range(256)) * 3 + b"odd"

        masked = _masked(payload, b"\x01\x80\xff\x10")

        self.assertNotEqual(masked, payload)
        self.assertEqual(_masked(masked, b"\x01\x80\xff\x10"), payload)
        self.assertEqual(_masked(b"", b"abcd"), b"")


def _comparable(line: str) -> str:
    """Return an outcome line without the wording of a native exception.

    V8's own messages may change between node's and Chromium's versions;
    the kind of exception must not.
    """
    outcome = json.loads(line)
    if "exception" in outcome:
        outcome["exception"] = outcome["exception"].split(":", 1)[0]
    return json.dumps(outcome, sort_keys=True)


def _accept(stream) -> bytes:
    """Read a client handshake from ``stream``; return the 101 answer."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += stream.readline()
    key = re.search(rb"Sec-WebSocket-Key: (\S+)", head).group(1)
    digest = hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + base64.b64encode(digest) + b"\r\n\r\n")


def _frame(opcode: int, payload: bytes, *, final: bool) -> bytes:
    """Return an unmasked server frame."""
    first = (0x80 if final else 0) | opcode
    if len(payload) < 126:
        return struct.pack("!BB", first, len(payload)) + payload
    if len(payload) < 1 << 16:
        return struct.pack("!BBH", first, 126, len(payload)) + payload
    return struct.pack("!BBQ", first, 127, len(payload)) + payload


def _read_masked(stream) -> tuple[int, bytes]:
    """Read one client frame, checking that it is masked; return opcode and data."""
    first, second = stream.read(2)
    assert second & 0x80, "client frames must be masked"
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", stream.read(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", stream.read(8))
    mask = stream.read(4)
    return first & 0x0F, _masked(stream.read(size), mask)


if __name__ == "__main__":
    unittest.main()
