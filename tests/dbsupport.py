"""Helpers for database tests: a private database per test class, per engine.

SQLite needs nothing. PostgreSQL and MariaDB tests run against the servers
of the machine (and of CI) and skip, saying what to install, only when
the driver is missing; an unreachable server fails them. Each test class
gets a database of its own, fw_test_<random>, dropped when the class ends,
so parallel runs and leftovers never collide.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import tempfile
import unittest
from pathlib import Path

from fw.db.connection import Database

SERVERS = {
    "postgresql": os.environ.get(
        "FW_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("FW_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test"),
}
DRIVERS = {"postgresql": ("pg8000", "pg8000"), "mysql": ("pymysql", "PyMySQL")}


def has_driver(engine: str) -> bool:
    """Say whether the DB-API driver of a server engine is installed."""
    return importlib.util.find_spec(DRIVERS[engine][0]) is not None


def needs_driver(engine: str):
    """Skip a test class when the engine's driver is missing, naming the package."""
    package = DRIVERS[engine][1]
    return unittest.skipUnless(
        has_driver(engine),
        f"the {engine} tests need the driver {package}: pip install {package}",
    )


def private_database(case: type[unittest.TestCase], engine: str) -> str:
    """Create a database for one test class; return its URL. Dropped at class end."""
    if engine == "sqlite":
        folder = tempfile.TemporaryDirectory()
        case.addClassCleanup(folder.cleanup)
        return f"sqlite:///{Path(folder.name) / 'test.db'}"
    name = f"fw_test_{secrets.token_hex(6)}"
    server = Database(SERVERS[engine])
    _administer(server, f"CREATE DATABASE {name}")
    case.addClassCleanup(_drop, server, name)
    return SERVERS[engine].rsplit("/", 1)[0] + f"/{name}"


def _drop(server: Database, name: str) -> None:
    force = " WITH (FORCE)" if server.engine == "postgresql" else ""
    try:
        _administer(server, f"DROP DATABASE IF EXISTS {name}{force}")
    finally:
        server.close()


def _administer(server: Database, statement: str) -> None:
    connection = server.connection
    if server.engine == "postgresql":
        connection.autocommit = True
    connection.cursor().execute(statement)


def empty(database: Database) -> None:
    """Drop every table of a test database, so each test starts from nothing."""
    connection = database.connection
    connection.rollback()
    if database.engine == "postgresql":
        database.execute("DROP SCHEMA public CASCADE")
        database.execute("CREATE SCHEMA public")
        return
    tables = database.dialect.read_schema(database)
    if database.engine == "mysql":
        database.execute("SET FOREIGN_KEY_CHECKS = 0")
    else:
        database.execute("PRAGMA foreign_keys = OFF")
    for name in tables:
        database.execute(f"DROP TABLE {database.dialect.quote(name)}")
    if database.engine == "mysql":
        database.execute("SET FOREIGN_KEY_CHECKS = 1")
    else:
        database.execute("PRAGMA foreign_keys = ON")


class EngineTestCase(unittest.TestCase):
    """A test case with an empty database of ``engine`` in ``self.database``.

    Subclass it once per engine, with a mixin holding the tests.
    """

    engine = "sqlite"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.url = private_database(cls, cls.engine)

    def setUp(self) -> None:
        self.database = Database(self.url)
        self.addCleanup(self.database.close)
        empty(self.database)
