"""Errors mailed by a production application, through its real request path."""

import json
import subprocess
import sys
import threading
import unittest

import fw
from fw.errors import notify
from fw.mail import load_settings
from fw.testing import Client

from .smtp_server import SMTPServer, closed_port
from .support import AppTestCase, child_environ

BOOM = "def get(context):\n    raise ValueError('kitchen\\r\\nBcc: evil@example.com')\n"


class ProductionErrorMailTestCase(AppTestCase):
    files = {
        "production/.keep": "",
        "common/config/server.json": '{"domains": ["example.com"]}',
        "common/presenters/boom.py": BOOM,
    }

    def configure(self, port):
        mail = {"host": "127.0.0.1", "port": port, "sender": "fw@example.com",
                "developers": ["dev@example.com"], "timeout": 5}
        self.write({"common/config/mail.json": json.dumps(mail)})

    def test_an_error_reaches_the_developers_once_and_repeats_in_a_digest(self):
        with SMTPServer() as server:
            self.configure(server.port)
            app = fw.application(self.root)
            client = Client(app, host="example.com")

            for _ in range(3):
                self.assertEqual(client.get("/boom").status, 500)
            notify.flush(self.root, load_settings(app.layers.base.config))
            wait_for(lambda: len(server.received) >= 1)

        self.assertEqual(len(server.received), 1)
        message = server.received[0]
        head = message.data.decode().split("\r\n\r\n", 1)[0]
        self.assertIn("ValueError", head)
        self.assertNotIn("\nBcc:", head)
        self.assertEqual(message.recipients, ("dev@example.com",))
        queued = self.root / "var/mail/groups"
        self.assertTrue(any(queued.iterdir()))

    def test_mail_down_still_gives_the_500_page_and_keeps_the_error_file(self):
        self.configure(closed_port())
        client = Client(fw.application(self.root), host="example.com")

        page = client.get("/boom")

        self.assertEqual(page.status, 500)
        self.assertIn("Something went wrong", page.text)
        self.assertEqual(len(list((self.root / "var/errors").glob("*.json"))), 1)

    def test_odd_exceptions_are_still_mailed_with_the_usual_page(self):
        self.write({
            "common/presenters/weird.py": (
                "class Weird(Exception):\n"
                "    def __str__(self):\n        raise RuntimeError('str fails')\n\n"
                "def get(context):\n    raise Weird('x')\n"
            ),
            "common/presenters/surrogate.py": (
                "def get(context):\n    raise RuntimeError('bad \\udc80 name')\n"
            ),
        })
        with SMTPServer() as server:
            self.configure(server.port)
            client = Client(fw.application(self.root), host="example.com")

            pages = [client.get("/weird"), client.get("/surrogate")]
            wait_for(lambda: len(server.received) >= 2)

        stored = [path.stem for path in (self.root / "var/errors").glob("*.json")]
        for page in pages:
            self.assertEqual(page.status, 500)
            self.assertTrue(any(error_id in page.text for error_id in stored))
        self.assertEqual(len(server.received), 2)
        self.assertEqual(list((self.root / "var/mail/outbox").glob(".*tmp")), [])

    def test_broken_mail_settings_never_break_the_request(self):
        self.write({"common/config/mail.json": '{"port": "not a port"}'})

        page = Client(fw.application(self.root), host="example.com").get("/boom")

        self.assertEqual(page.status, 500)


class MailCommandTestCase(AppTestCase):
    def fw(self, *arguments):
        return subprocess.run(
            [sys.executable, "-m", "fw", *arguments, "--app", str(self.root)],
            capture_output=True, text=True, env=child_environ(), timeout=60,
        )

    def test_mail_test_reports_what_the_server_said(self):
        with SMTPServer() as server:
            sent = self.fw("mail", "test", "--to", "ana@example.com",
                           "--host", "127.0.0.1", "--port", str(server.port))
            down = self.fw("mail", "test", "--to", "ana@example.com",
                           "--host", "127.0.0.1", "--port", str(closed_port()))

        self.assertEqual(sent.returncode, 0, sent.stderr)
        self.assertIn("250", sent.stdout)
        self.assertEqual(len(server.received), 1)
        self.assertEqual(down.returncode, 1)
        self.assertNotIn("Traceback", down.stderr + down.stdout)


def wait_for(condition, timeout=20):
    done = threading.Event()
    for _ in range(int(timeout * 20)):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError("The condition did not hold in time.")


if __name__ == "__main__":
    unittest.main()
