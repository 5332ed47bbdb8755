import unittest

from fw.config import Configuration
from fw.db.schema import Field, Schema, Table, load_schema
from fw.exceptions import ConfigError
from fw.finder import Finder, Layer

from .support import AppTestCase

CATEGORIES_JSON = """{
  "fields": {
    "id": {"type": "integer", "primary": true, "auto": true},
    "name": {"type": "text", "length": 80, "required": true, "unique": true}
  },
  "terms": {"zero": "categories.none", "one": "categories.one"}
}
"""

PRODUCTS_TOML = """
indexes.by_price = ["price", "name"]

[fields.id]
type = "integer"
primary = true
auto = true

[fields.name]
type = "text"
length = 120
required = true

[fields.price]
type = "decimal"
precision = 10
scale = 2
default = 0

[fields.category_id]
type = "integer"
references = "categories.id"
on_delete = "set null"

[fields.photo]
type = "file"
folder = "products"
"""

ROLES_INI = """
[fields.id]
type = integer
primary = true
auto = true

[fields.name]
type = text
length = 40
required = true
"""

USER_ROLES_XML = """<config>
  <primary_key><item>user_id</item><item>role_id</item></primary_key>
  <fields>
    <user_id><type>integer</type><references>users.id</references>
      <on_delete>cascade</on_delete></user_id>
    <role_id><type>integer</type><references>roles.id</references>
      <on_delete>cascade</on_delete></role_id>
  </fields>
</config>
"""

USERS_JSON = """{
  "fields": {
    "id": {"type": "integer", "primary": true, "auto": true},
    "email": {"type": "text", "length": 200, "required": true, "unique": true},
    "settings": "json"
  },
  "relations": {"roles": {"through": "user_roles", "to": "roles"}}
}
"""


class LoadSchemaTestCase(AppTestCase):
    files = {
        "common/schema/categories.json": CATEGORIES_JSON,
        "common/schema/products.toml": PRODUCTS_TOML,
        "common/schema/roles.ini": ROLES_INI,
        "common/schema/user_roles.xml": USER_ROLES_XML,
        "common/schema/users.json": USERS_JSON,
    }

    def load(self):
        finder = Finder([Layer("common", self.root / "common")])
        return load_schema(finder, Configuration(finder, folder="schema"))

    def test_every_format_is_read_into_tables(self):
        schema = self.load()

        self.assertEqual(
            sorted(schema.tables),
            ["categories", "products", "roles", "user_roles", "users"],
        )
        products = schema.table("products")
        self.assertEqual(products.field("price").precision, 10)
        self.assertEqual(products.field("category_id").references.on_delete, "set null")
        self.assertEqual(products.indexes[0].fields, ("price", "name"))
        self.assertEqual(schema.table("user_roles").primary_key, ("user_id", "role_id"))
        self.assertTrue(schema.table("roles").field("name").required)

    def test_the_relation_finds_its_link_fields(self):
        relation = self.load().table("users").relation("roles")

        self.assertEqual((relation.source, relation.target), ("user_id", "role_id"))

    def test_tables_come_after_the_tables_they_reference(self):
        order = [table.name for table in self.load().dependency_order()]

        self.assertLess(order.index("categories"), order.index("products"))
        self.assertLess(order.index("users"), order.index("user_roles"))
        self.assertLess(order.index("roles"), order.index("user_roles"))


class BrokenDescriptionTestCase(AppTestCase):
    def load_with(self, name, text):
        self.write({f"common/schema/{name}": text})
        finder = Finder([Layer("common", self.root / "common")])
        with self.assertRaises(ConfigError) as caught:
            load_schema(finder, Configuration(finder, folder="schema"))
        return caught.exception

    def test_an_unknown_type_names_the_file_and_the_types(self):
        error = self.load_with(
            "things.toml", '[fields.id]\ntype = "integer"\nprimary = true\n'
            '[fields.size]\ntype = "bigness"\n'
        )

        self.assertIn("things.toml", str(error))
        self.assertIn("'bigness'", str(error))
        self.assertIn("integer, decimal, text", str(error))

    def test_a_reference_to_a_missing_table_says_what_to_describe(self):
        error = self.load_with(
            "orders.json",
            '{"fields": {"id": {"type": "integer", "primary": true},'
            ' "client_id": {"type": "integer", "references": "clients.id"}}}',
        )

        self.assertIn("orders.json", str(error))
        self.assertIn("clients.id", str(error))
        self.assertIn("schema/clients.*", str(error))

    def test_a_reference_to_a_missing_field_names_the_file(self):
        self.write({"common/schema/roles.ini": ROLES_INI})
        error = self.load_with(
            "grants.xml",
            "<config><fields><id><type>integer</type><primary>true</primary></id>"
            "<role_id><type>integer</type><references>roles.code</references>"
            "</role_id></fields></config>",
        )

        self.assertIn("grants.xml", str(error))
        self.assertIn("grants.role_id references roles.code", str(error))

    def test_an_unknown_key_lists_the_known_ones(self):
        error = self.load_with(
            "notes.ini", "[fields.id]\ntype = integer\nprimary = true\nsize = 3\n"
        )

        self.assertIn("notes.ini", str(error))
        self.assertIn("unknown key(s) size", str(error))


class ValuesTestCase(unittest.TestCase):
    """Descriptions are plain values: compared by their fields, never shared."""

    def test_each_value_has_its_own_default_mappings(self):
        first, second = Field("a", "text"), Field("a", "text")
        table = Table("t", (first,), ("a",))

        self.assertEqual(first, second)
        self.assertIsNot(first.validation, second.validation)
        self.assertIsNot(table.terms, Table("t", (first,), ("a",)).terms)

    def test_a_schema_leaves_its_plans_out_of_equality_and_repr(self):
        table = Table("t", (Field("a", "text"),), ("a",))
        schema, again = Schema({"t": table}), Schema({"t": table})

        schema.plans["t", "sqlite"] = object()

        self.assertEqual(schema, again)
        self.assertEqual(again.plans, {})
        self.assertTrue(repr(schema).startswith("Schema(tables={'t': Table("))
        self.assertNotIn("plans", repr(schema))


if __name__ == "__main__":
    unittest.main()
