"""The same endpoints in other frameworks, when they happen to be importable.

Only /plaintext, /json and /fortunes: the endpoints the issue's reference
figures name. Each builder returns a WSGI callable, or None when its
framework is not installed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .raw import EXTRA

ENDPOINTS = ("plaintext", "json", "fortunes")
FORTUNES = (
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>{rows}</table></body></html>\n"
)


class _Fortunes:
    """Read the fortunes with one connection per thread, sorted with the extra."""

    def __init__(self, database: str | Path) -> None:
        self.database = str(database)
        self._local = threading.local()

    def __call__(self) -> list[tuple[int, str]]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = sqlite3.connect(self.database)
        rows = connection.execute("SELECT id, message FROM fortune").fetchall()
        rows.append((0, EXTRA))
        rows.sort(key=lambda row: row[1])
        return rows


def flask_app(database: str | Path) -> Any:
    """Return the endpoints as a Flask application, or None without Flask."""
    try:
        import flask
    except ImportError:
        return None

    app = flask.Flask("fw_bench")
    fortunes = _Fortunes(database)
    template = FORTUNES.format(
        rows="{% for id, message in rows %}<tr><td>{{ id }}</td>"
        "<td>{{ message }}</td></tr>{% endfor %}"
    )
    compiled = app.jinja_env.from_string(template)
    app.add_url_rule("/plaintext", "plaintext", _flask_plaintext(flask))
    app.add_url_rule("/json", "json", lambda: flask.jsonify(message="Hello, World!"))
    app.add_url_rule("/fortunes", "fortunes", lambda: compiled.render(rows=fortunes()))
    return app


def _flask_plaintext(flask: Any) -> Callable[[], Any]:
    def plaintext() -> Any:
        return flask.Response(b"Hello, World!", mimetype="text/plain")

    return plaintext


def bottle_app(database: str | Path) -> Any:
    """Return the endpoints as a Bottle application, or None without Bottle."""
    try:
        import bottle
    except ImportError:
        return None

    app = bottle.Bottle()
    fortunes = _Fortunes(database)
    template = bottle.SimpleTemplate(
        FORTUNES.format(
            rows="\n% for id, message in rows:\n<tr><td>{{id}}</td>"
            "<td>{{message}}</td></tr>\n% end\n"
        )
    )

    @app.route("/plaintext")
    def plaintext() -> bytes:
        bottle.response.content_type = "text/plain"
        return b"Hello, World!"

    @app.route("/json")
    def json() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.route("/fortunes")
    def fortune_page() -> str:
        return template.render(rows=fortunes())

    return app


PEERS = {"bottle": bottle_app, "flask": flask_app}
