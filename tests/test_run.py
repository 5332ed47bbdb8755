"""Tests for run.py and fw/server.py: the demo served over real sockets."""

from __future__ import annotations

import socket
import unittest
from collections.abc import Callable
from socketserver import ThreadingMixIn

from fw import server

from .servers import fetch, start_server
from .support import DEMO, ROOT


class RunScriptTestCase(unittest.TestCase):
    """``python run.py --port 0`` serves the demo folder of the repository."""

    @classmethod
    def setUpClass(cls) -> None:
        # NOTE: run.py writes demo/environments/<id>/ and demo/var/, which git
        # ignores; the other entry points are tested on a copy of the demo.
        arguments = ["run.py", "--port", "0"]
        cls.port = start_server(arguments, cwd=ROOT, add_cleanup=cls.addClassCleanup)

    def test_home_page(self) -> None:
        status, headers, body = fetch(self.port, "/")

        self.assertEqual(status, 200)
        self.assertEqual(headers.get_content_type(), "text/html")
        self.assertIn(b"<h1>Welcome to fw demo</h1>", body)
        self.assertIn(b'<link rel="stylesheet" href="/css/site.css">', body)

    def test_stylesheet(self) -> None:
        status, headers, body = fetch(self.port, "/css/site.css")

        self.assertEqual(status, 200)
        self.assertEqual(headers.get_content_type(), "text/css")
        css = DEMO / "common" / "presenters" / "css" / "site.css"
        self.assertEqual(body, css.read_bytes())

    def test_a_stalled_request_does_not_block_the_next(self) -> None:
        stalled = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(stalled.close)
        stalled.sendall(b"GET /about HTTP/1.1\r\nHost: 127.0.0.1\r\n")

        status, _, body = fetch(self.port, "/")
        self.assertEqual(status, 200)
        self.assertIn(b"Welcome to fw demo", body)

        stalled.sendall(b"Connection: close\r\n\r\n")
        answer = _read_all(stalled)
        self.assertRegex(answer, rb"^HTTP/1\.[01] 200 ")
        self.assertIn(b"<h1>About this demo</h1>", answer)


class ServerTestCase(unittest.TestCase):
    """fw.server answers each connection in a thread, with a deep backlog."""

    def test_threaded_with_a_backlog_of_at_least_128(self) -> None:
        self.assertTrue(issubclass(server.ThreadingWSGIServer, ThreadingMixIn))
        self.assertGreaterEqual(server.ThreadingWSGIServer.request_queue_size, 128)

        made = server.make(_empty_app, "127.0.0.1", 0)
        self.addCleanup(made.server_close)
        self.assertIsInstance(made, server.ThreadingWSGIServer)
        self.assertTrue(made.daemon_threads)

    def test_a_port_it_cannot_listen_on_is_a_clear_error(self) -> None:
        taken = server.make(_empty_app, "127.0.0.1", 0)
        self.addCleanup(taken.server_close)

        for port in (taken.server_port, 99999):
            with self.subTest(port=port), self.assertRaises(SystemExit) as stopped:
                server.serve(_empty_app, "127.0.0.1", port)
            message = str(stopped.exception)
            self.assertIn(f"Cannot listen on 127.0.0.1 port {port}", message)


def _empty_app(environ: dict, start_response: Callable[..., object]) -> list[bytes]:
    start_response("204 No Content", [])
    return []


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


if __name__ == "__main__":
    unittest.main()
