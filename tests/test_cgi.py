"""Tests for demo/index.cgi: the demo answered as a CGI script.

First the script alone, given the CGI variables a web server would set;
then behind a real CGI server, the standard library's CGIHTTPRequestHandler.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path

from .support import ROOT, child_environ, copy_demo
from .servers import fetch

SCRIPT_SECONDS = 30
CGI_VARIABLES = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "REQUEST_METHOD": "GET",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "localhost",
    "REMOTE_ADDR": "127.0.0.1",
    "SCRIPT_NAME": "/index.cgi",
    "QUERY_STRING": "",
}
HOME_PAGE = b"<h1>Welcome to fw demo</h1>"
ABOUT_PAGE = b"<h1>About this demo</h1>"
NOT_FOUND_PAGE = b"<h1>Nothing here</h1>"
SERVER_TAGLINE = b"<footer>Served by the localhost server layer"


class ScriptTestCase(unittest.TestCase):
    """index.cgi run directly, as a web server would run it."""

    def setUp(self) -> None:
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.app = copy_demo(Path(temp.name) / "app")

    def run_script(self, path_info: str) -> tuple[int, Message, bytes]:
        """Run the copied index.cgi for ``path_info``; parse what it printed."""
        environ = {
            name: value
            for name, value in child_environ().items()
            if not name.startswith(("HTTP_", "CONTENT_"))
        }
        done = subprocess.run(
            [sys.executable, str(self.app / "index.cgi")],
            env={**environ, **CGI_VARIABLES, "PATH_INFO": path_info},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=SCRIPT_SECONDS,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        return self.parse_response(done.stdout)

    def parse_response(self, output: bytes) -> tuple[int, Message, bytes]:
        """Split a CGI response into status, headers and body, checking its form."""
        parts = re.split(rb"\r?\n\r?\n", output, maxsplit=1)
        self.assertEqual(len(parts), 2, f"No end of headers in {output[:200]!r}")
        head, body = parts
        self.assertRegex(head, rb"^(Status|Content-Type): ", "the first header")

        headers = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        status = int(headers.get("Status", "200").split()[0])
        return status, headers, body

    def test_home_page(self) -> None:
        status, headers, body = self.run_script("/")

        self.assertEqual(status, 200)
        self.assertEqual(headers.get_content_type(), "text/html")
        self.assertTrue(body.startswith(b"<!doctype html>"), body[:80])
        self.assertIn(HOME_PAGE, body)

    def test_unknown_path(self) -> None:
        status, headers, body = self.run_script("/nowhere")

        self.assertEqual(status, 404)
        self.assertEqual(headers.get_content_type(), "text/html")
        self.assertIn(NOT_FOUND_PAGE, body)


@unittest.skipUnless(
    hasattr(http.server, "CGIHTTPRequestHandler"), "Python removed the CGI handler."
)
class CGIServerTestCase(unittest.TestCase):
    """index.cgi behind http.server's CGI handler, fetched over a socket.

    The temporary folder is laid out as on a shared host: the copied
    application in cgi-bin/, with its index.cgi, and fw/ beside it.
    """

    @classmethod
    def setUpClass(cls) -> None:
        temp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(temp.cleanup)
        site = Path(temp.name)
        app = copy_demo(site / "cgi-bin")
        os.symlink(ROOT / "fw", site / "fw", target_is_directory=True)
        _use_this_python(app / "index.cgi")

        # NOTE: the CGI handler is deprecated from Python 3.13 on.
        cls.enterClassContext(warnings.catch_warnings())
        warnings.simplefilter("ignore", DeprecationWarning)

        handler = functools.partial(_cgi_handler(), directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        cls.addClassCleanup(server.server_close)
        # NOTE: the handler passes no HTTP_HOST to the script, so fw names
        # the host by SERVER_NAME; pin it rather than trust getfqdn().
        server.server_name = "localhost"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(thread.join)
        cls.addClassCleanup(server.shutdown)
        cls.port = server.server_port

    def test_home_page(self) -> None:
        status, headers, body = fetch(self.port, "/cgi-bin/index.cgi/")

        self.assertEqual(status, 200)
        self.assertEqual(headers.get_content_type(), "text/html")
        self.assertIn(HOME_PAGE, body)

    def test_content_page_in_the_layout(self) -> None:
        status, _, body = fetch(self.port, "/cgi-bin/index.cgi/about")

        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"<!doctype html>"), body[:80])
        self.assertIn(b"<title>About \xc2\xb7 fw demo</title>", body)
        self.assertIn(ABOUT_PAGE, body)
        self.assertIn(SERVER_TAGLINE, body)

    def test_unknown_path(self) -> None:
        status, headers, body = fetch(self.port, "/cgi-bin/index.cgi/nowhere")

        # NOTE: the handler sends "200 Script output follows" before running
        # the script, so the script's status reaches the client as a header.
        self.assertEqual(status, 200)
        self.assertEqual(headers["Status"], "404 Not Found")
        self.assertIn(NOT_FOUND_PAGE, body)


def _cgi_handler() -> type[http.server.BaseHTTPRequestHandler]:
    """Return a quiet CGI handler that runs scripts without becoming nobody.

    NOTE: with fork, a handler running as root (as in CI) switches to the
    user nobody, who may not reach this Python (under /root, say). The
    subprocess path the handler takes elsewhere runs as the current user.
    """

    class Handler(http.server.CGIHTTPRequestHandler):
        have_fork = False

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _use_this_python(script: Path) -> None:
    """Point the script's #! line at the interpreter running the tests."""
    first, rest = script.read_text(encoding="utf-8").split("\n", 1)
    assert first.startswith("#!"), first
    script.write_text(f"#!{sys.executable}\n{rest}", encoding="utf-8")
    script.chmod(0o755)


if __name__ == "__main__":
    unittest.main()
