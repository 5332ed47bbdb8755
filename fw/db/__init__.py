"""The database: tables described in configuration, installed on any engine.

An application describes its tables in ``schema/NAME.*`` (any layer, any
configuration format) and names its connection in ``config/database.*``
(``url = "postgresql://user@host/db"``); without one it uses SQLite in
``var/app.db``. From the descriptions and the connection fw installs,
upgrades and copies the database, and presenters read and change the data
through records (``context.service("db").table("products")``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lazy import exports

if TYPE_CHECKING:
    from ..config import Configuration
    from .connection import Database
    from .schema import Schema

# NOTE: imported on first use, so that fw.db.schema alone (sessions need
# it) does not load the drivers' module and the configuration readers.
_EXPORTS = {
    "ConstraintError": "fw.db.connection",
    "Database": "fw.db.connection",
    "DatabaseError": "fw.db.connection",
    "Schema": "fw.db.schema",
}

__all__ = sorted([*_EXPORTS, "configured_url", "open_database", "read_schema"])


__getattr__ = exports(__name__, _EXPORTS, globals())


def configured_url(config: Configuration) -> str:
    """Return the connection URL the configuration names, or the default."""
    from .urls import DEFAULT_URL

    url = config.load("database").get("url") or DEFAULT_URL
    return str(url)


def open_database(
    config: Configuration, root: Path, url: str | None = None
) -> Database:
    """Return a Database for ``url``, or for the configured connection."""
    from .connection import Database

    return Database(url or configured_url(config), root=root)


def read_schema(finder: Any, *, watch: bool = True) -> Schema:
    """Return the schema described in the ``schema/`` folders of the layers."""
    from ..config import Configuration
    from .schema import load_schema

    descriptions = Configuration(finder, folder="schema", watch=watch)
    return load_schema(finder, descriptions)
