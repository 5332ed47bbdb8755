"""Records: queries, writes, hooks, computed fields, files, hostile input.

The same cases run on SQLite, PostgreSQL and MariaDB, each in a private
database (tests/dbsupport.py); the cases that do not depend on the engine
run on SQLite only.
"""

from __future__ import annotations

import tempfile
import unittest
from datetime import date
from decimal import Decimal
from pathlib import Path

from fw.db.connection import ConstraintError, Database
from fw.db.migrate import install
from fw.db.records import Query, QueryError, Record, Records
from fw.db.schema import parse_schema
from fw.exceptions import FwError, ServiceError

from . import dbsupport

TABLES = {
    "categories": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 80, "required": True},
        },
    },
    "products": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 80, "required": True},
            "slug": {"type": "text", "length": 80},
            "price": {"type": "decimal", "precision": 10, "scale": 2},
            "stock": {"type": "integer"},
            "active": {"type": "boolean"},
            "added": {"type": "date"},
            "details": {"type": "json"},
            "photo": {"type": "file"},
            "category_id": {
                "type": "integer",
                "references": "categories.id",
                "on_delete": "set null",
            },
        },
        "relations": {"tags": {"through": "product_tags", "to": "tags"}},
        "hooks": {
            "before_insert": ["fill_slug", "note"],
            "after_insert": "note",
            "before_update": "note",
            "after_update": "note",
            "before_delete": "note",
            "after_delete": ["note", "drop_thumbnail"],
            "before_select": "note",
            "after_select": "note",
        },
        "computed": {"price_with_tax": "with_tax"},
    },
    "prices": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "label": {"type": "text", "length": 40},
            "amount": {"type": "decimal", "precision": 10, "scale": 2},
        },
    },
    "tags": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 40, "required": True},
        },
    },
    "product_tags": {
        "fields": {
            "product_id": {
                "type": "integer",
                "references": "products.id",
                "on_delete": "cascade",
            },
            "tag_id": {
                "type": "integer",
                "references": "tags.id",
                "on_delete": "cascade",
            },
        },
        "primary_key": ["product_id", "tag_id"],
    },
}
SCHEMA = parse_schema(
    {name: (data, f"schema/{name}.json") for name, data in TABLES.items()}
)
RUG = "100% cotton_rug"
HOSTILE_NAMES = [
    "name; DROP TABLE products",
    "name'",
    'name"',
    "name\x00",
    "name --",
    "Name",
    "nom",
    "price__between",
    "price__gt__lt",
    "price_with_tax",
    "",
]
HOSTILE_ORDERS = [
    "name; DROP TABLE products",
    "name DESC",
    "'name'",
    '"name"',
    "name\x00",
    "--name",
    "- name",
    "products.name",
    "nom",
    "price_with_tax",
    "",
]


