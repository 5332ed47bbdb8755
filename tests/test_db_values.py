"""Values keep their meaning on every engine; nested blocks and lost connections."""

import unittest
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from fw.db.connection import Database
from fw.db.migrate import install
from fw.db.records import QueryError, Records
from fw.db.schema import parse_schema

from .dbsupport import EngineTestCase, needs_driver

SCHEMA = parse_schema({
    "things": ({
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "price": {"type": "decimal", "precision": 6, "scale": 2},
            "opens": {"type": "time"},
            "seen": {"type": "datetime"},
            "details": {"type": "json"},
            "count": {"type": "integer"},
        }
    }, "things.json"),
})


class ValuesMixin:
    def setUp(self):
        super().setUp()
        install(self.database, SCHEMA)
        self.things = Records(self.database, SCHEMA).table("things")

    def test_json_values_of_every_kind_come_back_as_stored(self):
        for value in ("just a string", "123", "null", 123, None, [1, "a"], {"a": 1}):
            with self.subTest(value=value):
                stored = self.things.insert(details=value)

                self.assertEqual(self.things.get(stored.id).details, value)

    def test_decimals_are_rounded_before_they_are_stored(self):
        stored = self.things.insert(price="0.015")

        self.assertEqual(self.things.get(stored.id).price, Decimal("0.02"))
        self.assertEqual(self.things.find(price="0.02").count(), 1)

    def test_values_that_do_not_fit_are_refused_before_any_sql(self):
        for values in (
            {"price": "12345.67"},
            {"price": "1e400"},
            {"count": 2**31},
            {"count": "99999999999999999999999"},
        ):
            with self.subTest(values=values):
                with self.assertRaises(QueryError):
                    self.things.insert(**values)
        self.assertEqual(self.things.find().count(), 0)

    def test_long_in_lists_are_refused(self):
        with self.assertRaisesRegex(QueryError, "at most 1000"):
            self.things.find(id__in=list(range(1001))).count()

    def test_times_keep_microseconds(self):
        stored = self.things.insert(opens=time(23, 59, 59, 999999))

        self.assertEqual(self.things.get(stored.id).opens, time(23, 59, 59, 999999))

    def test_aware_datetimes_are_stored_as_utc(self):
        aware = datetime(2024, 5, 31, 12, 30, tzinfo=timezone(timedelta(hours=2)))

        stored = self.things.insert(seen=aware)

        self.assertEqual(self.things.get(stored.id).seen, datetime(2024, 5, 31, 10, 30))

    def test_a_failing_nested_block_undoes_only_its_own_changes(self):
        done = []
        with self.database.transaction():
            self.things.insert(count=1)
            with self.assertRaises(ValueError), self.database.transaction():
                self.things.insert(count=2)
                self.database.after_commit(lambda: done.append("inner"))
                raise ValueError("undo the inner block")
            self.things.insert(count=3)
            self.database.after_commit(lambda: done.append("outer"))

        counts = sorted(thing.count for thing in self.things.find())
        self.assertEqual((counts, done), ([1, 3], ["outer"]))


class SQLiteValuesTestCase(ValuesMixin, EngineTestCase):
    engine = "sqlite"


@needs_driver("postgresql")
class PostgreSQLValuesTestCase(ValuesMixin, EngineTestCase):
    engine = "postgresql"

    def test_a_connection_the_server_closed_is_replaced(self):
        self.things.insert(count=1)
        pid = self.database.rows("SELECT pg_backend_pid()")[0][0]
        killer = Database(self.url)
        self.addCleanup(killer.close)
        killer.rows("SELECT pg_terminate_backend(?)", (pid,))

        with self.assertLogs("fw.db.connection", "WARNING"):
            with self.assertRaises(Exception):
                self.things.find().count()

        self.assertEqual(self.things.find().count(), 1)


@needs_driver("mysql")
class MariaDBValuesTestCase(ValuesMixin, EngineTestCase):
    engine = "mysql"

    def test_a_connection_the_server_closed_is_replaced(self):
        self.things.insert(count=1)
        connection_id = self.database.rows("SELECT CONNECTION_ID()")[0][0]
        killer = Database(self.url)
        self.addCleanup(killer.close)
        killer.execute(f"KILL {int(connection_id)}")

        with self.assertLogs("fw.db.connection", "WARNING"):
            with self.assertRaises(Exception):
                self.things.find().count()

        self.assertEqual(self.things.find().count(), 1)


if __name__ == "__main__":
    unittest.main()
