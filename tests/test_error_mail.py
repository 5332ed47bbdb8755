"""Errors mailed in production: grouped by fingerprint, queued, never blocking."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import unittest.mock
from pathlib import Path

from fw.errors import capture, store
from fw.errors import grouping, notify, outbox
from fw.mail import MailSettings

from .smtp_server import SMTPServer, closed_port

WAIT_SECONDS = 10
REPO = Path(__file__).resolve().parents[1]
LATER = 16 * 60


def raise_value_error(message: str = "bad value") -> None:
    raise ValueError(message)


def raise_key_error() -> None:
    raise KeyError("missing")


def record_of(
    raiser=raise_value_error, *args: str, path: str = "/orders"
) -> dict:
    """Return a captured record of the error a function raises."""
    try:
        raiser(*args)
    except Exception as exc:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
        return capture(exc, environ=environ, environment_id="env-1")
    raise AssertionError("the function raised nothing")


def wait_for(predicate, what: str) -> None:
    """Wait until predicate() is true, failing after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}.")
        time.sleep(0.01)


def settings_for(host: str, port: int) -> MailSettings:
    return MailSettings(
        host=host, port=port, timeout=5, developers=("dev@example.org",),
        digest_minutes=15,
    )


def parsed(received) -> email.message.EmailMessage:
    return email.message_from_bytes(received.data, policy=email.policy.default)


class _Signal(logging.Handler):
    """Set an event when a warning about a failed delivery is logged."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.logged = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if "could not be delivered" in record.getMessage():
            self.logged.set()


class _HangingServer:
    """Accept SMTP connections but say nothing until released, then refuse."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.connected = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            connection, _ = self._socket.accept()
        except OSError:
            return
        with connection:
            self.connected.set()
            self.release.wait(WAIT_SECONDS)
            connection.sendall(b"421 Service not available, closing channel\r\n")

    def close(self) -> None:
        self.release.set()
        self._socket.close()


