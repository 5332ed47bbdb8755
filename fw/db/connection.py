"""A connection to one database, through the adapter its URL names.

SQLite is built in (sqlite3). PostgreSQL and MariaDB/MySQL are reached
through pure-Python DB-API drivers, pg8000 and PyMySQL, imported only when
a URL names their engine; where the driver is missing, the error says
what to install.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

from ..exceptions import FwError
from .dialects.base import Dialect
from .urls import DatabaseURL, parse_url

log = logging.getLogger(__name__)

DRIVERS = {
    "postgresql": ("pg8000.dbapi", "pg8000"),
    "mysql": ("pymysql", "PyMySQL"),
}


class DatabaseError(FwError):
    """The database cannot be reached, or refused what was asked of it."""


def dialect_for(engine: str) -> Dialect:
    """Return the dialect of an engine ("sqlite", "postgresql" or "mysql")."""
    module = import_module(f"fw.db.dialects.{engine}")
    return module.DIALECT


def load_driver(engine: str) -> Any:
    """Import the DB-API driver of an engine, or say what to install."""
    module, package = DRIVERS[engine]
    try:
        return import_module(module)
    except ImportError:
        raise DatabaseError(
            f"The {engine} adapter needs the driver {package}, which is not "
            f"installed: run 'python -m pip install {package}'."
        ) from None


class Database:
    """One connection, its dialect, transactions and after-commit work."""

    def __init__(self, url: str | DatabaseURL, *, root: Path | None = None) -> None:
        self.url = url if isinstance(url, DatabaseURL) else parse_url(url, root=root)
        self.dialect = dialect_for(self.url.engine)
        self._connection: Any = None
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []

    @property
    def engine(self) -> str:
        """Return the engine's name: sqlite, postgresql or mysql."""
        return self.url.engine

    @property
    def connection(self) -> Any:
        """Return the DB-API connection, opening it on first use."""
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> Any:
        url = self.url
        if url.engine == "sqlite":
            return _connect_sqlite(url.path)
        driver = load_driver(url.engine)
        options = dict(
            user=url.user, password=url.password, host=url.host, port=url.port,
            database=url.database,
        )
        if url.engine == "mysql":
            options.update(charset="utf8mb4", autocommit=False)
        try:
            return driver.connect(**options)
        except Exception as error:
            raise DatabaseError(
                f"Cannot connect to {url.redacted()}: {error}"
            ) from error

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement written with ``?`` placeholders; return the cursor.

        Outside a transaction block the statement commits at once, and a
        failing one is rolled back, so the connection stays usable.
        """
        cursor = self.connection.cursor()
        try:
            cursor.execute(self.dialect.sql(statement), tuple(params))
        except Exception:
            if self._depth == 0:
                self.connection.rollback()
            raise
        if self._depth == 0:
            self.connection.commit()
        return cursor

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (a batch insert)."""
        if not rows:
            return
        with self.transaction():
            cursor = self.connection.cursor()
            cursor.executemany(self.dialect.sql(statement), [tuple(r) for r in rows])

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a query and return all its rows as tuples."""
        cursor = self.execute(statement, params)
        return [tuple(row) for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Run a block in one transaction: commit at the end, roll back on error.

        Nested blocks join the outermost one. Work registered with
        ``after_commit`` runs once the outermost block has committed, and is
        dropped when it rolls back.
        """
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._finish(commit=False)
            raise
        self._depth -= 1
        if self._depth == 0:
            self._finish(commit=True)

    def _finish(self, *, commit: bool) -> None:
        waiting, self._after_commit = self._after_commit, []
        if not commit:
            self.connection.rollback()
            return
        self.connection.commit()
        for work in waiting:
            try:
                work()
            except Exception:
                log.exception("Work after a commit failed; the data stays committed.")

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` after the current transaction commits (now if none)."""
        if self._depth == 0:
            work()
        else:
            self._after_commit.append(work)

    @property
    def in_transaction(self) -> bool:
        """Say whether a transaction block is open."""
        return self._depth > 0

    def close(self) -> None:
        """Close the connection, if it was opened."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _connect_sqlite(path: Path | None) -> sqlite3.Connection:
    if path is None:
        raise DatabaseError("A SQLite URL needs a file path.")
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), isolation_level="DEFERRED")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection
