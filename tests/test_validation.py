"""Tests of fw.validation: the shared vectors, then what only Python shows."""

from __future__ import annotations

import datetime
import json
import re
import tempfile
import unittest
import warnings
from decimal import Decimal
from pathlib import Path

from fw.config import Configuration
from fw.db.schema import parse_table
from fw.exceptions import ConfigError
from fw.finder import Finder, Layer
from fw.validation import (
    RULES,
    PatternError,
    clean,
    convert,
    read,
    rules_for_field,
    rules_for_form,
    rules_for_table,
    rules_to_json,
    shared_source,
    validate,
)

VECTORS = Path(__file__).parent / "vectors" / "validation.json"


def load_vectors() -> list[dict]:
    """Return the shared cases of tests/vectors/validation.json."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]


def _short(written: object) -> object:
    return written["value"] if isinstance(written, dict) else written


PRODUCTS = {
    "fields": {
        "id": {"type": "integer", "primary": True, "auto": True},
        "name": {"type": "text", "length": 120, "required": True},
        "price": {"type": "decimal", "precision": 10, "scale": 2, "required": True},
        "active": {"type": "boolean", "required": True},
        "photo": {"type": "file", "required": True},
        "released": {"type": "date"},
        "slug": {
            "type": "text",
            "length": 140,
            "validation": {
                "pattern": {"value": "^[a-z0-9-]+$", "message": "products.slug.bad"},
                "min_length": 2,
            },
        },
    }
}


class VectorsTestCase(unittest.TestCase):
    def test_the_vector_file_covers_every_rule_and_type(self):
        cases = load_vectors()
        rules = {error["rule"] for case in cases for errors in case["errors"].values()
                 for error in errors}
        types = {_short(spec.get("type", "text")) for case in cases
                 for spec in case["rules"].values()}

        self.assertGreaterEqual(len(cases), 250)
        self.assertEqual(rules, set(RULES))
        self.assertEqual(types, {"text", "integer", "decimal", "boolean", "date",
                                 "time", "datetime", "email", "url"})

    def test_python_gives_the_expected_errors_in_order(self):
        for case in load_vectors():
            with self.subTest(case["name"]):
                found = validate(rules_for_form(case["rules"]), case["input"])

                self.assertEqual(list(found.items()), list(case["errors"].items()))


class ReadingTestCase(unittest.TestCase):
    def test_clean_normalises_line_breaks_then_trims_ascii_space(self):
        self.assertEqual(clean(" \r\na\r\nb\rc\f\t "), "a\nb\nc")
        self.assertEqual(clean("\u00a0x\u2003"), "\u00a0x\u2003")
        self.assertEqual(clean(None), "")

    def test_a_value_that_is_not_text_is_refused_with_advice(self):
        with self.assertRaisesRegex(TypeError, "string or None, not list"):
            clean(["a"])

    def test_readings_give_the_language_values(self):
        self.assertEqual(read("integer", " -0 ").value, 0)
        self.assertIsInstance(read("decimal", "2.50").value, float)
        self.assertEqual(read("decimal", "3.000").value, 3)
        self.assertIsInstance(read("decimal", "3.000").value, int)
        self.assertEqual(read("time", "09:30").value, "09:30:00")
        self.assertEqual(
            read("datetime", "2024-01-02 03:04").value, "2024-01-02T03:04:00"
        )
        self.assertIs(read("boolean", None).value, False)
        self.assertTrue(read("text", "  ").missing)
        self.assertFalse(read("boolean", "").missing)

    def test_convert_gives_python_types(self):
        rules = rules_for_form({
            "n": {"type": "integer"}, "d": {"type": "decimal"},
            "b": {"type": "boolean"}, "day": {"type": "date"},
            "t": {"type": "time"}, "at": {"type": "datetime"},
            "s": {}, "gone": {"type": "integer"},
        })
        form = {"n": "+12", "d": "0.10", "b": "on", "day": "2024-02-29",
                "t": "09:30", "at": "2024-02-29 23:59:58", "s": " x "}

        values = convert(rules, form)

        self.assertEqual(values["n"], 12)
        self.assertEqual(values["d"], Decimal("0.10"))
        self.assertEqual(str(values["d"]), "0.10")
        self.assertIs(values["b"], True)
        self.assertEqual(values["day"], datetime.date(2024, 2, 29))
        self.assertEqual(values["t"], datetime.time(9, 30))
        self.assertEqual(values["at"], datetime.datetime(2024, 2, 29, 23, 59, 58))
        self.assertEqual(values["s"], "x")
        self.assertIsNone(values["gone"])

    def test_validate_refuses_rules_that_were_not_loaded(self):
        with self.assertRaisesRegex(TypeError, "rules_for_form"):
            validate({"name": {"required": True}}, {})


class RuleLoadingTestCase(unittest.TestCase):
    def assertRefused(self, rules, *fragments):
        with self.assertRaises(ConfigError) as caught:
            rules_for_form(rules, origin="common/presenters/signup.meta.json")
        message = str(caught.exception)
        self.assertTrue(message.startswith("common/presenters/signup.meta.json: "))
        for fragment in fragments:
            self.assertIn(fragment, message)

    def test_rules_are_kept_in_the_fixed_order_with_default_messages(self):
        rules = rules_for_form({"age": {
            "condition": "value > 1", "max": 9, "required": True, "type": "integer",
        }})

        field = rules.field("age")

        self.assertEqual([r.name for r in field.rules],
                         ["required", "type", "max", "condition"])
        self.assertEqual(field.rule("type").message, "validation.type.integer")
        self.assertEqual(field.rule("max").message, "validation.max")
        self.assertTrue(field.required)

    def test_unknown_rules_and_wrong_values_name_the_field_and_rule(self):
        self.assertRefused({"age": {"minimum": 3}}, "age", "minimum", "min_length")
        self.assertRefused({"age": {"type": "number"}}, "age", "'type'", "integer")
        self.assertRefused({"age": {"required": "yes"}}, "'required'", "true or false")
        self.assertRefused({"n": {"min_length": -1}}, "'min_length'", "at least 0")
        self.assertRefused({"n": {"max_length": True}}, "'max_length'")
        self.assertRefused({"n": {"type": "integer", "min": 1.5}}, "'min'", "whole")
        self.assertRefused({"n": {"type": "integer", "max": 2**53}}, "'max'")
        self.assertRefused({"n": {"type": "decimal", "min": "1e3"}}, "'min'", "9.99")
        self.assertRefused({"n": {"type": "date", "min": "2023-02-29"}}, "'min'")
        self.assertRefused({"n": {"one_of": []}}, "'one_of'", "list")
        self.assertRefused({"n": {"type": "integer", "one_of": ["x"]}}, "'one_of'")
        self.assertRefused({"n": "required"}, "field n", "mapping")

    def test_a_rule_must_fit_the_field_type(self):
        self.assertRefused({"n": {"type": "integer", "max_length": 3}},
                           "type integer", "'max_length'", "text, email, url")
        self.assertRefused({"n": {"min": 3}}, "type text", "'min'")
        self.assertRefused({"n": {"type": "boolean", "pattern": "^a$"}}, "'pattern'")
        self.assertRefused({"n": {"type": "integer", "decimals": 2}}, "'decimals'")

    def test_contradicting_bounds_are_refused(self):
        self.assertRefused({"n": {"min_length": 5, "max_length": 4}}, "no value")
        self.assertRefused(
            {"n": {"type": "decimal", "min": "2.5", "max": 2}}, "no value"
        )
        self.assertRefused({"n": {"type": "date", "min": "2024-02-01",
                                  "max": "2024-01-31"}}, "no value")

    def test_the_long_form_takes_only_value_and_message(self):
        short = {"value": 2, "message": "n.short"}
        rules = rules_for_form({"n": {"min_length": short}})

        self.assertEqual(rules.field("n").rule("min_length").message, "n.short")
        self.assertRefused({"n": {"min_length": {"message": "n.short"}}}, "'value'")
        self.assertRefused({"n": {"min_length": {"value": 2, "text": "x"}}}, "'value'")
        self.assertRefused({"n": {"min_length": {"value": 2, "message": 3}}},
                           "message key")

    def test_toml_dates_and_times_serve_as_limits(self):
        rules = rules_for_form({
            "day": {"type": "date", "min": datetime.date(2024, 1, 1)},
            "at": {"type": "time", "max": datetime.time(17, 30)},
            "when": {"type": "datetime", "min": datetime.datetime(2024, 1, 1, 8)},
        })

        self.assertEqual(rules.field("day").rule("min").value, "2024-01-01")
        self.assertEqual(rules.field("at").rule("max").value, "17:30:00")
        self.assertEqual(rules.field("when").rule("min").value, "2024-01-01T08:00:00")
        self.assertRefused({"n": {"type": "date", "min": datetime.time(1, 2)}}, "'min'")

    def test_equal_to_must_name_another_field_of_the_form(self):
        self.assertRefused({"a": {"equal_to": "b"}}, "'equal_to'", "'b'")
        self.assertRefused({"a": {"equal_to": "a"}}, "'equal_to'")

    def test_conditions_are_parsed_and_limited_to_value_and_form(self):
        self.assertRefused({"a": {"condition": "value >"}}, "'condition'",
                           "not a valid expression", "column")
        self.assertRefused({"a": {"condition": "value > user.age"}}, "reads user")
        self.assertRefused({"a": {"condition": "value | upper"}}, "reads upper")

    def test_bad_patterns_are_refused_naming_the_rule(self):
        self.assertRefused({"code": {"pattern": "^\\d+$"}}, "field code", "'pattern'",
                           "[0-9]", "docs/validation.md")


class PatternTestCase(unittest.TestCase):
    ACCEPTED = {
        "^[a-z0-9-]+$": "^(?:[a-z0-9-]+)$",
        "^.+$": "^(?:[^\\n]+)$",
        "^a|b$": "^(?:a|b)$",
        "^[.]$": "^(?:[.])$",
        "^(?:a(b)c)*?$": "^(?:(?:a(b)c)*?)$",
        "^x{2,}y{3}z{0,4}$": "^(?:x{2,}y{3}z{0,4})$",
        "^\\$\\^\\.\\/\\{\\}\\[\\]\\(\\)\\|\\*\\+\\?\\\\$":
            "^(?:\\$\\^\\.\\/\\{\\}\\[\\]\\(\\)\\|\\*\\+\\?\\\\)$",
        "^[\\-\\]\\[\\n\\u00e9]$": "^(?:[\\-\\]\\[\\n\\u00e9])$",
        "^$": "^(?:)$",
    }
    REFUSED = {
        "[a-z]+": "start with ^",
        "^[a-z]+": "end with $",
        "^a\\$": "end with $",
        "^\\d+$": "[0-9]",
        "^\\w+$": "[A-Za-z0-9_]",
        "^\\s+$": "class",
        "^\\bword$": "not a shared escape",
        "^(a)\\1$": "back references",
        "^(?=a)a$": "lookaround",
        "^(?<=a)b$": "lookaround",
        "^(?P<x>a)$": "named groups",
        "^(?i)a$": "inline flags",
        "^a++$": "possessive",
        "^a**$": "possessive",
        "^a{,3}$": "{n,m}",
        "^a{3,1}$": "must not exceed",
        "^a{1001}$": "at most 1000",
        "^a{$": "{n,m}",
        "^a}$": "\\}",
        "^a]$": "\\]",
        "^*a$": "repeats nothing",
        "^a|*$": "repeats nothing",
        "^a^b$": "only at the ends",
        "^a$b$": "only at the ends",
        "^(ab$": "not closed",
        "^ab)$": "closes no group",
        "^[ab$": "not closed",
        "^[]a]$": "must hold something",
        "^[^]$": "must hold something",
        "^[[a]]$": "\\[",
        "^[a-c-e]$": "first, last",
        "^[z-a]$": "later one",
        "^[!--]$": "may not end with -",
        "^[a&&b]$": "doubled &",
        "^[a||b]$": "doubled |",
        "^\\uD83D\\uDE00$": "surrogates",
        "^\\u12$": "four hexadecimal",
        "^\\@$": "not a shared escape",
        "^\\-$": "not a shared escape",
        "^a\\": "end with $",
    }

    def test_accepted_patterns_become_one_shared_source(self):
        for pattern, expected in self.ACCEPTED.items():
            with self.subTest(pattern):
                source = shared_source(pattern)

                self.assertEqual(source, expected)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    re.compile(source)

    def test_refused_patterns_say_what_to_write(self):
        for pattern, fragment in self.REFUSED.items():
            with self.subTest(pattern):
                with self.assertRaises(PatternError) as caught:
                    shared_source(pattern)

                self.assertIn(fragment, str(caught.exception))

    def test_overlong_patterns_and_deep_groups_are_refused(self):
        with self.assertRaisesRegex(PatternError, "longer than"):
            shared_source("^" + "a" * 1000 + "$")
        with self.assertRaisesRegex(PatternError, "groups are open"):
            shared_source("^" + "(" * 33 + ")" * 33 + "$")
        with self.assertRaisesRegex(PatternError, "must be text"):
            shared_source(5)

    def test_the_shared_source_matches_the_whole_value_only(self):
        source = shared_source("^[a-z]+$")

        self.assertIsNotNone(re.fullmatch(source, "abc"))
        self.assertIsNone(re.fullmatch(source, "abc\n"))


class DescribedFieldTestCase(unittest.TestCase):
    def setUp(self):
        origin = "common/schema/products.toml"
        self.table = parse_table("products", PRODUCTS, origin=origin)

    def names_and_values(self, name):
        rules = rules_for_field(self.table.field(name))
        return [(rule.name, rule.value) for rule in rules.rules]

    def test_a_description_implies_required_type_and_limits(self):
        self.assertEqual(self.names_and_values("name"),
                         [("required", True), ("type", "text"), ("max_length", 120)])
        self.assertEqual(self.names_and_values("price"), [
            ("required", True), ("type", "decimal"), ("integer_digits", 8),
            ("decimals", 2),
        ])
        self.assertEqual(self.names_and_values("id"), [
            ("type", "integer"), ("min", -(2**31)), ("max", 2**31 - 1),
        ])

    def test_a_required_boolean_or_file_is_not_required_in_a_form(self):
        self.assertEqual(self.names_and_values("active"), [("type", "boolean")])
        self.assertEqual(self.names_and_values("photo"), [("type", "text")])

    def test_the_validation_mapping_adds_rules_with_their_messages(self):
        rules = rules_for_field(self.table.field("slug"))

        self.assertEqual([rule.name for rule in rules.rules],
                         ["type", "min_length", "max_length", "pattern"])
        self.assertEqual(rules.rule("pattern").message, "products.slug.bad")

    def test_a_form_over_a_table_adds_to_the_description(self):
        rules = rules_for_form(
            {"name": {"min_length": 3}, "price": {}, "note": {"max_length": 5}},
            table=self.table,
        )

        self.assertEqual([f.name for f in rules.fields], ["name", "price", "note"])
        self.assertEqual(rules.field("name").rule("max_length").value, 120)
        self.assertEqual(rules.field("name").rule("min_length").value, 3)
        errors = validate(rules, {"name": "ab", "price": "123456789.5"})
        self.assertEqual([e["rule"] for e in errors["name"]], ["min_length"])
        self.assertEqual(errors["price"][0]["params"], {"integer_digits": 8})

    def test_a_table_form_takes_every_field_but_the_auto_key(self):
        rules = rules_for_table(self.table)

        self.assertEqual([f.name for f in rules.fields],
                         ["name", "price", "active", "photo", "released", "slug"])
        with self.assertRaisesRegex(ConfigError, "no field colour"):
            rules_for_table(self.table, ["name", "colour"])

    def test_a_broken_validation_names_the_description_file(self):
        table = parse_table("t", {"fields": {
            "id": {"type": "integer", "primary": True},
            "code": {"type": "text", "validation": {"pattern": "^\\w+$"}},
        }}, origin="common/schema/t.json")

        with self.assertRaisesRegex(ConfigError, r"^common/schema/t\.json: .*code"):
            rules_for_field(table.field("code"), origin=table.origin)

    def test_rules_written_in_xml_beside_a_presenter_load_alike(self):
        xml = (
            "<config><age><type>integer</type><required>true</required>"
            "<min>18</min><one_of><item>18</item><item>21</item></one_of></age>"
            "</config>"
        )
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder, "common", "presenters")
            root.mkdir(parents=True)
            (root / "signup.rules.xml").write_text(xml, encoding="utf-8")
            finder = Finder([Layer("common", Path(folder, "common"))])
            data = Configuration(finder, folder="presenters").load("signup.rules")

        rules = rules_for_form(data)

        self.assertEqual(validate(rules, {"age": "21"}), {})
        self.assertEqual(validate(rules, {"age": "19"})["age"][0]["rule"], "one_of")


class JsonTestCase(unittest.TestCase):
    def test_the_browser_json_lists_fields_and_rules_in_order(self):
        rules = rules_for_form({
            "b": {"type": "decimal", "min": 0.5, "pattern": "^.+$"},
            "a": {"condition": "value != form.b"},
        })

        data = json.loads(rules_to_json(rules))

        self.assertEqual([f["name"] for f in data["fields"]], ["b", "a"])
        self.assertEqual(data["fields"][0]["rules"], [
            {"rule": "type", "value": "decimal", "message": "validation.type.decimal"},
            {"rule": "pattern", "value": "^.+$", "message": "validation.pattern",
             "regex": "^(?:[^\\n]+)$"},
            {"rule": "min", "value": "0.5", "message": "validation.min"},
        ])
        self.assertEqual(data["fields"][1]["rules"][1]["origin"], "validation of a")

    def test_the_json_is_safe_inside_a_script_element(self):
        rules = rules_for_form({"x": {"one_of": ["</script><b>&amp;", "é\u2028"]}})

        text = rules_to_json(rules)

        self.assertTrue(text.isascii())
        for raw in ("<", ">", "&", "\u2028"):
            self.assertNotIn(raw, text)
        self.assertEqual(json.loads(text)["fields"][0]["rules"][1]["value"],
                         ["</script><b>&amp;", "é\u2028"])

    def test_one_field_can_be_written_alone(self):
        table = parse_table("products", PRODUCTS)
        data = json.loads(rules_to_json(rules_for_field(table.field("name"))))

        self.assertEqual(data["fields"][0]["name"], "name")


if __name__ == "__main__":
    unittest.main()
