import unittest
from pathlib import Path
from unittest import mock

from fw.db import connection
from fw.db.connection import Database, DatabaseError
from fw.db.urls import parse_url
from fw.exceptions import ConfigError

from .dbsupport import EngineTestCase, needs_driver


class UrlTestCase(unittest.TestCase):
    def test_urls(self):
        root = Path("/srv/app")
        cases = {
            "sqlite:///var/app.db": ("sqlite", Path("/srv/app/var/app.db")),
            "sqlite:////data/app.db": ("sqlite", Path("/data/app.db")),
            "postgresql://postgres@127.0.0.1/test": ("postgresql", 5432),
            "postgres://u:p@db.example.com:6543/shop": ("postgresql", 6543),
            "mysql://root@127.0.0.1/test": ("mysql", 3306),
            "mariadb://root:secret@h:3307/test": ("mysql", 3307),
        }
        for url, (engine, where) in cases.items():
            with self.subTest(url=url):
                parsed = parse_url(url, root=root)
                self.assertEqual(parsed.engine, engine)
                found = parsed.path if engine == "sqlite" else parsed.port
                self.assertEqual(found, where)

    def test_passwords_never_show(self):
        parsed = parse_url("postgresql://ana:s3cret@h/db")

        self.assertEqual(parsed.password, "s3cret")
        self.assertNotIn("s3cret", repr(parsed))
        self.assertNotIn("s3cret", parsed.redacted())

    def test_bad_urls_say_what_to_write(self):
        for url in ("app.db", "oracle://x/y", "sqlite://app.db", "postgresql://h",
                    "postgresql://u:pw@h:99x/db"):
            with self.subTest(url=url):
                with self.assertRaises(ConfigError) as raised:
                    parse_url(url)
                self.assertNotIn("pw@", str(raised.exception))


class DriverTestCase(unittest.TestCase):
    def test_a_missing_driver_says_what_to_install(self):
        missing = {"postgresql": ("no_such_driver_for_fw", "pg8000")}

        with mock.patch.dict(connection.DRIVERS, missing):
            database = Database("postgresql://postgres@127.0.0.1/test")
            with self.assertRaisesRegex(DatabaseError, "pip install pg8000"):
                database.connection

    @needs_driver("postgresql")
    def test_an_unreachable_server_is_a_clear_error(self):
        with self.assertRaisesRegex(DatabaseError, "Cannot connect to postgresql"):
            Database("postgresql://nobody:pw@127.0.0.1:1/none").connection


class TransactionMixin:
    def setUp(self):
        super().setUp()
        self.database.execute("CREATE TABLE t (a INTEGER)")

    def count(self):
        return self.database.rows("SELECT COUNT(*) FROM t")[0][0]

    def test_a_failing_block_rolls_back_and_drops_after_commit_work(self):
        done = []
        with self.assertRaises(ZeroDivisionError):
            with self.database.transaction():
                self.database.execute("INSERT INTO t VALUES (?)", (1,))
                self.database.after_commit(lambda: done.append("ran"))
                1 / 0

        self.assertEqual((self.count(), done), (0, []))

    def test_nested_blocks_join_and_work_runs_after_the_commit(self):
        done = []
        with self.database.transaction():
            with self.database.transaction():
                self.database.execute("INSERT INTO t VALUES (?)", (1,))
                self.database.after_commit(lambda: done.append(self.count()))
            self.assertEqual(done, [])

        self.assertEqual(done, [1])

    def test_a_failing_statement_leaves_the_connection_usable(self):
        with self.assertRaises(Exception):
            self.database.execute("INSERT INTO no_such_table VALUES (1)")

        self.database.execute("INSERT INTO t VALUES (?)", (2,))
        self.assertEqual(self.count(), 1)

    def test_rows_read_before_stay_as_they_were_after_more_statements(self):
        self.database.execute("INSERT INTO t VALUES (?)", (1,))
        first = self.database.rows("SELECT a FROM t")

        self.database.execute("INSERT INTO t VALUES (?)", (2,))
        second = self.database.rows("SELECT a FROM t ORDER BY a")

        self.assertEqual((first, second), ([(1,)], [(1,), (2,)]))


class SQLiteTransactionTestCase(TransactionMixin, EngineTestCase):
    engine = "sqlite"


@needs_driver("postgresql")
class PostgreSQLTransactionTestCase(TransactionMixin, EngineTestCase):
    engine = "postgresql"


@needs_driver("mysql")
class MariaDBTransactionTestCase(TransactionMixin, EngineTestCase):
    engine = "mysql"


if __name__ == "__main__":
    unittest.main()
