"""Tests for run.py and fw/server.py: the demo served over real sockets.

The helpers here start a serving process on a free port and fetch pages
from it; tests/test_cli.py and tests/test_cgi.py use them too.
"""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from email.message import Message
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import IO

from fw import server

from .support import DEMO, ROOT, child_environ

STARTUP_SECONDS = 20
REQUEST_SECONDS = 10
SERVING = re.compile(r"Serving .* on http://[^/]+:(\d+)/")

# NOTE: no proxy from the environment may stand between a test and 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_server(
    arguments: Sequence[str], *, cwd: Path, add_cleanup: Callable[..., None]
) -> int:
    """Run ``python ARGUMENTS``, stopped by ``add_cleanup``; return its port.

    The command must serve on port 0 and log fw's "Serving ... on URL"
    line, which names the port the system chose.
    """
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=cwd,
        env=child_environ(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stderr, lines))
    reader.daemon = True
    add_cleanup(_stop, process, reader)
    reader.start()

    deadline = time.monotonic() + STARTUP_SECONDS
    port = _announced_port(process, lines, deadline)
    _wait_until_listening(port, deadline)
    return port


def fetch(port: int, path: str, **headers: str) -> tuple[int, Message, bytes]:
    """GET ``path`` from 127.0.0.1:``port``; return status, headers and body."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with _OPENER.open(request, timeout=REQUEST_SECONDS) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _announced_port(
    process: subprocess.Popen, lines: queue.Queue[str | None], deadline: float
) -> int:
    seen = []
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            said = "".join(seen)
            raise AssertionError(f"No server started in time; it said:\n{said}")
        if line is None:
            code = process.wait(REQUEST_SECONDS)
            said = "".join(seen)
            raise AssertionError(f"The server exited with {code}:\n{said}")
        seen.append(line)
        match = SERVING.search(line)
        if match:
            return int(match.group(1))


def _wait_until_listening(port: int, deadline: float) -> None:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError as error:
            if time.monotonic() > deadline:
                raise AssertionError(f"Nothing listens on port {port}: {error}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen, reader: threading.Thread) -> None:
    process.terminate()
    try:
        process.wait(REQUEST_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if reader.ident is not None:
        reader.join(REQUEST_SECONDS)
    process.stderr.close()


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