class RecordsCases:
    """The cases every engine must pass; mixed into a TestCase per engine."""

    engine = "sqlite"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.url = dbsupport.private_database(cls, cls.engine)
        database = Database(cls.url)
        try:
            install(database, SCHEMA)
        finally:
            database.close()

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.root = Path(folder.name)
        self.database = Database(self.url, root=self.root)
        self.addCleanup(self.database.close)
        self.addCleanup(self.empty_tables)
        self.events: list[tuple[str, str, object]] = []
        services = {
            "fill_slug": self.fill_slug,
            "note": self.note,
            "drop_thumbnail": self.drop_thumbnail,
            "with_tax": self.with_tax,
        }
        self.db = Records(
            self.database, SCHEMA, services=services.__getitem__, root=self.root
        )
        self.products = self.db.table("products")

    def empty_tables(self) -> None:
        quote = self.database.dialect.quote
        for table in reversed(SCHEMA.dependency_order()):
            self.database.execute(f"DELETE FROM {quote(table.name)}")

    # The services the descriptions name.

    def fill_slug(self, event) -> None:
        if not event.values.get("slug"):
            event.values["slug"] = event.values["name"].lower().replace(" ", "-")

    def note(self, event) -> None:
        subject = event.record["name"] if event.record is not None else None
        self.events.append((event.name, event.table.name, subject))

    def drop_thumbnail(self, event) -> None:
        photo = event.record["photo"]
        if photo:
            thumbnail = self.root / "var" / "thumbnails" / photo
            event.after_commit(lambda: thumbnail.unlink(missing_ok=True))

    @staticmethod
    def with_tax(record: Record) -> Decimal | None:
        price = record["price"]
        if price is None:
            return None
        return (price * Decimal("1.2")).quantize(Decimal("0.01"))

    def test_values_are_tuples_of_the_named_fields(self):
        prices = self.db.table("prices")
        cheap = prices.insert(label="cheap", amount="1.50")
        prices.insert(label="dear", amount=Decimal("99.99"))

        named = prices.find().order("-amount").values("label", "amount")
        every = prices.find(label="cheap").values()
        keys = prices.find(amount__gt=50).values("id", "id")

        dear = ("dear", Decimal("99.99"))
        self.assertEqual(named, [dear, ("cheap", Decimal("1.50"))])
        self.assertEqual(every, [(cheap.id, "cheap", Decimal("1.50"))])
        self.assertEqual(len(keys), 1)
        self.assertEqual(keys[0][0], keys[0][1])

    def test_values_refuse_unknown_fields_and_tables_whose_hooks_need_records(self):
        with self.assertRaisesRegex(QueryError, "no field 'colour'"):
            self.db.table("prices").find().values("colour")
        with self.assertRaisesRegex(QueryError, "no field \\['label'\\]"):
            self.db.table("prices").find().values(["label"])
        with self.assertRaisesRegex(QueryError, "after_select hooks"):
            self.products.find().values("name")
        self.assertEqual(self.events, [])

    # Helpers.

    def add_products(self) -> dict[str, Record]:
        lamps = self.db.table("categories").insert(name="Lamps")
        rows = [
            dict(name="Desk lamp", price="19.90", stock=5, active=True,
                 category_id=lamps.id),
            dict(name="Floor lamp", price=Decimal("89.00"), stock=0, active=True),
            dict(name="Chair", price=45, stock=12, active=False,
                 added=date(2024, 5, 31)),
            dict(name=RUG, price="30.00", stock=None, active=True),
        ]
        made = {row["name"]: self.products.insert(row) for row in rows}
        self.events.clear()
        return made

    def names(self, query: Query) -> list[str]:
        return [record.name for record in query]

    def found(self, **filters) -> list[str]:
        return self.names(self.products.find(**filters).order("name"))

    def counts(self) -> dict[str, int]:
        quote = self.database.dialect.quote
        return {
            name: self.database.rows(f"SELECT COUNT(*) FROM {quote(name)}")[0][0]
            for name in SCHEMA.tables
        }

    def live_schema(self) -> dict[str, tuple[str, ...]]:
        live = self.database.dialect.read_schema(self.database)
        return {
            name: tuple(column.name for column in table.columns)
            for name, table in live.items()
        }

    def upload(self, name: str, folder: str = "uploads") -> Path:
        path = self.root / "var" / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"image")
        return path

    # Reading and writing.

    def test_insert_fills_the_key_and_gives_python_values(self):
        record = self.products.insert(
            {"name": "Desk lamp", "price": "19.9", "active": True},
            added=date(2024, 1, 2),
            details={"colours": ["red", "blue"], "watts": 40},
        )

        self.assertIsInstance(record.id, int)
        self.assertEqual(record["price"], Decimal("19.90"))
        self.assertIs(record.active, True)
        self.assertEqual(record.added, date(2024, 1, 2))
        self.assertEqual(record.details, {"colours": ["red", "blue"], "watts": 40})
        self.assertIsNone(record.stock)
        self.assertEqual(self.products.get(record.id), record)
        self.assertEqual(record.key, record.id)

    def test_get_gives_none_for_a_missing_key(self):
        self.assertIsNone(self.products.get(987654))

    def test_composite_keys(self):
        made = self.add_products()
        tag = self.db.table("tags").insert(name="light")
        links = self.db.table("product_tags")
        links.insert(product_id=made["Desk lamp"].id, tag_id=tag.id)

        by_keywords = links.get(product_id=made["Desk lamp"].id, tag_id=tag.id)
        by_tuple = links.get((made["Desk lamp"].id, tag.id))

        self.assertEqual(by_keywords, by_tuple)
        self.assertEqual(by_keywords.key, (made["Desk lamp"].id, tag.id))
        self.assertIsNone(links.get(product_id=made["Chair"].id, tag_id=tag.id))
        with self.assertRaises(QueryError):
            links.get(made["Desk lamp"].id)

    def test_filters(self):
        made = self.add_products()
        cases = {
            "name": ({"name": "Chair"}, ["Chair"]),
            "ne": ({"name__ne": "Chair"}, [RUG, "Desk lamp", "Floor lamp"]),
            "gt": ({"price__gt": 30}, ["Chair", "Floor lamp"]),
            "ge": ({"price__ge": "30.00"}, [RUG, "Chair", "Floor lamp"]),
            "lt": ({"price__lt": Decimal("30")}, ["Desk lamp"]),
            "le": ({"stock__le": 5}, ["Desk lamp", "Floor lamp"]),
            "in": ({"stock__in": [0, 12]}, ["Chair", "Floor lamp"]),
            "in nothing": ({"stock__in": []}, []),
            "isnull": ({"stock__isnull": True}, [RUG]),
            "not null": ({"category_id__isnull": False}, ["Desk lamp"]),
            "none": ({"added": None, "active": False}, []),
            "json null": ({"details__isnull": False}, []),
            "boolean": ({"active": False}, ["Chair"]),
            "date": ({"added__ge": "2024-01-01"}, ["Chair"]),
            "like": ({"name__like": "%lamp"}, ["Desk lamp", "Floor lamp"]),
            "startswith": ({"name__startswith": "Desk"}, ["Desk lamp"]),
            "endswith": ({"name__endswith": "lamp"}, ["Desk lamp", "Floor lamp"]),
            "contains": ({"name__contains": "oor"}, ["Floor lamp"]),
            "key": ({"id": made["Chair"].id}, ["Chair"]),
        }
        for label, (filters, expected) in cases.items():
            with self.subTest(label):
                self.assertEqual(self.found(**filters), expected)

    def test_patterns_escape_percent_and_underscore(self):
        self.add_products()
        self.products.insert(name="100 cotton rug")

        self.assertEqual(self.found(name__contains="0%"), [RUG])
        self.assertEqual(self.found(name__contains="n_r"), [RUG])
        self.assertEqual(self.found(name__startswith="100%"), [RUG])
        self.assertEqual(self.found(name__contains="!"), [])
        self.assertCountEqual(self.found(name__like="100%"), ["100 cotton rug", RUG])

    def test_order_limit_offset_count_first(self):
        self.add_products()
        query = self.products.find(active=True).order("-price", "name")

        self.assertEqual(self.names(query), ["Floor lamp", RUG, "Desk lamp"])
        self.assertEqual(self.names(query.limit(2)), ["Floor lamp", RUG])
        self.assertEqual(self.names(query.offset(1)), [RUG, "Desk lamp"])
        self.assertEqual(self.names(query.offset(1).limit(1)), [RUG])
        self.assertEqual(query.count(), 3)
        self.assertEqual(query.limit(2).count(), 2)
        self.assertEqual(query.offset(2).count(), 1)
        self.assertEqual(query.first().name, "Floor lamp")
        self.assertEqual(query.find(price__lt=50).first().name, RUG)
        self.assertIsNone(query.find(name="nothing").first())
        self.assertEqual(self.products.find().count(), 4)

    def test_queries_of_one_shape_keep_their_own_values(self):
        categories = self.db.table("categories")
        lamps = categories.insert(name="Lamps")
        chairs = categories.insert(name="Chairs")
        rugs = categories.insert(name="Rugs")
        by_key = categories.find().order("id")

        self.assertEqual(self.names(categories.find(name="Lamps")), ["Lamps"])
        self.assertEqual(self.names(categories.find(name="Chairs")), ["Chairs"])
        self.assertEqual(self.names(categories.find(name=None)), [])
        self.assertEqual(self.names(by_key.limit(1)), ["Lamps"])
        self.assertEqual(self.names(by_key.limit(2)), ["Lamps", "Chairs"])
        self.assertEqual(self.names(by_key.offset(1).limit(1)), ["Chairs"])
        self.assertEqual(self.names(by_key.offset(2).limit(1)), ["Rugs"])
        self.assertEqual(self.names(by_key.find(id__in=[rugs.id])), ["Rugs"])
        self.assertEqual(
            self.names(by_key.find(id__in=[lamps.id, chairs.id])), ["Lamps", "Chairs"]
        )
        self.assertEqual(categories.get(chairs.id).name, "Chairs")
        self.assertEqual(categories.get(lamps.id).name, "Lamps")

    def test_reads_inside_a_transaction_go_on_after_a_failed_one(self):
        categories = self.db.table("categories")
        quote = self.database.dialect.quote
        renamed = f"ALTER TABLE {quote('categories')} RENAME COLUMN {{}} TO {{}}"
        name, title = quote("name"), quote("title")

        with self.database.transaction():
            lamps = categories.insert(name="Lamps")
            # NOTE: only PostgreSQL gives up the whole transaction at a
            # failed statement, and its renames stay inside the transaction.
            if self.database.dialect.failure_aborts_transaction:
                self.database.execute(renamed.format(name, title))
                with self.assertRaises(Exception):
                    categories.find().all()
                with self.assertRaises(Exception):
                    categories.get(lamps.id)
                self.database.execute(renamed.format(title, name))
            self.assertEqual(categories.get(lamps.id).name, "Lamps")
            self.assertEqual(self.names(categories.find()), ["Lamps"])

        self.assertEqual(self.names(categories.find()), ["Lamps"])

    def test_update_one_record(self):
        made = self.add_products()

        changed = self.products.update(made["Chair"].id, {"price": "50"}, stock=3)

        self.assertEqual((changed.price, changed.stock), (Decimal("50.00"), 3))
        self.assertEqual(self.products.get(made["Chair"].id).stock, 3)
        self.assertEqual(self.products.get(made["Desk lamp"].id).stock, 5)
        self.assertIsNone(self.products.update(987654, stock=1))

    def test_an_update_without_hooks_gives_the_row_as_stored(self):
        categories, prices = self.db.table("categories"), self.db.table("prices")
        lamps = categories.insert(name="Lamps")
        price = prices.insert(label="lamp", amount="19.90")

        renamed = categories.update(lamps.id, name="Lights")
        unchanged = categories.update(lamps.id, name="Lights")
        moved = categories.update(lamps.id, id=lamps.id + 10)
        repriced = prices.update(price.id, amount=Decimal("20.5"))

        self.assertEqual(dict(renamed), {"id": lamps.id, "name": "Lights"})
        self.assertEqual(dict(unchanged), dict(renamed))
        self.assertEqual(dict(moved), {"id": lamps.id + 10, "name": "Lights"})
        self.assertIsNone(categories.get(lamps.id))
        self.assertEqual(repriced.amount, Decimal("20.50"))
        self.assertEqual(dict(prices.get(price.id)), dict(repriced))
        self.assertIsNone(categories.update(987654, name="Nothing"))
        self.assertIsNone(prices.update(987654, amount=1))

    def test_a_refused_change_inside_a_transaction_lets_it_go_on(self):
        categories = self.db.table("categories")

        with self.database.transaction():
            lamps = categories.insert(name="Lamps")
            chairs = categories.insert(name="Chairs")
            with self.assertRaises(ConstraintError):
                categories.update(lamps.id, id=chairs.id)
            with self.assertRaises(ConstraintError):
                categories.insert(id=chairs.id, name="Again")
            categories.update(chairs.id, name="Seats")

        self.assertEqual(self.names(categories.find().order("id")), ["Lamps", "Seats"])

    def test_bulk_update_changes_matching_rows_and_runs_hooks(self):
        self.add_products()

        changed = self.products.find(name__endswith="lamp").update(stock=7)

        self.assertEqual(changed, 2)
        self.assertEqual(self.products.find(stock=7).count(), 2)
        after = [event for event in self.events if event[0] == "after_update"]
        self.assertCountEqual([e[2] for e in after], ["Desk lamp", "Floor lamp"])

    def test_delete_one_record(self):
        made = self.add_products()

        self.assertTrue(self.products.delete(made["Chair"].id))
        self.assertFalse(self.products.delete(made["Chair"].id))
        self.assertIsNone(self.products.get(made["Chair"].id))
        self.assertEqual(self.products.find().count(), 3)

    def test_bulk_delete_runs_the_hooks_of_every_row(self):
        self.add_products()

        deleted = self.products.find(active=True).delete()

        self.assertEqual(deleted, 3)
        self.assertEqual(self.names(self.products.find()), ["Chair"])
        for event in ("before_delete", "after_delete"):
            subjects = [e[2] for e in self.events if e[0] == event]
            self.assertCountEqual(subjects, ["Desk lamp", "Floor lamp", RUG])

    # Relations.

    def test_related_follows_a_reference(self):
        made = self.add_products()

        self.assertEqual(made["Desk lamp"].related("category").name, "Lamps")
        self.assertEqual(made["Desk lamp"].related("category_id").name, "Lamps")
        self.assertIsNone(made["Chair"].related("category"))
        with self.assertRaises(QueryError):
            made["Chair"].related("colour")

    def test_link_related_and_unlink_through_a_relation(self):
        made = self.add_products()
        tags = self.db.table("tags")
        light, cheap = tags.insert(name="light"), tags.insert(name="cheap")

        self.products.link(made["Desk lamp"], "tags", light)
        self.products.link(made["Desk lamp"].id, "tags", cheap.id)
        self.products.link(made["Floor lamp"], "tags", light)

        desk_tags = made["Desk lamp"].related("tags").order("name")
        self.assertEqual(self.names(desk_tags), ["cheap", "light"])
        self.assertEqual(self.names(made["Floor lamp"].related("tags")), ["light"])
        self.assertEqual(made["Chair"].related("tags").count(), 0)
        self.assertEqual(self.products.unlink(made["Desk lamp"], "tags", light), 1)
        self.assertEqual(self.names(made["Desk lamp"].related("tags")), ["cheap"])
        self.assertEqual(self.products.unlink(made["Desk lamp"], "tags", light), 0)

    # Hooks and computed fields.

    def test_before_insert_hook_fills_a_field(self):
        record = self.products.insert(name="Desk Lamp Deluxe")

        self.assertEqual(record.slug, "desk-lamp-deluxe")
        self.assertEqual(self.products.find(slug="desk-lamp-deluxe").count(), 1)

    def test_hooks_run_around_each_action_in_order(self):
        record = self.products.insert(name="Lamp")
        self.products.update(record.id, stock=1)
        list(self.products.find(name="Lamp"))
        self.products.delete(record.id)

        self.assertEqual(
            [event[0] for event in self.events],
            [
                "before_insert", "after_insert",
                "before_update", "after_update",
                "before_select", "after_select",
                "before_delete", "after_delete",
            ],
        )

    def test_a_failing_hook_rolls_back_the_write(self):
        made = self.add_products()

        def refuse(event):
            if event.name == "after_delete":
                raise ValueError("no")

        self.db.hooks._found["note"] = refuse
        with self.assertRaises(ValueError):
            self.products.find(active=True).delete()

        self.assertEqual(self.products.find().count(), 4)
        self.assertEqual(self.products.get(made["Chair"].id).name, "Chair")

    def test_computed_fields_appear_and_are_not_columns(self):
        record = self.products.insert(name="Lamp", price="10.00")

        self.assertEqual(record.price_with_tax, Decimal("12.00"))
        again = self.products.get(record.id)
        self.assertEqual(again["price_with_tax"], Decimal("12.00"))
        self.assertIn("price_with_tax", dict(record))
        self.assertNotIn("price_with_tax", self.live_schema()["products"])
        with self.assertRaisesRegex(QueryError, "computed, not stored"):
            self.products.insert(name="Other", price_with_tax=1)
        with self.assertRaisesRegex(QueryError, "computed, not stored"):
            self.products.update(record.id, price_with_tax=1)

    # Files.

    def test_a_deleted_records_file_goes_only_after_the_commit(self):
        photo = self.upload("lamp.jpg")
        record = self.products.insert(name="Lamp", photo="lamp.jpg")

        with self.db.transaction():
            self.products.delete(record.id)
            self.assertTrue(photo.exists(), "the file went before the commit")

        self.assertFalse(photo.exists())

    def test_a_rolled_back_delete_keeps_the_file(self):
        photo = self.upload("lamp.jpg")
        record = self.products.insert(name="Lamp", photo="lamp.jpg")

        with self.assertRaises(ZeroDivisionError), self.db.transaction():
            self.products.delete(record.id)
            1 / 0

        self.assertTrue(photo.exists())
        self.assertIsNotNone(self.products.get(record.id))

    def test_a_replaced_file_goes_after_the_commit(self):
        old, new = self.upload("old.jpg"), self.upload("new.jpg")
        record = self.products.insert(name="Lamp", photo="old.jpg")

        self.products.update(record.id, stock=2)
        self.assertTrue(old.exists(), "an update without the file kept it")
        self.products.update(record.id, photo="new.jpg")

        self.assertFalse(old.exists())
        self.assertTrue(new.exists())

    def test_an_after_delete_hook_removes_a_file_only_on_commit(self):
        self.upload("lamp.jpg")
        thumbnail = self.upload("lamp.jpg", folder="thumbnails")
        first = self.products.insert(name="Lamp", photo="lamp.jpg")
        second = self.products.insert(name="Lamp 2", photo="lamp.jpg")

        with self.assertRaises(KeyError), self.db.transaction():
            self.products.delete(first.id)
            {}["fail"]
        self.assertTrue(thumbnail.exists())

        self.products.find(id__in=[first.id, second.id]).delete()
        self.assertFalse(thumbnail.exists())

    # Hostile input.

    def test_hostile_names_and_values_are_refused_and_change_nothing(self):
        self.add_products()
        counts, schema = self.counts(), self.live_schema()

        for name in HOSTILE_NAMES:
            with self.subTest(filter=name), self.assertRaises(QueryError):
                self.products.find(**{name: "x"})
        for order in HOSTILE_ORDERS:
            with self.subTest(order=order), self.assertRaises(QueryError):
                self.products.find().order("name", order)
        for name in HOSTILE_NAMES:
            with self.subTest(insert=name), self.assertRaises(QueryError):
                self.products.insert({"name": "x", name: "y"})
        with self.assertRaises(QueryError):
            self.products.find(name="Chair\x00'; DROP TABLE products; --")
        with self.assertRaises(QueryError):
            self.products.insert(name="Chair\x00")
        with self.assertRaises(QueryError):
            self.products.find(name__ne="x").update(name="a\x00b")
        with self.assertRaises(QueryError):
            self.products.insert(name="x", details={"note": "a\x00b"})

        self.assertEqual(self.counts(), counts)
        self.assertEqual(self.live_schema(), schema)

    def test_hostile_text_is_stored_as_plain_data(self):
        text = "Robert'); DROP TABLE products; -- \"%_\\"

        record = self.products.insert(name=text)

        self.assertEqual(self.products.get(record.id).name, text)
        self.assertEqual(self.products.find(name=text).count(), 1)
        self.assertEqual(self.products.find(name__contains="%_\\").count(), 1)
        self.assertIn("products", self.live_schema())

    def test_values_of_the_wrong_type_are_refused(self):
        cases = {
            "price": "cheap",
            "stock": "many",
            "active": "yes",
            "added": "31 May",
            "name": 5,
            "photo": "../../etc/passwd",
            "details": {1, 2},
        }
        for name, value in cases.items():
            with self.subTest(name), self.assertRaisesRegex(QueryError, name):
                self.products.insert({"name": "x", name: value})
        with self.assertRaisesRegex(QueryError, "at most 80"):
            self.products.insert(name="x" * 81)
        self.assertEqual(self.products.find().count(), 0)


