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


class ConstraintError(DatabaseError):
    """A change broke a unique key or a reference: the data stays as it was.

    Presenters catch it to tell the visitor (a name already taken, a
    reference to something missing) instead of failing with a 500.
    """


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
        # PERF: statements need no rewriting where the driver takes "?".
        self._rewrite = None if self.dialect.placeholder == "?" else self.dialect.sql
        self._connection: Any = None
        # PERF: rows() reads through one cursor, made once per connection,
        # since its rows are all fetched before the next statement runs.
        self._reader: Any = None
        self._depth = 0
        self._after_commit: list[tuple[int, Callable[[], None]]] = []

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
            # NOTE: FOUND_ROWS makes an UPDATE's rowcount the rows it matched,
            # as on the other engines, not only those whose values changed.
            found_rows = driver.constants.CLIENT.FOUND_ROWS
            options.update(charset="utf8mb4", autocommit=False, client_flag=found_rows)
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
        return self._run(statement, params, False)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a query and return all its rows as tuples.

        The rows are read before the commit that ends a statement outside a
        transaction block, so a change with RETURNING works there too.
        """
        found = self._run(statement, params, True)
        # PERF: sqlite3 already gives a list of tuples; other drivers' rows are copied.
        if type(found) is list and (not found or type(found[0]) is tuple):
            return found
        return [tuple(row) for row in found]

    def _run(self, statement: str, params: Sequence[Any], fetch: bool) -> Any:
        """Run one statement; return its rows when ``fetch``, else its cursor."""
        connection = self._connection
        if connection is None:
            connection = self.connection
        if self._rewrite is not None:
            statement = self._rewrite(statement)
        cursor = self._reader if fetch else None
        if cursor is None:
            cursor = connection.cursor()
            if fetch:
                self._reader = cursor
        try:
            cursor.execute(statement, tuple(params))
            result = cursor.fetchall() if fetch else cursor
        except Exception as error:
            self._recover(error)
            if _breaks_constraint(error):
                raise ConstraintError(
                    f"The database refused the change, which would break a unique "
                    f"key or a reference: {error}"
                ) from error
            raise
        if self._depth == 0:
            connection.commit()
        return result

    def _recover(self, error: Exception) -> None:
        """Drop a lost connection, or roll back a failure outside a block."""
        if _is_disconnect(error):
            log.warning("Dropped a lost connection to %s.", self.url.redacted())
            self._drop()
        elif self._depth == 0:
            self._rollback()

    def _rollback(self) -> None:
        """Roll back; a connection that cannot even do that is dropped.

        A connection the server closed (a restart, an idle timeout) fails
        this way, and the next use opens a new one.
        """
        try:
            self.connection.rollback()
        except Exception:
            log.warning("Dropped a broken connection to %s.", self.url.redacted())
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._reader = None
        try:
            if connection is not None:
                connection.close()
        except Exception:
            log.debug("Closing a broken connection failed too.", exc_info=True)

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (a batch insert)."""
        if not rows:
            return
        with self.transaction():
            cursor = self.connection.cursor()
            cursor.executemany(self.dialect.sql(statement), [tuple(r) for r in rows])

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Run a block in one transaction: commit at the end, roll back on error.

        A nested block is a savepoint inside the outer transaction: an error
        that leaves it undoes its own changes only, and the outer block goes
        on. Work registered with ``after_commit`` runs once the outermost
        block has committed, and is dropped with the block that registered
        it when that block rolls back.
        """
        self._depth += 1
        level = self._depth
        savepoint = f"fw_savepoint_{level}" if level > 1 else None
        if savepoint:
            self.connection.cursor().execute(f"SAVEPOINT {savepoint}")
        else:
            self.dialect.begin(self.connection)
        try:
            yield self
        except BaseException:
            self._depth -= 1
            self._undo(level, savepoint)
            raise
        self._depth -= 1
        if savepoint:
            self.connection.cursor().execute(f"RELEASE SAVEPOINT {savepoint}")
        else:
            self._finish()

    def _undo(self, level: int, savepoint: str | None) -> None:
        kept = [(at, work) for at, work in self._after_commit if at < level]
        self._after_commit = kept
        if savepoint is None:
            self._rollback()
            return
        cursor = self.connection.cursor()
        cursor.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
        cursor.execute(f"RELEASE SAVEPOINT {savepoint}")

    def _finish(self) -> None:
        waiting, self._after_commit = self._after_commit, []
        self.connection.commit()
        for _, work in waiting:
            try:
                work()
            except Exception:
                log.exception("Work after a commit failed; the data stays committed.")

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` after the current transaction commits (now if none)."""
        if self._depth == 0:
            work()
        else:
            self._after_commit.append((self._depth, work))

    @property
    def in_transaction(self) -> bool:
        """Say whether a transaction block is open."""
        return self._depth > 0

    def close(self) -> None:
        """Close the connection, if it was opened."""
        self._drop()


_LOST_CONNECTION_CODES = {2006, 2013, 2055}


def _breaks_constraint(error: Exception) -> bool:
    """Say whether a driver error is a broken unique key or reference.

    pg8000 raises a plain DatabaseError whose details hold the SQLSTATE;
    class 23 is an integrity constraint violation.
    """
    if type(error).__name__ == "IntegrityError":
        return True
    details = error.args[0] if error.args else None
    return isinstance(details, dict) and str(details.get("C", "")).startswith("23")


def _is_disconnect(error: Exception) -> bool:
    """Say whether a driver error means the connection itself is gone.

    DB-API drivers raise InterfaceError for a connection that no longer
    works (pg8000's "network error"), or let the socket's own error through;
    MySQL's lost connections are OperationalErrors with the codes 2006, 2013
    and 2055.
    """
    kind = type(error).__name__
    if kind == "InterfaceError" or isinstance(error, OSError):
        return True
    code = error.args[0] if error.args else None
    return kind == "OperationalError" and code in _LOST_CONNECTION_CODES


def _connect_sqlite(path: Path | None) -> sqlite3.Connection:
    if path is None:
        raise DatabaseError("A SQLite URL needs a file path.")
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), isolation_level="DEFERRED")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection
