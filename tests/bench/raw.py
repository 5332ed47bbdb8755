"""Hand-written WSGI callables doing the benchmark's work with sqlite3 alone.

They set the floor fw is measured against: the same answers, the same
database, no framework. One connection per thread, as fw keeps.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Callable, Iterable
from html import escape
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from . import WORLD_ROWS

EXTRA = "Additional fortune added at request time."
TEXT = [("Content-Type", "text/plain")]
HTML = "text/html; charset=utf-8"
JSON = "application/json"
PAGE = (
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>A page · fw benchmark</title>\n</head>\n<body>\n"
    "<header><a href=\"/page\">fw benchmark</a></header>\n<main>\n"
    "<h1>A page</h1>\n<p class=\"fortune\">{fortune}</p>\n"
    "<p>Visits in this session: {visits}.</p>\n\n</main>\n</body>\n</html>\n"
)


class RawApp:
    """Answer the benchmark's endpoints by hand, routed by PATH_INFO."""

    def __init__(self, database: str | Path) -> None:
        self.database = str(database)
        self._local = threading.local()
        self.routes: dict[str, Callable[[dict], tuple[str, bytes]]] = {
            "/plaintext": self.plaintext,
            "/json": self.json,
            "/db": self.db,
            "/queries": self.queries,
            "/fortunes": self.fortunes,
            "/updates": self.updates,
            "/page": self.page,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        handler = self.routes.get(environ.get("PATH_INFO", ""))
        if handler is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found."]

        content_type, body = handler(environ)
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body]

    @property
    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection, opened on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = sqlite3.connect(self.database)
        return connection

    def plaintext(self, environ: dict) -> tuple[str, bytes]:
        """Answer the fixed text."""
        return "text/plain", b"Hello, World!"

    def json(self, environ: dict) -> tuple[str, bytes]:
        """Answer the fixed object as JSON."""
        return JSON, _dumps({"message": "Hello, World!"})

    def db(self, environ: dict) -> tuple[str, bytes]:
        """Answer one random world row."""
        return JSON, _dumps(self._world_row(_random_id()))

    def queries(self, environ: dict) -> tuple[str, bytes]:
        """Answer N random world rows, one query each."""
        count = query_count(environ.get("QUERY_STRING", ""))
        return JSON, _dumps([self._world_row(_random_id()) for _ in range(count)])

    def updates(self, environ: dict) -> tuple[str, bytes]:
        """Read N random rows, give each a new number, store them in one go."""
        count = query_count(environ.get("QUERY_STRING", ""))
        rows = [self._world_row(_random_id()) for _ in range(count)]
        for row in rows:
            row["randomNumber"] = _random_id()

        with self.connection:
            self.connection.executemany(
                "UPDATE world SET randomnumber = ? WHERE id = ?",
                [(row["randomNumber"], row["id"]) for row in rows],
            )
        return JSON, _dumps(rows)

    def fortunes(self, environ: dict) -> tuple[str, bytes]:
        """Answer all fortunes plus one, sorted by message, as escaped HTML."""
        rows = self.connection.execute("SELECT id, message FROM fortune").fetchall()
        rows.append((0, EXTRA))
        rows.sort(key=lambda row: row[1])
        cells = "".join(
            f"<tr><td>{key}</td><td>{escape(message)}</td></tr>"
            for key, message in rows
        )
        return HTML, (
            "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
            f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>\n"
        ).encode()

    def page(self, environ: dict) -> tuple[str, bytes]:
        """Answer the layout page: the cookie read, one query, the page built."""
        # NOTE: the benchmark sends no session cookie, so fw reads no
        # session row either; the cookie is still parsed, as fw does.
        SimpleCookie(environ.get("HTTP_COOKIE", ""))
        query = "SELECT message FROM fortune WHERE id = ?"
        (message,) = self.connection.execute(query, (1,)).fetchone()
        page = PAGE.format(fortune=escape(message), visits=0)
        return HTML, page.encode()

    def _world_row(self, key: int) -> dict[str, int]:
        query = "SELECT id, randomnumber FROM world WHERE id = ?"
        found = self.connection.execute(query, (key,)).fetchone()
        return {"id": found[0], "randomNumber": found[1]}


def query_count(query_string: str) -> int:
    """Return ``queries`` of a query string clamped to 1..500, else 1.

    Only ASCII digits make an integer (int() would also take "1_0" or " 5 ");
    a minus sign means below 1 anyway.
    """
    wanted = parse_qs(query_string).get("queries", [""])[-1]
    if not (wanted.isascii() and wanted.isdigit()):
        return 1
    digits = wanted.lstrip("0")
    if len(digits) > 3:
        return 500
    return min(max(int(digits or "0"), 1), 500)


def _random_id() -> int:
    return random.randint(1, WORLD_ROWS)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()
