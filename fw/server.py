"""Serve an application with the standard library's WSGI server, in threads.

This is the development and small-site server behind ``python run.py``
and ``python -m fw run``; production runs the same application under any
WSGI server, or as CGI.
"""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)

LISTEN_BACKLOG = 128


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A WSGI server answering each connection in a thread of its own."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG


class QuietHandler(WSGIRequestHandler):
    """Log requests through logging, and drop connections that stall."""

    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def make(app: Any, host: str = "127.0.0.1", port: int = 8000) -> ThreadingWSGIServer:
    """Return a threaded server for ``app``, bound and ready to serve."""
    return make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )


def serve(app: Any, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` until interrupted; a port it cannot listen on ends it."""
    try:
        bound = make(app, host, port)
    except (OSError, OverflowError) as error:
        raise SystemExit(f"Cannot listen on {host} port {port}: {error}") from None

    with bound as server:
        shown = "localhost" if host in ("127.0.0.1", "::1") else host
        where = (getattr(app, "root", app), shown, server.server_port)
        log.info("Serving %s on http://%s:%s/", *where)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            log.info("Stopped.")


def run_cgi(app: Any) -> None:
    """Answer the one request of a CGI process (see fw.gateway, lighter)."""
    from .gateway import run_cgi as run

    run(app)
