import copy
import unittest
from datetime import date, datetime, time
from decimal import Decimal

from fw.db.dialects.sqlite import DIALECT as SQLITE
from fw.db.migrate import (
    DataLossRefused,
    MigrationError,
    install,
    plan,
    status,
    upgrade,
)
from fw.db.schema import parse_schema
from fw.plain import replace

from .dbsupport import EngineTestCase, needs_driver

DESCRIPTIONS = {
    "categories": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 80, "required": True, "unique": True},
            "parent_id": {
                "type": "integer",
                "references": "categories.id",
                "on_delete": "set null",
            },
        },
        "seed": [{"name": "Books"}, {"name": "Music"}],
    },
    "products": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {"type": "text", "length": 120, "required": True},
            "notes": "text",
            "price": {"type": "decimal", "precision": 10, "scale": 2, "default": 0},
            "in_stock": {"type": "boolean", "required": True, "default": True},
            "released": "date",
            "opens": "time",
            "updated": "datetime",
            "photo": {"type": "file", "length": 200},
            "details": "json",
            "label": {"type": "text", "length": 20, "default": "it's 50% ?"},
            "category_id": {
                "type": "integer", "references": "categories.id", "on_delete": "cascade"
            },
        },
        "indexes": {
            "products_by_price": ["price", "name"],
            "products_by_photo": {"fields": ["photo"], "unique": True},
        },
    },
    "users": {
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "email": {"type": "text", "length": 200, "required": True, "unique": True},
        },
        "relations": {"roles": {"through": "user_roles", "to": "roles"}},
    },
    "roles": {
        "fields": {"code": {"type": "text", "length": 20, "primary": True}},
    },
    "user_roles": {
        "primary_key": ["user_id", "role_id"],
        "fields": {
            "user_id": {
                "type": "integer", "references": "users.id", "on_delete": "cascade"
            },
            "role_id": {"type": "text", "length": 20, "references": "roles.code"},
        },
    },
}


def schema_of(descriptions):
    return parse_schema(
        {name: (data, f"schema/{name}.json") for name, data in descriptions.items()}
    )


def changed(**tables):
    """Return the descriptions with some tables replaced (None drops one)."""
    descriptions = copy.deepcopy(DESCRIPTIONS)
    for name, data in tables.items():
        if data is None:
            descriptions.pop(name)
        else:
            descriptions[name] = data
    return descriptions


def without_names(live):
    return replace(live, constraints={})