class SQLiteRecordsTest(RecordsCases, unittest.TestCase):
    """The shared cases on SQLite."""

    engine = "sqlite"


@dbsupport.needs_driver("postgresql")
class PostgreSQLRecordsTest(RecordsCases, unittest.TestCase):
    """The shared cases on PostgreSQL."""

    engine = "postgresql"


@dbsupport.needs_driver("mysql")
class MariaDBRecordsTest(RecordsCases, unittest.TestCase):
    """The shared cases on MariaDB."""

    engine = "mysql"


class RecordsDetailsTest(unittest.TestCase):
    """What does not depend on the engine, on SQLite."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.url = dbsupport.private_database(cls, "sqlite")
        database = Database(cls.url)
        install(database, SCHEMA)
        database.close()

    def setUp(self) -> None:
        self.database = Database(self.url)
        self.addCleanup(self.database.close)
        self.addCleanup(RecordsCases.empty_tables, self)
        self.tags = Records(self.database, SCHEMA).table("tags")

    def test_an_unknown_table_is_refused(self):
        db = Records(self.database, SCHEMA)

        with self.assertRaisesRegex(QueryError, "No table 'nothing' is described"):
            db.table("nothing")

    def test_hooks_without_a_resolver_say_what_to_pass(self):
        products = Records(self.database, SCHEMA).table("products")

        with self.assertRaisesRegex(ServiceError, "pass services= to Records"):
            products.insert(name="Lamp")
        self.assertEqual(self.database.rows('SELECT COUNT(*) FROM "products"'), [(0,)])

    def test_files_without_a_root_are_refused(self):
        db = Records(self.database, SCHEMA, services=lambda name: lambda *a: None)
        products = db.table("products")
        record = products.insert(name="Lamp", photo="lamp.jpg")

        with self.assertRaisesRegex(QueryError, "pass root= to Records"):
            products.delete(record.id)
        self.assertIsNotNone(products.get(record.id))

    def test_a_query_is_lazy_and_shows_its_sql(self):
        query = self.tags.find(name__startswith="a%").order("-name").limit(3).offset(1)

        statement, params = query.statement()

        self.assertEqual(
            statement,
            'SELECT "id", "name" FROM "tags" WHERE ("name" LIKE ? ESCAPE \'!\') '
            'ORDER BY "name" DESC LIMIT ? OFFSET ?',
        )
        self.assertEqual(params, ["a!%%", 3, 1])

    def test_bad_limits_and_offsets_are_refused(self):
        for bad in (-1, "3", 1.5, True):
            with self.subTest(bad), self.assertRaises(QueryError):
                self.tags.find().limit(bad)
            with self.subTest(bad), self.assertRaises(QueryError):
                self.tags.find().offset(bad)

    def test_filter_mistakes_say_what_to_do(self):
        cases = {
            "name__gt": (None, "isnull"),
            "name__in": ("abc", "list of values"),
            "name__isnull": ("yes", "True or False"),
            "id__contains": ("1", "needs a text field"),
            "name__regex": ("a", "the operators are"),
            "colour": ("a", "its fields are id, name"),
            "name__between": ("a", "unknown operator"),
        }
        for name, (value, message) in cases.items():
            with self.subTest(name), self.assertRaisesRegex(QueryError, message):
                self.tags.find(**{name: value})

    def test_json_fields_are_only_filtered_by_null(self):
        products = Records(self.database, SCHEMA).table("products")

        with self.assertRaisesRegex(QueryError, "details__isnull"):
            products.find(details={"a": 1})
        self.assertEqual(len(products.find(details=None).where()[1]), 0)

    def test_a_record_reads_like_a_mapping_and_an_object(self):
        record = self.tags.insert(name="light")

        self.assertEqual(dict(record), {"id": record.id, "name": "light"})
        self.assertEqual(record["name"], record.name)
        self.assertEqual(record.key_fields(), {"id": record.id})
        with self.assertRaisesRegex(AttributeError, "'Record of tags' .* 'colour'"):
            record.colour
        self.assertTrue(issubclass(QueryError, FwError))

    def test_a_record_holds_any_field_name(self):
        schema = parse_schema({"things": ({
            "fields": {
                "id": {"type": "integer", "primary": True},
                "class": {"type": "text"},
                "_hidden": {"type": "text"},
                "values": {"type": "text"},
            },
        }, "schema/things.json")})
        database = Database("sqlite:///:memory:")
        self.addCleanup(database.close)
        install(database, schema)
        things = Records(database, schema).table("things")

        things.insert(id=1, **{"class": "a", "_hidden": "b", "values": "c"})
        thing = things.get(1)

        self.assertEqual(getattr(thing, "class"), "a")
        self.assertEqual((thing["_hidden"], thing["values"]), ("b", "c"))
        self.assertEqual(list(thing), ["id", "class", "_hidden", "values"])
        self.assertEqual(len(thing), 4)
        self.assertIn("_hidden", thing)
        self.assertNotIn("colour", thing)
        self.assertEqual(thing, {"id": 1, "class": "a", "_hidden": "b", "values": "c"})
        self.assertIn("'class': 'a'", repr(thing))
        with self.assertRaises(AttributeError):
            thing._hidden
        with self.assertRaises(KeyError):
            thing["colour"]
        with self.assertRaises(AttributeError):
            thing.id = 2

    def test_computed_fields_are_worked_out_from_the_stored_ones(self):
        schema = parse_schema({"things": ({
            "fields": {
                "id": {"type": "integer", "primary": True},
                "price": {"type": "decimal", "precision": 6, "scale": 2},
            },
            "computed": {"double": "double", "label": "label"},
        }, "schema/things.json")})
        database = Database("sqlite:///:memory:")
        self.addCleanup(database.close)
        install(database, schema)
        seen = []

        def double(record):
            seen.append((dict(record), "label" in record, record.get("label")))
            return record.price * 2

        services = {"double": double, "label": lambda record: f"#{record.id}"}
        things = Records(database, schema, services=services.__getitem__)
        things = things.table("things")
        things.insert(id=1, price="1.50")
        seen.clear()

        thing = things.find(id=1).first()

        self.assertEqual(seen, [({"id": 1, "price": Decimal("1.50")}, False, None)])
        self.assertEqual((thing.double, thing.label), (Decimal("3.00"), "#1"))
        self.assertEqual(list(thing), ["id", "price", "double", "label"])

    def test_records_without_services_serve_every_request(self):
        plain = parse_schema({"tags": ({"fields": TABLES["tags"]["fields"]}, "x")})
        shared = Records(self.database, plain)
        hooked = Records(self.database, SCHEMA)
        services = {"note": print}.__getitem__

        self.assertIs(shared.with_services(services), shared)
        made = hooked.with_services(services)
        self.assertIsNot(made, hooked)
        self.assertIs(made.hooks.service(SCHEMA.table("products"), "note", ""), print)
        self.assertIs(made.database, hooked.database)

    def test_a_file_path_outside_the_folder_is_left_alone(self):
        with tempfile.TemporaryDirectory() as folder:
            db = Records(self.database, SCHEMA, root=Path(folder))
            column = SCHEMA.table("products").field("photo")

            inside = db.file_path(SCHEMA.table("products"), column, "a/b.jpg")
            with self.assertLogs("fw.db.records", "WARNING"):
                outside = db.file_path(SCHEMA.table("products"), column, "../../x")

        self.assertEqual(inside, Path(folder).resolve() / "var/uploads/a/b.jpg")
        self.assertIsNone(outside)

    def test_fields_named_like_record_methods_are_read_with_brackets(self):
        schema = parse_schema({"things": ({
            "fields": {
                "id": {"type": "integer", "primary": True},
                "items": {"type": "text"},
                "key": {"type": "text"},
                "label": {"type": "text"},
            },
        }, "schema/things.json")})
        database = Database("sqlite:///:memory:")
        self.addCleanup(database.close)
        install(database, schema)
        things = Records(database, schema).table("things")

        thing = things.insert(id=1, items="many", key="k", label="one")

        self.assertEqual((thing.id, thing.label), (1, "one"))
        self.assertEqual((thing["items"], thing["key"]), ("many", "k"))
        self.assertEqual(
            list(thing.items()),
            [("id", 1), ("items", "many"), ("key", "k"), ("label", "one")],
        )
        self.assertEqual(thing.key, 1)
        with self.assertRaisesRegex(AttributeError, "'Record of things' .* 'nothing'"):
            thing.nothing

    def test_nested_writes_join_the_outer_transaction(self):
        with self.assertRaises(RuntimeError), self.database.transaction():
            self.tags.insert(name="one")
            self.tags.insert(name="two")
            raise RuntimeError("undo both")

        self.assertEqual(self.tags.find().count(), 0)


if __name__ == "__main__":
    unittest.main()
