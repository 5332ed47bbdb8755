"""Start serving processes on a free port, and fetch pages from them."""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from email.message import Message
from pathlib import Path
from typing import IO

from .support import child_environ

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


def fetch(port: int, path: str) -> tuple[int, Message, bytes]:
    """GET ``path`` from 127.0.0.1:``port``; return status, headers and body."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with _OPENER.open(url, timeout=REQUEST_SECONDS) as response:
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
            message = f"No server started in time; it said:\n{said}"
            raise AssertionError(message) from None
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