class MigrateCases:
    """The migration tests, run once per engine."""

    def install_all(self):
        install(self.database, schema_of(DESCRIPTIONS))

    def insert(self, table, **values):
        described = schema_of(DESCRIPTIONS).table(table)
        dialect = self.database.dialect
        statement, _ = dialect.insert(described, list(values))
        data = [dialect.to_db(described.field(n), v) for n, v in values.items()]
        self.database.execute(statement, data)

    def live(self):
        return self.database.dialect.read_schema(self.database)

    def test_install_reads_back_as_described(self):
        schema = schema_of(DESCRIPTIONS)

        install(self.database, schema)

        live = self.live()
        self.assertEqual(sorted(live), sorted(schema.tables))
        for table in schema.tables.values():
            with self.subTest(table=table.name):
                expected = self.database.dialect.expected(table)
                self.assertEqual(without_names(live[table.name]), expected)
        self.assertFalse(status(self.database, schema))

    def test_install_adds_the_seed_rows(self):
        self.install_all()

        rows = self.database.rows("SELECT id, name FROM categories ORDER BY id")

        self.assertEqual(rows, [(1, "Books"), (2, "Music")])
        self.insert("categories", name="Films")
        self.assertEqual(self.database.rows("SELECT MAX(id) FROM categories"), [(3,)])

    def test_values_of_every_type_come_back_as_stored(self):
        self.install_all()
        table = schema_of(DESCRIPTIONS).table("products")
        values = {
            "name": "Lamp",
            "notes": "ünïcode ✓ " * 50,
            "price": Decimal("1234.50"),
            "in_stock": False,
            "released": date(2024, 2, 29),
            "opens": time(9, 30, 15),
            "updated": datetime(2024, 3, 1, 12, 0, 5, 250000),
            "photo": "products/lamp.jpg",
            "details": {"colours": ["red", "blue"], "watts": 40},
            "category_id": 1,
        }

        self.insert("products", **values)

        names = list(values) + ["label"]
        row = self.database.rows(f"SELECT {', '.join(names)} FROM products")[0]
        dialect = self.database.dialect
        found = {n: dialect.from_db(table.field(n), v) for n, v in zip(names, row)}
        self.assertEqual(found, {**values, "label": "it's 50% ?"})

    def test_install_refuses_a_described_table_in_another_shape(self):
        self.install_all()
        users = copy.deepcopy(DESCRIPTIONS["users"])
        users["fields"]["email"]["length"] = 300

        with self.assertRaises(MigrationError) as caught:
            install(self.database, schema_of(changed(users=users)))

        self.assertIn("users.email", str(caught.exception))
        self.assertIn("db upgrade", str(caught.exception))
        self.assertEqual(self.live()["users"].column("email").length, 200)

    def test_upgrade_adds_a_column_and_an_index_keeping_rows(self):
        self.install_all()
        self.insert("users", email="ann@example.org")
        self.insert("users", email="bob@example.org")
        users = copy.deepcopy(DESCRIPTIONS["users"])
        users["fields"]["nickname"] = {"type": "text", "length": 40}
        users["fields"]["active"] = {
            "type": "boolean", "required": True, "default": True
        }
        users["indexes"] = {"users_by_nickname": ["nickname"]}

        done = upgrade(self.database, schema_of(changed(users=users)))

        self.assertTrue(done.steps)
        live = self.live()["users"]
        self.assertEqual(live.column("nickname").length, 40)
        self.assertEqual(live.indexes[0].fields, ("nickname",))
        rows = self.database.rows(
            "SELECT email, nickname, active FROM users ORDER BY id"
        )
        self.assertEqual(
            [(e, n, bool(a)) for e, n, a in rows],
            [("ann@example.org", None, True), ("bob@example.org", None, True)],
        )
        self.assertFalse(status(self.database, schema_of(changed(users=users))))

    def test_a_required_column_without_default_is_refused_on_rows(self):
        self.install_all()
        self.insert("users", email="ann@example.org")
        users = copy.deepcopy(DESCRIPTIONS["users"])
        users["fields"]["age"] = {"type": "integer", "required": True}

        with self.assertRaises(MigrationError) as caught:
            upgrade(self.database, schema_of(changed(users=users)))

        self.assertIn("users.age", str(caught.exception))
        self.assertIn("default", str(caught.exception))
        self.assertIsNone(self.live()["users"].column("age"))

    def test_described_renames_keep_the_data(self):
        self.install_all()
        self.insert("users", email="ann@example.org")
        self.insert("roles", code="admin")
        self.insert("user_roles", user_id=1, role_id="admin")
        people = copy.deepcopy(DESCRIPTIONS["users"])
        people["previous_name"] = "users"
        email = people["fields"].pop("email")
        people["fields"]["mail"] = dict(email, previous_name="email")
        people["relations"]["roles"]["through"] = "user_roles"
        links = copy.deepcopy(DESCRIPTIONS["user_roles"])
        links["fields"]["user_id"]["references"] = "people.id"

        renamed = changed(users=None, people=people, user_roles=links)
        upgrade(self.database, schema_of(renamed))

        live = self.live()
        self.assertNotIn("users", live)
        rows = self.database.rows("SELECT id, mail FROM people")
        self.assertEqual(rows, [(1, "ann@example.org")])
        self.assertEqual(live["user_roles"].references["user_id"][0], "people")
        self.assertEqual(self.database.rows("SELECT user_id FROM user_roles"), [(1,)])

    def test_a_new_name_without_previous_name_is_not_a_rename(self):
        self.install_all()
        groups = copy.deepcopy(DESCRIPTIONS["roles"])

        found = status(self.database, schema_of(changed(groups=groups)))

        self.assertEqual([s.kind for s in found.steps], ["create"])
        plain_users = {"fields": DESCRIPTIONS["users"]["fields"]}
        fewer = changed(roles=None, user_roles=None, users=plain_users)
        found = status(self.database, schema_of(fewer))
        self.assertEqual(
            sorted(s.description for s in found.refused),
            ["Drop table roles, which no description names",
             "Drop table user_roles, which no description names"],
        )

    def test_a_drop_without_the_flag_is_refused_and_changes_nothing(self):
        self.install_all()
        self.insert("users", email="ann@example.org")
        users = copy.deepcopy(DESCRIPTIONS["users"])
        users["fields"]["nickname"] = {"type": "text", "length": 40}
        del users["relations"]
        before = self.live()

        with self.assertRaises(DataLossRefused) as caught:
            upgrade(
                self.database,
                schema_of(changed(users=users, roles=None, user_roles=None)),
            )

        message = str(caught.exception)
        self.assertIn("Drop table user_roles", message)
        self.assertIn("--allow-data-loss", message)
        self.assertEqual(self.live(), before)

    def test_a_drop_with_the_flag_drops(self):
        self.install_all()
        self.insert("users", email="ann@example.org")
        users = copy.deepcopy(DESCRIPTIONS["users"])
        del users["relations"]
        products = copy.deepcopy(DESCRIPTIONS["products"])
        del products["fields"]["notes"]
        del products["indexes"]["products_by_price"]

        schema = schema_of(changed(users=users, products=products, user_roles=None))
        upgrade(self.database, schema, allow_data_loss=True)

        live = self.live()
        self.assertNotIn("user_roles", live)
        self.assertIsNone(live["products"].column("notes"))
        indexes = [index.name for index in live["products"].indexes]
        self.assertEqual(indexes, ["products_by_photo"])
        rows = self.database.rows("SELECT email FROM users")
        self.assertEqual(rows, [("ann@example.org",)])
        self.assertFalse(status(self.database, schema))

    def test_widening_is_applied_and_narrowing_refused(self):
        self.install_all()
        self.insert("users", email="ann@example.org")
        wider = copy.deepcopy(DESCRIPTIONS["users"])
        wider["fields"]["email"]["length"] = 300
        narrower = copy.deepcopy(DESCRIPTIONS["users"])
        narrower["fields"]["email"]["length"] = 100

        upgrade(self.database, schema_of(changed(users=wider)))
        with self.assertRaises(DataLossRefused):
            upgrade(self.database, schema_of(changed(users=narrower)))

        email = self.live()["users"].column("email")
        self.assertEqual((email.length, email.unique), (300, True))
        rows = self.database.rows("SELECT email FROM users")
        self.assertEqual(rows, [("ann@example.org",)])

    def test_dry_run_returns_the_sql_and_changes_nothing(self):
        self.install_all()
        users = copy.deepcopy(DESCRIPTIONS["users"])
        users["fields"]["nickname"] = {"type": "text", "length": 40}
        before = self.live()

        done = upgrade(self.database, schema_of(changed(users=users)), dry_run=True)

        text = done.sql()
        self.assertIn("nickname", text)
        self.assertIn(self.database.dialect.quote("users"), text)
        self.assertTrue(text.rstrip().endswith(";"))
        self.assertEqual(self.live(), before)

    def test_install_of_an_empty_database_prints_every_table(self):
        done = upgrade(self.database, schema_of(DESCRIPTIONS), dry_run=True)

        self.assertEqual(self.live(), {})
        for name in DESCRIPTIONS:
            quoted = self.database.dialect.quote(name)
            self.assertIn(f"CREATE TABLE {quoted}", done.sql())