class MailTestCase(unittest.TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.root = Path(folder.name)
        self.signal = _Signal()
        logger = logging.getLogger("fw.errors")
        logger.addHandler(self.signal)
        self.addCleanup(logger.removeHandler, self.signal)

    def server(self, **options) -> SMTPServer:
        server = SMTPServer(**options)
        self.addCleanup(server.stop)
        return server

    def outbox(self) -> list[Path]:
        return outbox.pending(notify.outbox_folder(self.root))


class GroupingTest(MailTestCase):
    def test_thousand_identical_errors_give_one_mail_and_one_digest(self) -> None:
        server = self.server()
        settings = settings_for(server.host, server.port)

        for number in range(1000):
            record = record_of(raise_value_error, f"bad value {number}")
            notify.notify(self.root, record, settings, production=True, run_once=False)
        wait_for(lambda: len(server.received) == 1, "the first mail")
        notify.flush(self.root, settings, now=time.time() + LATER)

        self.assertEqual(len(server.received), 2)
        first, digest = (parsed(item) for item in server.received)
        self.assertIn("[fw error] ValueError: bad value 0", first["Subject"])
        self.assertIn("digest", digest["Subject"])
        self.assertIn("999 more", digest["Subject"])
        self.assertIn("1000 in all", digest.get_body(("plain",)).get_content())
        self.assertEqual(self.outbox(), [])

    def test_two_different_errors_give_two_mails(self) -> None:
        server = self.server()
        settings = settings_for(server.host, server.port)

        for raiser in (raise_value_error, raise_key_error):
            notify.notify(
                self.root, record_of(raiser), settings, production=True, run_once=False
            )
        wait_for(lambda: len(server.received) == 2, "two mails")
        notify.flush(self.root, settings, now=time.time() + LATER)

        subjects = sorted(parsed(item)["Subject"] for item in server.received)
        self.assertEqual(len(server.received), 2)
        self.assertTrue(subjects[0].startswith("[fw error] KeyError"))
        self.assertTrue(subjects[1].startswith("[fw error] ValueError"))

    def test_error_after_the_window_sends_digest_and_a_new_first(self) -> None:
        folder = self.root / "groups"
        record = record_of()
        key = grouping.fingerprint(record)
        summary = notify.summarize(record)

        moments = (100.0, 101.0, 102.0)
        firsts = [
            grouping.record_occurrence(folder, key, summary, now=t) for t in moments
        ]
        early = grouping.close_expired(folder, window=60, now=150.0)
        digests = grouping.close_expired(folder, window=60, now=170.0)
        again = grouping.record_occurrence(folder, key, summary, now=170.0)

        self.assertEqual(firsts, [True, False, False])
        self.assertEqual(early, [])
        self.assertEqual(len(digests), 1)
        self.assertEqual(digests[0]["repeats"], 2)
        self.assertEqual(digests[0]["first"]["id"], record["id"])
        self.assertTrue(again)

    def test_window_without_repeats_gives_no_digest(self) -> None:
        folder = self.root / "groups"
        record = record_of()

        key = grouping.fingerprint(record)
        grouping.record_occurrence(folder, key, notify.summarize(record), now=1.0)
        digests = grouping.close_expired(folder, window=60, now=100.0)

        self.assertEqual(digests, [])
        self.assertEqual(os.listdir(folder), [])

    def test_fingerprint_is_type_and_place(self) -> None:
        one = record_of(raise_value_error, "first message", path="/a")
        two = record_of(raise_value_error, "other message", path="/b")
        three = record_of(raise_key_error)

        self.assertEqual(grouping.fingerprint(one), grouping.fingerprint(two))
        self.assertNotEqual(grouping.fingerprint(one), grouping.fingerprint(three))

    def test_processes_agree_on_one_first(self) -> None:
        folder = self.root / "groups"
        code = (
            "import sys, time\n"
            "from pathlib import Path\n"
            "from fw.errors import grouping\n"
            "firsts = sum(grouping.record_occurrence(Path(sys.argv[1]), 'k', "
            "{'id': 'x'}, now=time.time()) for _ in range(100))\n"
            "print(firsts)\n"
        )

        processes = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(folder)],
                cwd=REPO, stdout=subprocess.PIPE, text=True,
            )
            for _ in range(4)
        ]
        firsts = sum(int(p.communicate(timeout=WAIT_SECONDS)[0]) for p in processes)
        lines = (folder / "k.count").read_text().splitlines()

        self.assertEqual(firsts, 1)
        self.assertEqual(len(lines), 399)

    def test_concurrent_closers_make_one_digest(self) -> None:
        folder = self.root / "groups"
        for moment in range(50):
            grouping.record_occurrence(folder, "k", {"id": "x"}, now=float(moment))
        results: list[list] = []
        start = threading.Barrier(8)

        def close() -> None:
            start.wait()
            results.append(grouping.close_expired(folder, window=60, now=1000.0))

        threads = [threading.Thread(target=close) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS)

        digests = [digest for found in results for digest in found]
        self.assertEqual(len(digests), 1)
        self.assertEqual(digests[0]["repeats"], 49)


