"""Tests for fw.errors: records, the file store, the pages and the command line."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import multiprocessing
import os
import stat
import sys
import tempfile
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

from fw.errors import (
    capture,
    list_errors,
    load_error,
    prune,
    render_developer_page,
    render_plain_page,
    run_command,
    store,
)
from fw.errors import record as record_module
from fw.errors.record import frame_kind, is_error_id, new_error_id
from fw.exceptions import ErrorStoreError

from .support import run_as_nobody

ENVIRON = {
    "REQUEST_METHOD": "POST",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/orders/<b>42</b>",
    "QUERY_STRING": "page=2&password=hunter2&api_key=k3y&csrf_token=c5rf",
    "REMOTE_ADDR": "203.0.113.7",
    "CONTENT_TYPE": "application/x-www-form-urlencoded",
    "HTTP_HOST": "shop.example",
    "HTTP_COOKIE": "sid=cookie-secret",
    "HTTP_AUTHORIZATION": "Bearer auth-secret",
    "HTTP_PROXY_AUTHORIZATION": "Basic proxy-secret",
    "HTTP_X_SESSION_ID": "session-secret",
    "HTTP_USER_AGENT": 'agent <i>"quoted"</i>',
    "wsgi.url_scheme": "https",
}
SECRETS = (
    "hunter2",
    "k3y",
    "c5rf",
    "cookie-secret",
    "auth-secret",
    "proxy-secret",
    "session-secret",
    "form-secret",
)
LAYERS = [("app", "/srv/app"), ("fw", "/usr/lib/fw/base")]


class LookupFailed(Exception):
    """A stand-in application exception."""


def fail_lookup(key: str) -> None:
    """Raise a KeyError turned into LookupFailed, as application code would."""
    try:
        {}[key]
    except KeyError as exc:
        raise LookupFailed(f"No order <script>alert('{key}')</script>.") from exc


def caught(function, *args) -> BaseException:
    """Call a function that raises and return what it raised."""
    try:
        function(*args)
    except BaseException as exc:
        return exc
    raise AssertionError(f"{function.__name__} did not raise.")


def stored_record(folder: Path, *, days_ago: float, message: str = "boom") -> dict:
    """Store a record of a ValueError dated some days ago and return it."""
    moment = datetime.now(timezone.utc) - timedelta(days=days_ago)
    record = capture(ValueError(message), environ={"REQUEST_METHOD": "GET"})
    record["id"] = new_error_id(moment)
    record["time"] = moment.isoformat()
    if store(record, folder) is None:
        raise AssertionError("The test record could not be stored.")
    return record


def store_many(folder: str, count: int, barrier) -> None:
    """Store count records from one process once all processes are ready."""
    barrier.wait(timeout=60)
    for number in range(count):
        exc = caught(fail_lookup, f"key {number}")
        record = capture(exc, environ=ENVIRON, layers=LAYERS)
        if store(record, Path(folder)) is None:
            sys.exit(3)


class CaptureTest(unittest.TestCase):
    def setUp(self):
        self.exc = caught(fail_lookup, "A-1")
        self.record = capture(
            self.exc,
            environ=ENVIRON,
            environment_id="production",
            layers=LAYERS,
            form={"name": "Ann", "password": "form-secret", "tags": ["a", "b"]},
        )

    def test_record_holds_identity_time_and_process(self):
        record = self.record
        self.assertTrue(is_error_id(record["id"]), record["id"])
        moment = datetime.fromisoformat(record["time"])
        self.assertEqual(moment.utcoffset(), timedelta(0))
        self.assertLess(abs(datetime.now(timezone.utc) - moment), timedelta(minutes=1))
        self.assertEqual(record["pid"], os.getpid())
        self.assertEqual(record["python"], sys.version.split()[0])
        self.assertEqual(record["environment_id"], "production")
        expected = [{"name": n, "folder": f} for n, f in LAYERS]
        self.assertEqual(record["layers"], expected)

    def test_record_holds_exception_and_frames_with_source(self):
        exception = self.record["exception"]
        self.assertEqual(exception["type"], f"{__name__}.LookupFailed")
        self.assertIn("<script>", exception["message"])

        innermost = exception["frames"][-1]
        self.assertEqual(innermost["file"], __file__)
        self.assertEqual(innermost["function"], "fail_lookup")
        self.assertEqual(innermost["kind"], "app")
        self.assertTrue(innermost["source"].startswith("raise LookupFailed("))
        numbers = [line["line"] for line in innermost["context"]]
        self.assertIn(innermost["line"], numbers)
        self.assertEqual(exception["frames"][0]["function"], "caught")

    def test_chain_holds_cause_and_context(self):
        chain = self.record["chain"]
        self.assertEqual(len(chain), 1)
        self.assertEqual(chain[0]["relation"], "cause")
        self.assertEqual(chain[0]["type"], "KeyError")
        self.assertEqual(chain[0]["frames"][-1]["source"], "{}[key]")

        def during_handling():
            try:
                raise OSError("first")
            except OSError:
                raise ValueError("second")

        record = capture(caught(during_handling))
        self.assertEqual([c["relation"] for c in record["chain"]], ["context"])
        self.assertEqual(record["chain"][0]["message"], "first")

    def test_suppressed_context_is_left_out(self):
        def suppressed():
            try:
                raise OSError("hidden")
            except OSError:
                raise ValueError("shown") from None

        self.assertEqual(capture(caught(suppressed))["chain"], [])

    def test_cyclic_chain_ends(self):
        first, second = ValueError("first"), ValueError("second")
        first.__context__, second.__context__ = second, first

        chain = capture(first)["chain"]
        self.assertEqual([c["message"] for c in chain], ["second"])

    def test_request_is_described_with_secrets_masked(self):
        request = self.record["request"]
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["path"], "/orders/<b>42</b>")
        self.assertEqual(request["client"], "203.0.113.7")
        self.assertEqual(
            request["query"],
            "page=2&password=[masked]&api_key=[masked]&csrf_token=[masked]",
        )
        headers = request["headers"]
        self.assertEqual(headers["Host"], "shop.example")
        self.assertEqual(headers["Content-Type"], ENVIRON["CONTENT_TYPE"])
        for name in ("Cookie", "Authorization", "Proxy-Authorization", "X-Session-Id"):
            with self.subTest(header=name):
                self.assertEqual(headers[name], "[masked]")
        form = {"name": "Ann", "password": "[masked]", "tags": ["a", "b"]}
        self.assertEqual(request["form"], form)
        self.assertFalse(any(s in json.dumps(self.record) for s in SECRETS))

    def test_path_is_decoded_as_utf8(self):
        path = "/caf\u00e9".encode("utf-8").decode("latin-1")

        record = capture(ValueError(), environ={"PATH_INFO": path})
        self.assertEqual(record["request"]["path"], "/caf\u00e9")

    def test_failing_str_and_repr_do_not_break_the_record(self):
        class Broken(Exception):
            def __str__(self):
                raise RuntimeError("no str")

            def __repr__(self):
                raise RuntimeError("no repr")

        class Value:
            def __str__(self):
                raise RuntimeError("no str")

        record = capture(
            Broken(), environ={"HTTP_X_ODD": Value(), "PATH_INFO": b"/bytes"}
        )
        self.assertIn("Broken", record["exception"]["type"])
        self.assertEqual(record["exception"]["message"], "<unprintable Broken object>")
        self.assertIn("Value object", record["request"]["headers"]["X-Odd"])
        json.dumps(record)

    def test_runaway_recursion_keeps_head_and_tail(self):
        def recurse(depth):
            return recurse(depth + 1)

        record = capture(caught(recurse, 0))
        frames = record["exception"]["frames"]
        self.assertEqual(len(frames), record_module.MAX_FRAMES)
        self.assertGreater(record["exception"]["frames_omitted"], 0)
        self.assertEqual(frames[0]["function"], "caught")

    def test_group_members_and_notes_are_described(self):
        error = ValueError("inner")
        error.add_note("while loading orders")
        group = ExceptionGroup("several", [error, TypeError("other")])

        exception = capture(group)["exception"]
        members = exception["exceptions"]
        self.assertEqual([m["type"] for m in members], ["ValueError", "TypeError"])
        self.assertEqual(members[0]["notes"], ["while loading orders"])

    def test_frame_kind_tells_fw_stdlib_and_app_apart(self):
        cases = {
            record_module.__file__: "fw",
            json.__file__: "stdlib",
            __file__: "app",
            "<frozen importlib._bootstrap>": "stdlib",
        }
        for filename, kind in cases.items():
            with self.subTest(filename=filename):
                self.assertEqual(frame_kind(filename), kind)

    def test_ids_are_unique_and_start_with_time(self):
        moment = datetime(2024, 2, 29, 13, 5, 7, 123456, tzinfo=timezone.utc)

        ids = {new_error_id(moment) for _ in range(1000)}
        self.assertEqual(len(ids), 1000)
        self.assertTrue(all(i.startswith("20240229T130507123456Z-") for i in ids))
        self.assertEqual(record_module.error_time(ids.pop()), moment)


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.folder = Path(self.tmp.name) / "errors"
        self.record = capture(caught(fail_lookup, "B-2"), environ=ENVIRON)

    def store_quietly(self, record, folder):
        """Store a record and return the result and what went to stderr."""
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            result = store(record, folder)
        return result, stderr.getvalue()

    def test_store_writes_one_private_json_file(self):
        path = store(self.record, self.folder)

        self.assertEqual(path, self.folder / f"{self.record['id']}.json")
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)
        self.assertEqual(json.loads(path.read_text(encoding="utf-8")), self.record)
        self.assertFalse(any(s in path.read_text(encoding="utf-8") for s in SECRETS))

    def test_store_gives_a_fresh_id_to_a_record_without_one(self):
        record = {"id": "../../etc/passwd", "exception": {"type": "X"}}

        path = store(record, self.folder)
        self.assertTrue(is_error_id(record["id"]))
        self.assertEqual(path.parent, self.folder)

    def test_unwritable_folder_sends_the_record_to_stderr(self):
        blocker = Path(self.tmp.name) / "a-file"
        blocker.write_text("not a folder")
        no_space = OSError(errno.ENOSPC, "No space left on device")
        cases = {
            "folder is a file": (blocker, None),
            "disk full on open": (self.folder, "fw.errors.store.os.open"),
            "disk full on write": (self.folder, "fw.errors.store.os.write"),
        }
        for name, (folder, target) in cases.items():
            with self.subTest(name):
                patch = mock.patch(target, side_effect=no_space) if target else None
                with patch or contextlib.nullcontext():
                    result, stderr = self.store_quietly(self.record, folder)
                self.assertIsNone(result)
                self.assertIn(self.record["id"], stderr)
                self.assertEqual(len(stderr.splitlines()), 1)
                line = stderr.split(": ", 1)[1].split("): ", 1)[1]
                self.assertEqual(json.loads(line)["id"], self.record["id"])
        self.assertEqual(list(self.folder.glob("*")), [])

    def test_read_only_folder_sends_the_record_to_stderr(self):
        self.folder.mkdir()
        os.chmod(self.tmp.name, 0o755)
        self.folder.chmod(0o555)
        self.addCleanup(self.folder.chmod, 0o700)

        result = run_as_nobody(_store_in, self.record, str(self.folder))

        self.assertIsNone(result["path"])
        self.assertIn(self.record["id"], result["stderr"])
        self.assertEqual(list(self.folder.iterdir()), [])

    def test_store_survives_a_broken_stderr_and_a_broken_record(self):
        circular: dict = {"id": new_error_id()}
        circular["self"] = circular
        broken = mock.Mock(write=mock.Mock(side_effect=OSError(errno.EPIPE, "pipe")))

        with mock.patch.object(sys, "stderr", broken):
            self.assertIsNone(store(circular, self.folder))
        with mock.patch.object(sys, "stderr", None):
            self.assertIsNone(store(circular, self.folder))

    def test_store_refuses_to_follow_a_planted_symlink(self):
        self.folder.mkdir()
        victim = Path(self.tmp.name) / "victim.txt"
        victim.write_text("original")
        missing = Path(self.tmp.name) / "would-be-created.txt"
        cases = {"existing target": victim, "dangling target": missing}
        for name, target in cases.items():
            with self.subTest(name):
                record = dict(self.record, id=new_error_id())
                link = self.folder / f"{record['id']}.json"
                link.symlink_to(target)
                result, stderr = self.store_quietly(record, self.folder)
                self.assertIsNone(result)
                self.assertIn(record["id"], stderr)
                self.assertTrue(link.is_symlink())
        self.assertEqual(victim.read_text(), "original")
        self.assertFalse(missing.exists())

    def test_processes_writing_at_once_leave_complete_distinct_files(self):
        processes, count = 8, 250
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(processes)
        workers = [
            context.Process(target=store_many, args=(str(self.folder), count, barrier))
            for _ in range(processes)
        ]

        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        self.assertEqual([w.exitcode for w in workers], [0] * processes)
        paths = list(self.folder.iterdir())
        self.assertEqual(len(paths), processes * count)
        records = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
        self.assertEqual({r["id"] for r in records}, {p.stem for p in paths})
        self.assertEqual(len({r["pid"] for r in records}), processes)
        types = {r["exception"]["type"] for r in records}
        self.assertEqual(types, {f"{__name__}.LookupFailed"})
        self.assertTrue(all(r["layers"][1]["name"] == "fw" for r in records))


class PagesTest(unittest.TestCase):
    def setUp(self):
        self.record = capture(
            caught(fail_lookup, "C-3"),
            environ=ENVIRON,
            environment_id="staging",
            layers=[("app", "/srv/<app>")],
        )

    def test_developer_page_shows_the_record(self):
        page = render_developer_page(self.record)

        for text in (
            self.record["id"],
            "LookupFailed",
            "fail_lookup",
            "raise LookupFailed(",
            "{}[key]",
            "The above exception was the direct cause",
            "shop.example",
            "203.0.113.7",
            "staging",
            'class="frame app" open',
        ):
            with self.subTest(text=text):
                self.assertIn(text, page)
        self.assertLess(page.index("KeyError"), page.index("The above exception"))

    def test_developer_page_escapes_every_value(self):
        page = render_developer_page(self.record)

        self.assertNotIn("<script>", page)
        self.assertIn("&lt;script&gt;alert(&#x27;C-3&#x27;)&lt;/script&gt;", page)
        self.assertNotIn("<b>42</b>", page)
        self.assertIn("/orders/&lt;b&gt;42&lt;/b&gt;", page)
        self.assertIn("agent &lt;i&gt;&quot;quoted&quot;&lt;/i&gt;", page)
        self.assertIn("/srv/&lt;app&gt;", page)

    def test_developer_page_hides_secrets_and_needs_no_assets(self):
        page = render_developer_page(self.record)

        self.assertFalse([s for s in SECRETS if s in page])
        for outside in ("<link", "<script", "src=", "http://", "https://", "@import"):
            with self.subTest(outside=outside):
                self.assertNotIn(outside, page)

    def test_developer_page_survives_a_malformed_record(self):
        records = [{}, {"exception": "x", "chain": 5, "request": [], "layers": {}}]
        for record in records:
            with self.subTest(record=record):
                self.assertIn("<html", render_developer_page(record))

    def test_plain_page_shows_only_the_id(self):
        page = render_plain_page(self.record["id"])

        self.assertIn("Something went wrong", page)
        self.assertIn(self.record["id"], page)
        self.assertIn("<title>500 Internal Server Error</title>", page)
        frame = self.record["exception"]["frames"][-1]
        for secret_detail in (
            "LookupFailed",
            "alert",
            "orders",
            frame["source"],
            "fail_lookup",
            __file__,
        ):
            with self.subTest(detail=secret_detail):
                self.assertNotIn(secret_detail, page)

    def test_plain_page_escapes_the_id_and_names_the_status(self):
        page = render_plain_page('<b id="x">', status=404)

        self.assertIn("&lt;b id=&quot;x&quot;&gt;", page)
        self.assertIn("<title>404 Not Found</title>", page)
        self.assertNotIn("error id", render_plain_page(None))


class CommandsTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.folder = Path(tmp.name)
        self.old = stored_record(self.folder, days_ago=40, message="old one")
        self.new = stored_record(self.folder, days_ago=1, message="new\none " * 20)

    def run_errors(self, *argv):
        """Run the command line and return exit code, stdout and stderr."""
        out, err = io.StringIO(), io.StringIO()
        code = run_command(self.folder, list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def test_list_shows_newest_first_one_line_each(self):
        code, out, _ = self.run_errors("list")

        self.assertEqual(code, 0)
        lines = out.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].startswith(self.new["id"]))
        self.assertTrue(lines[1].startswith(self.old["id"]))
        self.assertIn("ValueError: new one new one", lines[0])
        self.assertIn("...  GET", lines[0])
        listed = [summary["id"] for summary in list_errors(self.folder)]
        self.assertEqual(listed, [self.new["id"], self.old["id"]])

    def test_list_marks_an_unreadable_file(self):
        broken = self.folder / f"{new_error_id()}.json"
        broken.write_text('{"id": "trunc')

        code, out, _ = self.run_errors("list")
        self.assertEqual(code, 0)
        self.assertIn("(unreadable)", out.splitlines()[0])

    def test_list_of_a_missing_folder(self):
        out = io.StringIO()

        code = run_command(self.folder / "none", ["list"], out=out)
        self.assertEqual(code, 0)
        self.assertIn("No stored errors", out.getvalue())
        self.assertEqual(list_errors(self.folder / "none"), [])

    def test_show_accepts_a_unique_prefix(self):
        prefix = self.old["id"][:8]

        code, out, _ = self.run_errors("show", prefix)
        self.assertEqual(code, 0)
        self.assertIn(f"Error {self.old['id']}", out)
        self.assertIn("ValueError: old one", out)
        self.assertEqual(load_error(self.folder, prefix), self.old)
        code, out, _ = self.run_errors("show", self.new["id"], "--json")
        self.assertEqual(json.loads(out), self.new)

    def test_show_refuses_unknown_ambiguous_and_unsafe_ids(self):
        cases = {
            "unknown": ("19990101", "No stored error has an id starting with"),
            "ambiguous": ("2", "matches 2 stored errors"),
            "unsafe": ("../etc", "is not an error id"),
        }
        for name, (given, message) in cases.items():
            with self.subTest(name):
                code, out, err = self.run_errors("show", given)
                self.assertEqual((code, out), (1, ""))
                self.assertIn(message, err)
                with self.assertRaises(ErrorStoreError):
                    load_error(self.folder, given)

    def test_prune_removes_only_records_older_than_the_age(self):
        stranger = self.folder / "notes.json"
        stranger.write_text("{}")
        old_path = self.folder / f"{self.old['id']}.json"
        new_path = self.folder / f"{self.new['id']}.json"
        # NOTE: the age comes from the id, so swapped mtimes must not matter.
        os.utime(old_path, (datetime.now().timestamp(),) * 2)
        os.utime(new_path, (0, 0))

        code, out, _ = self.run_errors("prune", "--older-than", "30")
        self.assertEqual(code, 0)
        self.assertIn("Removed 1 error record(s)", out)
        self.assertFalse(old_path.exists())
        self.assertTrue(new_path.exists())
        self.assertTrue(stranger.exists())
        self.assertEqual(prune(self.folder, 0.5), [self.new["id"]])

    def test_prune_rejects_a_bad_age(self):
        for argv in (["prune"], ["prune", "--older-than", "soon"], ["prune", "-5"]):
            with self.subTest(argv=argv):
                code, _, err = self.run_errors(*argv)
                self.assertEqual(code, 2)
                self.assertIn("--older-than", err)
        with self.assertRaises(ValueError):
            prune(self.folder, -1)
        self.assertEqual(len(list_errors(self.folder)), 2)

    def test_usage_mistakes(self):
        cases = {(): 2, ("help",): 0, ("vacuum",): 2, ("list", "extra"): 2}
        for argv, expected in cases.items():
            with self.subTest(argv=argv):
                code, out, err = self.run_errors(*argv)
                self.assertEqual(code, expected)
                self.assertIn("usage:", out + err)



def _store_in(record, folder):
    path = store(record, Path(folder))
    return {"path": str(path) if path else None}


if __name__ == "__main__":
    unittest.main()
