"""Drive headless Chromium from tests, with the standard library alone.

The harness starts Debian's Chromium (``apt-get install -y chromium``) with
a fresh profile, talks to it over the DevTools protocol through a small
WebSocket client written here, and serves test pages from 127.0.0.1::

    class FormTests(BrowserTestCase):
        def test_length_is_shown(self) -> None:
            site = self.serve({"/": ("text/html", PAGE), "/page.js": ...},
                              headers={"Content-Security-Policy": "..."})
            page = self.page

            page.open(site.url("/"))
            page.type_into("#name", "Ada")
            page.click("button")

            self.assertEqual(page.text_of("#out"), "3")

``BrowserTestCase`` runs one Chromium per test class and opens a new tab
the first time a test uses ``self.page``; ``self.serve`` serves fixed
responses (path to content type and body) until the test ends. Without
Chromium every test of the class is skipped with a message that says how
to install it; set ``FW_CHROMIUM`` to use another binary.

A ``Page`` can:

- ``open(url)``: navigate and return once the load event has fired;
- ``evaluate(js)``: return the JSON value of an expression, awaiting
  promises; a throw becomes ``JavaScriptError``;
- ``wait_for(js)``: poll an expression until it is truthy, up to a deadline;
- ``type_into(selector, text)``: focus and type (real ``input`` events),
  ``click(selector)``: press the mouse on the element's middle,
  ``text_of(selector)``: read its text;
- ``screenshot(path)``: write the viewport as a PNG file;
- keep what the page logged: ``console`` (console calls and browser log
  entries, such as Content Security Policy violations), ``exceptions``
  (uncaught errors), and ``errors()`` for the error-level ones of both.

Outside a test case, ``Browser(find_chromium())`` and ``Site(routes)`` are
used directly; close both when done. Every wait is bounded by a deadline
and ends as soon as its condition holds.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import http.server
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-proxy-server",
    "--remote-debugging-port=0",
)
NO_CHROMIUM = (
    "Chromium is not installed, so the real-browser tests are skipped; install "
    "it with `apt-get install -y chromium` (CI does) or set FW_CHROMIUM to a "
    "Chromium or Chrome binary."
)
START_SECONDS = 30
WAIT_SECONDS = 15
POLL_SECONDS = 0.02
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# NOTE: no proxy from the environment may stand between a test and 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BrowserError(Exception):
    """Report that Chromium, the protocol or a page did not do what was asked."""


class JavaScriptError(BrowserError):
    """Report an exception thrown by JavaScript evaluated in a page."""


def find_chromium() -> str | None:
    """Return the Chromium binary to run, or None when there is none."""
    chosen = os.environ.get("FW_CHROMIUM")
    if chosen:
        return shutil.which(chosen)

    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class WebSocket:
    """Speak the client side of RFC 6455 over one TCP connection (text only)."""

    def __init__(self, url: str, *, timeout: float = WAIT_SECONDS) -> None:
        """Connect to a ``ws://host:port/path`` URL and complete the handshake."""
        host, _, rest = url.removeprefix("ws://").partition("/")
        address, _, port = host.rpartition(":")
        self._socket = socket.create_connection((address, int(port)), timeout)
        self._buffer = b""

        self._handshake(host, "/" + rest)

    def _handshake(self, host: str, path: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self._socket.sendall(request.encode("ascii"))

        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        digest = hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest()
        accept = base64.b64encode(digest).decode("ascii")
        if " 101 " not in head.split("\r\n", 1)[0] or accept not in head:
            raise BrowserError(
                f"The WebSocket handshake with {host}{path} failed: the answer "
                f"began {head[:200]!r} instead of a 101 with the expected key."
            )

    def send(self, text: str) -> None:
        """Send ``text`` as one masked text frame, as clients must."""
        payload = text.encode("utf-8")
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, size)

        mask = os.urandom(4)
        self._socket.sendall(head + mask + _masked(payload, mask))

    def receive(self, deadline: float) -> str:
        """Return the next text message, joining fragments and answering pings."""
        parts: list[bytes] = []
        while True:
            final, opcode, payload = self._read_frame(deadline)
            if opcode == 0x9:
                self._send_control(0xA, payload)
            elif opcode == 0x8:
                raise BrowserError("Chromium closed the DevTools connection.")
            elif opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if final:
                    return b"".join(parts).decode("utf-8")

    def close(self) -> None:
        """Send a close frame, then close the connection."""
        try:
            self._send_control(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self._socket.close()

    def _send_control(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload))
        self._socket.sendall(head + mask + _masked(payload, mask))

    def _read_frame(self, deadline: float) -> tuple[bool, int, bytes]:
        first, second = self._read_exactly(2, deadline)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._read_exactly(2, deadline))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._read_exactly(8, deadline))

        mask = self._read_exactly(4, deadline) if second & 0x80 else b""
        payload = self._read_exactly(size, deadline)
        if mask:
            payload = _masked(payload, mask)
        return bool(first & 0x80), first & 0x0F, payload

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk

    def _read_until(self, marker: bytes) -> bytes:
        deadline = time.monotonic() + WAIT_SECONDS
        while marker not in self._buffer:
            self._fill(deadline)
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("Chromium sent nothing before the deadline.")
        self._socket.settimeout(left)
        chunk = self._socket.recv(1 << 16)
        if not chunk:
            raise BrowserError("Chromium closed the DevTools connection.")
        self._buffer += chunk


