"""`db copy`: 10,000 rows from SQLite to PostgreSQL and to MariaDB, verified."""

import io
import json
import random
import unittest
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import fw
from fw.db import Database, read_schema
from fw.db import commands as db_commands
from fw.db.copy import CopyError, checksum, copy_database, count_rows
from fw.db.migrate import install

from .dbsupport import needs_driver, private_database
from .support import AppTestCase

SCHEMA = {
    "common/schema/categories.json": json.dumps({
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 80, "required": True, "unique": True},
        }
    }),
    "common/schema/products.json": json.dumps({
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 120, "required": True},
            "notes": {"type": "text"},
            "price": {"type": "decimal", "precision": 10, "scale": 2},
            "in_stock": {"type": "boolean", "required": True, "default": True},
            "added": {"type": "date"},
            "opens": {"type": "time"},
            "changed": {"type": "datetime"},
            "attributes": {"type": "json"},
            "category_id": {"type": "integer", "references": "categories.id"},
        },
        "indexes": {"products_by_price": ["price"]},
    }),
    "common/schema/tags.json": json.dumps({
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "label": {"type": "text", "length": 40, "required": True},
        }
    }),
    "common/schema/product_tags.json": json.dumps({
        "fields": {
            "product_id": {"type": "integer", "required": True,
                           "references": "products.id", "on_delete": "cascade"},
            "tag_id": {"type": "integer", "required": True,
                       "references": "tags.id", "on_delete": "cascade"},
        },
        "primary_key": ["product_id", "tag_id"],
    }),
}

COUNTS = {
    "categories": 100,
    "tags": 100,
    "products": 6000,
    "product_tags": 3800,
    "fw_sessions": 0,
}


def fill(database, schema):
    """Insert 10,000 varied rows across the four tables."""
    chance = random.Random(7)
    rows = {
        "categories": [(n, f"Category {n} «ü»") for n in range(1, 101)],
        "tags": [(n, f"tag-{n}") for n in range(1, 101)],
        "products": [_product(n, chance) for n in range(1, 6001)],
        "product_tags": sorted({
            (chance.randint(1, 6000), chance.randint(1, 100)) for _ in range(4200)
        })[:3800],
        "fw_sessions": [],
    }
    for table in schema.dependency_order():
        statement, _ = database.dialect.insert(table, table.field_names)
        values = [
            [database.dialect.to_db(f, v) for f, v in zip(table.fields, row)]
            for row in rows[table.name]
        ]
        database.execute_many(statement, values)


def _product(number, chance):
    start = datetime(2024, 1, 1, 8, 30)
    return (
        number,
        f"Product {number} 'quoted' \"double\"",
        None if number % 7 else "Line one\nline two; DROP TABLE products;",
        Decimal(chance.randint(0, 9_999_999)) / 100,
        number % 3 != 0,
        date(2020, 1, 1) + timedelta(days=number % 1500),
        time(number % 24, number % 60, 0),
        start + timedelta(minutes=number * 7),
        {"size": number % 5, "colours": ["red", "ünïcode"][: number % 3]},
        None if number % 11 == 0 else number % 100 + 1,
    )


class CopyTestCase(AppTestCase):
    files = SCHEMA

    def setUp(self):
        super().setUp()
        self.app = fw.application(self.root)
        self.schema = read_schema(self.app.layers.base.finder)
        self.source = Database("sqlite:///var/source.db", root=self.root)
        self.addCleanup(self.source.close)
        install(self.source, self.schema)
        fill(self.source, self.schema)

    def copy_to(self, engine):
        url = private_database(type(self), engine)
        out = io.StringIO()

        code = db_commands.copy(
            self.app, url="sqlite:///var/source.db", to=url, out=out
        )

        self.assertEqual(code, 0, out.getvalue())
        target = Database(url)
        self.addCleanup(target.close)
        return target

    def assert_same(self, target):
        self.assertEqual(sum(COUNTS.values()), 10_000)
        for table in self.schema.dependency_order():
            with self.subTest(table=table.name):
                self.assertEqual(count_rows(target, table), COUNTS[table.name])
                self.assertEqual(checksum(target, table), checksum(self.source, table))

    def assert_keys_continue(self, target):
        from fw.db.records import Records

        added = Records(target, self.schema).table("categories").insert(name="New")

        self.assertEqual(added.id, 101)

    def test_copy_to_sqlite(self):
        target = self.copy_to("sqlite")

        self.assert_same(target)
        self.assert_keys_continue(target)

    @needs_driver("postgresql")
    def test_copy_to_postgresql(self):
        target = self.copy_to("postgresql")

        self.assert_same(target)
        self.assert_keys_continue(target)

    @needs_driver("mysql")
    def test_copy_to_mariadb(self):
        target = self.copy_to("mysql")

        self.assert_same(target)
        self.assert_keys_continue(target)

    def test_a_target_with_rows_is_refused_and_left_alone(self):
        url = private_database(type(self), "sqlite")
        target = Database(url)
        self.addCleanup(target.close)
        install(target, self.schema)
        target.execute("INSERT INTO categories (id, name) VALUES (1, 'Mine')")

        with self.assertRaisesRegex(CopyError, "already holds rows in categories"):
            copy_database(self.source, target, self.schema)

        self.assertEqual(target.rows("SELECT name FROM categories"), [("Mine",)])


if __name__ == "__main__":
    unittest.main()