class SQLiteMigrateTestCase(MigrateCases, EngineTestCase):
    engine = "sqlite"

    def test_a_rebuild_keeps_rows_and_references(self):
        self.install_all()
        self.insert("products", name="Lamp", category_id=2)
        products = copy.deepcopy(DESCRIPTIONS["products"])
        products["fields"]["name"]["unique"] = True
        products["fields"]["name"]["length"] = 200

        done = upgrade(self.database, schema_of(changed(products=products)))

        self.assertEqual([s.kind for s in done.steps], ["rebuild"])
        self.assertTrue(self.live()["products"].column("name").unique)
        self.assertEqual(len(self.live()["products"].indexes), 2)
        self.database.execute("DELETE FROM categories WHERE id = 2")
        self.assertEqual(self.database.rows("SELECT COUNT(*) FROM products"), [(0,)])

    def test_a_rebuild_that_breaks_a_reference_applies_nothing(self):
        self.install_all()
        self.database.execute("PRAGMA foreign_keys = OFF")
        self.insert("products", name="Lamp", category_id=99)
        self.database.execute("PRAGMA foreign_keys = ON")
        products = copy.deepcopy(DESCRIPTIONS["products"])
        products["fields"]["name"]["unique"] = True

        with self.assertRaises(MigrationError) as caught:
            upgrade(self.database, schema_of(changed(products=products)))

        self.assertIn("products", str(caught.exception))
        self.assertFalse(self.live()["products"].column("name").unique)


@needs_driver("postgresql")
class PostgreSQLMigrateTestCase(MigrateCases, EngineTestCase):
    engine = "postgresql"


@needs_driver("mysql")
class MariaDBMigrateTestCase(MigrateCases, EngineTestCase):
    engine = "mysql"


class PlanTestCase(unittest.TestCase):
    """Plans made from descriptions alone, without a database."""

    def test_an_empty_database_gets_every_table_in_dependency_order(self):
        found = plan(schema_of(DESCRIPTIONS), {}, SQLITE)

        created = [s.table for s in found.steps]
        self.assertLess(created.index("categories"), created.index("products"))
        self.assertLess(created.index("roles"), created.index("user_roles"))
        self.assertEqual(found.refused, [])

    def test_index_names_shared_by_two_tables_are_a_problem(self):
        roles = copy.deepcopy(DESCRIPTIONS["roles"])
        roles["indexes"] = {"products_by_price": ["code"]}

        found = plan(schema_of(changed(roles=roles)), {}, SQLITE)

        self.assertIn("products_by_price", found.problems[0])

    def test_describe_lists_refused_changes(self):
        plain_users = {"fields": DESCRIPTIONS["users"]["fields"]}
        schema = schema_of(changed(roles=None, user_roles=None, users=plain_users))
        live = {
            name: SQLITE.expected(table)
            for name, table in schema_of(DESCRIPTIONS).tables.items()
        }

        text = plan(schema, live, SQLITE).describe()

        self.assertIn("refused (loses data): Drop table roles", text)


if __name__ == "__main__":
    unittest.main()