def _masked(payload: bytes, mask: bytes) -> bytes:
    """Return ``payload`` XORed with the repeated four-byte ``mask``."""
    size = len(payload)
    keys = (mask * (size // 4 + 1))[:size]
    mixed = int.from_bytes(payload, "big") ^ int.from_bytes(keys, "big")
    return mixed.to_bytes(size, "big")


class Session:
    """Send DevTools commands over one WebSocket and keep the events that arrive."""

    def __init__(self, url: str) -> None:
        """Connect to the DevTools endpoint ``url``."""
        self._socket = WebSocket(url)
        self._next_id = 0
        self.events: list[dict] = []
        self.listeners: list[Callable[[dict], None]] = []

    def call(self, method: str, params: Mapping[str, Any] | None = None, *,
             timeout: float = WAIT_SECONDS) -> dict:
        """Run ``method`` with ``params`` and return its result."""
        self._next_id += 1
        wanted = self._next_id
        self._socket.send(json.dumps(
            {"id": wanted, "method": method, "params": dict(params or {})}
        ))

        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                break
        if "error" in message:
            raise BrowserError(f"DevTools refused {method}: {message['error']}.")
        return message.get("result", {})

    def wait_for_event(self, method: str, *, since: int = 0,
                       timeout: float = WAIT_SECONDS) -> dict:
        """Return the first ``method`` event at or after index ``since``."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[since:]:
                if event["method"] == method:
                    return event
            since = len(self.events)
            self._read(deadline)

    def close(self) -> None:
        """Close the connection."""
        self._socket.close()

    def _read(self, deadline: float) -> dict:
        message = json.loads(self._socket.receive(deadline))
        if "method" in message:
            self.events.append(message)
            for listener in self.listeners:
                listener(message)
        return message


@dataclass
class Page:
    """One browser tab: open URLs, run scripts, type, click and look."""

    session: Session
    target_id: str
    console: list[dict] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Listen for console output and errors, then enable the domains."""
        self.session.listeners.append(self._record)

        for domain in ("Page", "Runtime", "Log"):
            self.session.call(f"{domain}.enable")

    def open(self, url: str, *, timeout: float = WAIT_SECONDS) -> None:
        """Navigate to ``url`` and return once its load event has fired."""
        since = len(self.session.events)
        result = self.session.call("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise BrowserError(f"Chromium could not open {url}: {result['errorText']}.")

        self.session.wait_for_event("Page.loadEventFired", since=since,
                                    timeout=timeout)

    def evaluate(self, expression: str, *, timeout: float = WAIT_SECONDS) -> Any:
        """Return the JSON value of ``expression``, awaiting it if it is a promise."""
        params = {"expression": expression, "returnByValue": True,
                  "awaitPromise": True, "userGesture": True}
        result = self.session.call("Runtime.evaluate", params, timeout=timeout)

        details = result.get("exceptionDetails")
        if details:
            raise JavaScriptError(
                f"The page threw while evaluating {expression[:80]!r}: "
                f"{_exception_text(details)}."
            )
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = WAIT_SECONDS) -> Any:
        """Return the value of ``expression`` once it is truthy, polling until then."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression, timeout=timeout)
            except JavaScriptError as error:
                # NOTE: a page between two documents throws; try again.
                value = error
            if value and not isinstance(value, JavaScriptError):
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{expression!r} was still {value!r} after {timeout} seconds."
                )
            time.sleep(POLL_SECONDS)

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element ``selector`` and type ``text`` as a keyboard would."""
        self.evaluate(f"{_element(selector)}.focus()")

        self.session.call("Input.insertText", {"text": text})

    def click(self, selector: str) -> None:
        """Press and release the left mouse button on the middle of ``selector``."""
        x, y = self.evaluate(
            f"(() => {{ const e = {_element(selector)}; e.scrollIntoView();"
            " const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )

        for kind in ("mousePressed", "mouseReleased"):
            self.session.call("Input.dispatchMouseEvent", {
                "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1,
            })

    def text_of(self, selector: str) -> str:
        """Return the text content of the element ``selector``."""
        return self.evaluate(f"{_element(selector)}.textContent")

    def screenshot(self, path: Path) -> Path:
        """Capture the visible page as a PNG file at ``path``; return the path."""
        result = self.session.call("Page.captureScreenshot", {"format": "png"})

        path.write_bytes(base64.b64decode(result["data"]))
        return path

    def errors(self) -> list[str]:
        """Return the console errors, browser errors and uncaught exceptions."""
        logged = [entry["text"] for entry in self.console
                  if entry["level"] == "error"]
        return logged + self.exceptions

    def _record(self, event: dict) -> None:
        method, params = event["method"], event["params"]
        if method == "Runtime.consoleAPICalled":
            text = " ".join(_remote_text(arg) for arg in params["args"])
            level = "error" if params["type"] in ("error", "assert") else params["type"]
            self.console.append({"level": level, "text": text, "source": "console"})
        elif method == "Log.entryAdded":
            entry = params["entry"]
            self.console.append({"level": entry["level"], "text": entry["text"],
                                 "source": entry["source"]})
        elif method == "Runtime.exceptionThrown":
            self.exceptions.append(_exception_text(params["exceptionDetails"]))


def _element(selector: str) -> str:
    """Return JavaScript that finds ``selector`` or throws a readable error."""
    quoted = json.dumps(selector)
    return (
        f"(document.querySelector({quoted}) || (() => {{ throw new Error("
        f"'No element matches ' + {quoted} + '.'); }})())"
    )


def _exception_text(details: dict) -> str:
    thrown = details.get("exception", {})
    return thrown.get("description") or details.get("text", "unknown error")


def _remote_text(value: dict) -> str:
    if "value" in value:
        return str(value["value"])
    return value.get("description", value.get("type", ""))


class Browser:
    """One headless Chromium with a fresh profile, reached over DevTools."""

    def __init__(self, binary: str) -> None:
        """Start ``binary`` and connect to its DevTools endpoint."""
        self._profile = tempfile.TemporaryDirectory(
            prefix="fw-chromium-", ignore_cleanup_errors=True
        )
        profile = Path(self._profile.name)
        self._log = open(profile.parent / (profile.name + ".log"), "wb")
        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            start_new_session=True,
        )

        atexit.register(self.close)
        try:
            self.port, path = self._active_port(profile / "DevToolsActivePort")
            self.session = Session(f"ws://127.0.0.1:{self.port}{path}")
        except BaseException:
            self.close()
            raise

    def new_page(self) -> Page:
        """Open a new blank tab and return it."""
        created = self.session.call("Target.createTarget", {"url": "about:blank"})
        target = created["targetId"]

        url = f"ws://127.0.0.1:{self.port}/devtools/page/{target}"
        return Page(Session(url), target)

    def close_page(self, page: Page) -> None:
        """Close the tab ``page``."""
        page.session.close()

        self.session.call("Target.closeTarget", {"targetId": page.target_id})

    def close(self) -> None:
        """Stop Chromium and every process it started, then remove the profile."""
        atexit.unregister(self.close)
        if self._log.closed:
            return

        if getattr(self, "session", None) is not None:
            self._ask_to_close()
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

        self._kill_group()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
        self._profile.cleanup()

    def _active_port(self, path: Path) -> tuple[int, str]:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self._process.poll() is None:
            lines = path.read_text().split("\n") if path.exists() else []
            if len(lines) >= 2 and lines[1]:
                return int(lines[0]), lines[1]
            time.sleep(POLL_SECONDS)

        raise BrowserError(
            f"Chromium did not open its DevTools port within {START_SECONDS} "
            f"seconds (exit status {self._process.poll()}); its log is:\n"
            f"{self._log_tail()}"
        )

    def _ask_to_close(self) -> None:
        try:
            self.session.call("Browser.close", timeout=5)
        except (BrowserError, OSError):
            pass
        self.session.close()

    def _kill_group(self) -> None:
        # NOTE: the binary is a wrapper script and Chromium forks helpers; they
        # all share the new session started for it, and only they do.
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _log_tail(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-2000:]


class Site:
    """Serve fixed responses from 127.0.0.1 on a free port, in a thread."""

    def __init__(self, routes: Mapping[str, tuple[str, bytes | str]], *,
                 headers: Mapping[str, str] | None = None) -> None:
        """Serve ``routes`` (path to content type and body) with ``headers``."""
        self.routes = {path: (kind, body.encode("utf-8") if isinstance(body, str)
                              else body) for path, (kind, body) in routes.items()}
        self.headers = dict(headers or {})
        self.requests: list[str] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.site = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        args=(POLL_SECONDS,), daemon=True)

        self._thread.start()

    def url(self, path: str = "/") -> str:
        """Return the absolute URL of ``path`` on this site."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answer GET requests from the routes of the ``Site`` that owns the server."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        site = self.server.site  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        site.requests.append(path)
        if path not in site.routes:
            # NOTE: browsers ask for an icon unasked; a 404 would log an error.
            self.send_error(204 if path == "/favicon.ico" else 404)
            return

        kind, body = site.routes[path]
        self.send_response(200)
        for name, value in [("Content-Type", kind), *site.headers.items()]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep the test output quiet."""


class BrowserTestCase(unittest.TestCase):
    """Share one Chromium per class and open a fresh tab for every test."""

    browser: Browser

    @classmethod
    def setUpClass(cls) -> None:
        """Start Chromium, or skip the class when it is not installed."""
        super().setUpClass()
        binary = find_chromium()
        if binary is None:
            raise unittest.SkipTest(NO_CHROMIUM)

        cls.browser = Browser(binary)
        # NOTE: a class cleanup also runs when the rest of a subclass's
        # setUpClass fails, which tearDownClass would not.
        cls.addClassCleanup(cls.browser.close)

    @property
    def page(self) -> Page:
        """Return this test's tab, opened on first use and closed when it ends."""
        if "_page" not in self.__dict__:
            self._page = self.browser.new_page()
            self.addCleanup(self.browser.close_page, self._page)
        return self._page

    def serve(self, routes: Mapping[str, tuple[str, bytes | str]], *,
              headers: Mapping[str, str] | None = None) -> Site:
        """Serve ``routes`` on 127.0.0.1 until the test ends; return the site."""
        site = Site(routes, headers=headers)
        self.addCleanup(site.close)
        return site