class SafetyTest(MailTestCase):
    def test_not_in_production_sends_nothing(self) -> None:
        server = self.server()
        settings = settings_for(server.host, server.port)

        notify.notify(
            self.root, record_of(), settings, production=False, run_once=False
        )

        self.assertFalse((self.root / "var" / "mail").exists())
        self.assertEqual(server.received, [])

    def test_line_breaks_in_path_and_message_add_no_header(self) -> None:
        server = self.server()
        settings = settings_for(server.host, server.port)
        record = record_of(
            raise_value_error, "bad\r\nBcc: evil@example.org\r\n\r\nbody",
            path="/x\r\nX-Injected: 1\n\u2028Cc: evil@example.org",
        )

        notify.notify(self.root, record, settings, production=True, run_once=False)
        wait_for(lambda: len(server.received) == 1, "the mail")

        message = parsed(server.received[0])
        self.assertEqual(server.received[0].recipients, ("dev@example.org",))
        self.assertEqual(
            sorted(message.keys()),
            ["Content-Type", "Date", "From", "MIME-Version", "Message-ID",
             "Subject", "To"],
        )
        self.assertNotIn("\n", message["Subject"])
        self.assertIn("Bcc: evil@example.org", message["Subject"])

    def test_html_body_escapes_the_record(self) -> None:
        record = record_of(raise_value_error, "<script>alert(1)</script>")

        _subject, body = notify.first_mail(notify.summarize(record))

        self.assertNotIn("<script>", body)
        self.assertIn("&lt;script&gt;", body)

    def test_hanging_server_does_not_block_and_mail_stays(self) -> None:
        hanging = _HangingServer()
        self.addCleanup(hanging.close)
        settings = settings_for("127.0.0.1", hanging.port)
        record = record_of()

        error_file = store(record, self.root / "var" / "errors")
        # NOTE: the server says nothing until released, and it is released only
        # after notify returned: a notify that waited for it would time out.
        notify.notify(self.root, record, settings, production=True, run_once=False)
        # NOTE: the courier may already have claimed the mail (renamed it
        # while it sends), so count claimed mails too.
        queued = os.listdir(notify.outbox_folder(self.root))
        hanging.release.set()

        self.assertEqual(len(queued), 1)
        self.assertTrue(self.signal.logged.wait(WAIT_SECONDS))
        self.assertTrue(hanging.connected.is_set())
        self.assertEqual(len(self.outbox()), 1)
        self.assertTrue(queued[0].startswith(self.outbox()[0].name))
        self.assertTrue(error_file.exists())

    def test_server_down_keeps_the_mail_for_a_later_flush(self) -> None:
        settings = settings_for("127.0.0.1", closed_port())

        notify.notify(self.root, record_of(), settings, production=True, run_once=False)

        self.assertTrue(self.signal.logged.wait(WAIT_SECONDS))
        self.assertEqual(len(self.outbox()), 1)
        server = self.server()
        sent = notify.flush(self.root, settings_for(server.host, server.port))
        self.assertEqual(sent, 1)
        self.assertEqual(len(server.received), 1)
        self.assertEqual(self.outbox(), [])

    def test_refusing_server_keeps_the_mail(self) -> None:
        server = self.server(refuse=True)
        settings = settings_for(server.host, server.port)
        outbox.queue(
            notify.outbox_folder(self.root), sender="fw@localhost",
            to=["dev@example.org"], subject="Hello", html="<p>Hi</p>",
        )

        sent = notify.deliver_outbox(self.root, settings)

        self.assertEqual(sent, 0)
        self.assertEqual(len(self.outbox()), 1)
        self.assertTrue(self.signal.logged.is_set())

    def test_notify_never_raises(self) -> None:
        (self.root / "var").write_text("a file where the folder should be")
        settings = settings_for("127.0.0.1", closed_port())

        notify.notify(self.root, record_of(), settings, production=True, run_once=False)

        self.assertTrue(any("could not be queued" in m for m in self.signal.messages))

    def test_stale_claim_is_given_back(self) -> None:
        folder = notify.outbox_folder(self.root)
        path = outbox.queue(
            folder, sender="fw@localhost", to=["dev@example.org"],
            subject="Hello", html="<p>Hi</p>",
        )
        claimed = path.with_name(path.name + ".999-abcd.sending")
        os.rename(path, claimed)
        later = time.time() + outbox.STALE_SECONDS + 10
        server = self.server()

        with unittest.mock.patch.object(outbox.time, "time", lambda: later):
            sent = outbox.deliver(folder, settings_for(server.host, server.port))

        self.assertEqual(sent, 1)
        self.assertEqual(len(server.received), 1)


class CgiTest(MailTestCase):
    def test_run_once_delivers_from_a_detached_process(self) -> None:
        server = self.server()
        settings = settings_for(server.host, server.port)

        notify.notify(self.root, record_of(), settings, production=True, run_once=True)

        wait_for(lambda: len(server.received) == 1, "the child's mail")
        wait_for(lambda: self.outbox() == [], "an empty outbox")
        self.assertIn("ValueError", parsed(server.received[0])["Subject"])


if __name__ == "__main__":
    unittest.main()
