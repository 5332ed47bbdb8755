"""Tests for fw.i18n: plural rules (Python and browser), texts, language choice."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import unittest
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from fw.exceptions import ConfigError
from fw.i18n import (
    CATEGORIES,
    Texts,
    categories,
    category,
    choose,
    fill,
    match_tag,
    operands,
    parse_accept_language,
)
from fw.i18n.plurals import decimal_text, form_key, shipped
from tests.support import ROOT, AppTestCase

VECTORS = ROOT / "tests" / "vectors" / "plurals.json"
RUNNER = ROOT / "tests" / "js" / "run_plural_vectors.js"
SCRIPT = ROOT / "fw" / "client" / "plurals.js"

# NOTE: the categories the issue asks for, checked by hand against CLDR's
# plurals.xml; the vectors file holds these and many more.
REQUIRED = {
    "en": ["other", "one", "other", "other", "other", "other", "other", "other"],
    "es": ["other", "one", "other", "other", "other", "other", "other", "other"],
    "fr": ["one", "one", "other", "other", "other", "other", "other", "one"],
    "ru": ["many", "one", "few", "many", "many", "one", "one", "other"],
    "ar": ["zero", "one", "two", "few", "many", "many", "other", "other"],
}
REQUIRED_COUNTS = [0, 1, 2, 5, 11, 21, 101, 1.5]


def load_vectors() -> list[dict]:
    """Return the cases of the shared plural vectors file."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]


def run_case(case: dict) -> dict:
    """Return {"category": ...} or {"error": "type" | "value"} for one case."""
    try:
        return {"category": category(case["lang"], case["count"])}
    except TypeError:
        return {"error": "type"}
    except ValueError:
        return {"error": "value"}


class PluralVectorTests(unittest.TestCase):
    def test_vectors_cover_every_shipped_language_and_the_required_counts(self):
        cases = load_vectors()
        for lang in ("en", "es", "fr", "ru", "ar"):
            counts = [case["count"] for case in cases if case["lang"] == lang]
            for count in REQUIRED_COUNTS:
                with self.subTest(lang=lang, count=count):
                    self.assertIn(count, counts)
        self.assertGreaterEqual(len(cases), 500)
        self.assertEqual(shipped(), ("ar", "en", "es", "fr", "ru"))

    def test_required_counts_match_cldr(self):
        for lang, expected in REQUIRED.items():
            got = [category(lang, count) for count in REQUIRED_COUNTS]
            with self.subTest(lang=lang):
                self.assertEqual(got, expected)

    def test_python_passes_every_vector(self):
        for case in load_vectors():
            expected = {k: case[k] for k in ("category", "error") if k in case}
            with self.subTest(case=case):
                self.assertEqual(run_case(case), expected)

    def test_javascript_passes_every_vector(self):
        result, report = self.run_node(SCRIPT)

        self.assertEqual(report["failures"], [], result.stderr)
        self.assertEqual(report["checked"], len(load_vectors()))
        self.assertEqual(result.returncode, 0)

    def test_javascript_runner_reports_a_wrong_rule(self):
        source = SCRIPT.read_text(encoding="utf-8")
        rule = 'return o.i === 1n && o.v === 0 ? "one" : "other";'
        self.assertIn(rule, source)
        folder = self.enterContext(tempfile.TemporaryDirectory())
        broken = Path(folder) / "plurals.js"
        broken.write_text(source.replace(rule, 'return "other";'), encoding="utf-8")

        result, report = self.run_node(broken)

        self.assertEqual(result.returncode, 1)
        wrong = [failure["case"] for failure in report["failures"]]
        self.assertTrue(wrong)
        self.assertTrue(all(case["category"] == "one" for case in wrong))

    def test_shipped_script_uses_no_eval(self):
        source = SCRIPT.read_text(encoding="utf-8")
        for banned in ("eval(", "new Function", "Function("):
            self.assertNotIn(banned, source)

    def run_node(self, script: Path) -> tuple[subprocess.CompletedProcess, dict]:
        """Run the vectors through ``script`` with node; skip when node is missing."""
        node = shutil.which("node")
        if node is None:
            self.skipTest("node is not installed: the browser's plural rules untested")

        result = subprocess.run(
            [node, str(RUNNER), str(script), str(VECTORS)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result, json.loads(result.stdout)


class DocumentationTests(unittest.TestCase):
    def test_the_table_of_counts_in_the_guide_is_true(self):
        guide = (ROOT / "docs" / "languages.md").read_text(encoding="utf-8")
        header = "| count | en | es | fr | ru | ar |"
        rows = guide.split(header)[1].split("\n\n")[0].strip().splitlines()[1:]
        self.assertGreaterEqual(len(rows), 8)

        for row in rows:
            count, *expected = (cell.strip() for cell in row.strip("|").split("|"))
            value = json.loads(count)
            with self.subTest(count=count):
                got = [category(lang, value) for lang in ("en", "es", "fr", "ru", "ar")]
                self.assertEqual(got, expected)


class OperandTests(unittest.TestCase):
    def test_operands_follow_the_written_digits(self):
        self.assertEqual(operands("1.50"), operands(Decimal("1.50")))
        values = operands("1.50")
        digits = (values.i, values.v, values.w, values.f, values.t)
        self.assertEqual(digits, (1, 2, 1, 50, 5))
        self.assertEqual(values.n, Decimal("1.5"))
        self.assertEqual(operands(1.5).v, 1)
        self.assertEqual(operands(1.0).v, 0)
        self.assertEqual(operands(-21).i, 21)

    def test_floats_are_written_without_exponent(self):
        self.assertEqual(decimal_text(1e-7), "0.0000001")
        self.assertEqual(decimal_text(1e21), "1" + "0" * 21)
        self.assertEqual(decimal_text(2.0), "2")
        self.assertEqual(decimal_text(Decimal("1E+3")), "1000")

    def test_bad_counts_are_refused_with_a_sentence(self):
        for bad in ("1e3", " 1", "1.", "\u0661", "1\n"):
            with self.subTest(bad=bad), self.assertRaises(ValueError) as caught:
                operands(bad)
            self.assertIn("plain decimal digits", str(caught.exception))
        for bad in (float("nan"), float("inf"), Decimal("NaN")):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                operands(bad)
        for bad in (True, None, [1]):
            with self.subTest(bad=bad), self.assertRaises(TypeError):
                operands(bad)

    def test_categories_per_language(self):
        self.assertEqual(categories("ar"), CATEGORIES)
        self.assertEqual(categories("ru-RU"), ("one", "few", "many", "other"))
        self.assertEqual(categories("tlh"), ("other",))

    def test_form_key_prefers_exact_then_category_then_other(self):
        forms = {"=0": "none", "one": "one", "other": "many"}
        self.assertEqual(form_key("en", 0, forms), "=0")
        self.assertEqual(form_key("en", "0.0", forms), "other")
        self.assertEqual(form_key("en", 1, forms), "one")
        self.assertEqual(form_key("ru", 5, forms), "other")
        self.assertIsNone(form_key("ru", 5, {"one": "x"}))


class TextTests(AppTestCase):
    files = {
        "common/languages/en/messages.json": json.dumps(
            {
                "hello": "Hello, {name}!",
                "cart": {
                    "count": "{count} {item} in your cart",
                    "products": {
                        "=0": "No products",
                        "one": "{count} product",
                        "other": "{count} products",
                    },
                },
                "only.english": "Only in English",
                "braces": "{{literal}} and {name}",
                "group": {"a": "A"},
            },
            indent=1,
        ),
        "common/languages/es/messages.json": json.dumps(
            {
                "hello": "¡Hola, {name}!",
                "cart": {
                    "count": "Hay {count} {item} en su carrito",
                    "products": {
                        "one": "{count} producto",
                        "many": "{count} de productos",
                        "other": "{count} productos",
                    },
                },
            }
        ),
        "common/languages/ru/messages.json": json.dumps(
            {
                "cart": {
                    "products": {
                        "one": "{count} товар",
                        "few": "{count} товара",
                        "many": "{count} товаров",
                        "other": "{count} товара",
                    }
                }
            }
        ),
    }

    def texts(self, *layers: str) -> Texts:
        return Texts(self.finder_over(*(layers or ("common",))), default="en")

    def test_text_is_filled_by_name_in_each_language_order(self):
        texts = self.texts()
        values = {"count": 3, "item": "apples"}
        self.assertEqual(
            texts.text("en", "cart.count", values), "3 apples in your cart"
        )
        self.assertEqual(
            texts.text("es", "cart.count", values), "Hay 3 apples en su carrito"
        )

    def test_values_may_be_any_object_with_attributes(self):
        visitor = SimpleNamespace(name="Ana")
        self.assertEqual(self.texts().text("es", "hello", visitor), "¡Hola, Ana!")

    def test_literal_braces_and_dotted_keys(self):
        texts = self.texts()
        self.assertEqual(texts.text("en", "braces", {"name": "x"}), "{literal} and x")
        self.assertEqual(texts.text("en", "only.english"), "Only in English")

    def test_missing_key_falls_back_to_default_then_to_the_key_logging_once(self):
        texts = self.texts()
        with self.assertLogs("fw.i18n.texts", "INFO") as logs:
            self.assertEqual(texts.text("es", "only.english"), "Only in English")
            self.assertEqual(texts.text("es", "nowhere"), "nowhere")
            self.assertEqual(texts.text("es", "nowhere"), "nowhere")
            regional = texts.text("es-MX", "hello", {"name": "Eva"})
        self.assertEqual(regional, "¡Hola, Eva!")
        missing = [line for line in logs.output if "'nowhere'" in line]
        self.assertEqual(len(missing), 1)
        self.assertIn("WARNING", missing[0])
        self.assertTrue(any("'only.english'" in line for line in logs.output))

    def test_plural_picks_the_form_by_the_language_rules(self):
        texts = self.texts()
        cases = [
            ("en", 0, "No products"),
            ("en", 1, "1 product"),
            ("en", "1.0", "1.0 products"),
            ("en", 2, "2 products"),
            ("es", 0, "0 productos"),
            ("es", 1, "1 producto"),
            ("es", 1000000, "1000000 de productos"),
            ("ru", 1, "1 товар"),
            ("ru", 3, "3 товара"),
            ("ru", 5, "5 товаров"),
            ("ru", 21, "21 товар"),
            ("ru", 1.5, "1.5 товара"),
        ]
        for lang, count, expected in cases:
            with self.subTest(lang=lang, count=count):
                self.assertEqual(texts.plural(lang, "cart.products", count), expected)

    def test_plural_falling_back_uses_the_rules_of_the_text_language(self):
        # NOTE: French has no texts here; the English text is shown, and 0 in
        # English is "=0", where French rules would have said "one".
        texts = self.texts()
        self.assertEqual(texts.plural("fr", "cart.products", 0), "No products")
        self.assertEqual(texts.plural("fr", "cart.products", 1.5), "1.5 products")

    def test_plural_of_a_plain_string_serves_every_count(self):
        texts = self.texts()
        self.assertEqual(texts.plural("en", "hello", 4, {"name": "Bo"}), "Hello, Bo!")

    def test_unknown_placeholder_names_language_key_placeholder_and_file(self):
        texts = self.texts()
        with self.assertRaises(ConfigError) as caught:
            texts.text("es", "cart.count", {"count": 1})
        message = str(caught.exception)
        for part in ("'es'", "'cart.count'", "{item}", "messages.json"):
            self.assertIn(part, message)

    def test_placeholders_other_than_names_are_refused(self):
        values = {"a": SimpleNamespace(b=1)}
        for template in ("{a.b}", "{0}", "{}", "{a[0]}", "{a!r}", "{a:>9}", "{__a}"):
            with self.subTest(template=template):
                with self.assertRaises(ConfigError) as caught:
                    fill(template, values)
                self.assertIn("not a plain name", str(caught.exception))

    def test_unmatched_braces_are_refused(self):
        for template in ("{open", "close}", "a } b"):
            with self.subTest(template=template), self.assertRaises(ConfigError):
                fill(template, {})

    def test_format_attack_reaches_no_attribute(self):
        secret = SimpleNamespace(token="s3cret")
        with self.assertRaises(ConfigError):
            fill("{user.__init__.__globals__}", {"user": secret})
        self.assertEqual(fill("{token}", secret), "s3cret")

    def test_values_are_shown_plainly(self):
        values = {"a": None, "b": 2.0, "c": 1e-7, "d": "x"}
        self.assertEqual(fill("{a}|{b}|{c}|{d}", values), "|2|0.0000001|x")

    def test_text_on_a_plural_and_plural_without_form_are_errors(self):
        texts = self.texts()
        with self.assertRaises(ConfigError) as caught:
            texts.text("en", "cart.products")
        self.assertIn("plural", str(caught.exception))
        with self.assertRaises(ConfigError) as caught:
            texts.text("en", "group")
        self.assertIn("group of texts", str(caught.exception))

        self.write({"common/languages/en/messages.json": '{"n": {"one": "x"}}'})
        texts.clear()
        with self.assertRaises(ConfigError) as caught:
            texts.plural("en", "n", 2)
        self.assertIn("no 'other' form", str(caught.exception))

    def test_specific_layer_wins_and_every_layer_merges(self):
        self.write(
            {
                "domain/languages/es/messages.json": json.dumps(
                    {"extends": True, "hello": "Buenas, {name}."}
                ),
                "other/languages/es/messages.json": '{"hello": "Hola {name}"}',
            }
        )
        extended = self.texts("domain", "common")
        self.assertEqual(extended.text("es", "hello", {"name": "Ana"}), "Buenas, Ana.")
        self.assertEqual(extended.plural("es", "cart.products", 2), "2 productos")

        merged = self.texts("other", "common")
        self.assertEqual(merged.text("es", "hello", {"name": "Ana"}), "Hola Ana")
        self.assertEqual(merged.plural("es", "cart.products", 2), "2 productos")

    def test_environment_variables_never_reach_texts(self):
        self.write({"common/languages/en/messages.json": '{"a": "${HOME}"}'})
        with self.assertRaises(ConfigError):
            self.texts().text("en", "a")

    def test_catalog_keeps_plural_forms_of_one_language(self):
        catalog = self.texts().catalog("es")
        self.assertEqual(catalog["hello"], "¡Hola, {name}!")
        self.assertEqual(catalog["only.english"], "Only in English")
        self.assertNotIn("=0", catalog["cart"]["products"])

    def test_languages_lists_the_folders(self):
        self.write({"domain/languages/fr/messages.json": "{}"})
        texts = self.texts("domain", "common")
        self.assertEqual(texts.languages(), ["en", "es", "fr", "ru"])

    def test_language_tags_are_checked(self):
        texts = self.texts()
        for bad in ("../en", "en/../x", "", "e n", None):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                texts.text(bad, "hello")


class ChoiceTests(unittest.TestCase):
    available = ["en", "es", "fr-CA"]

    def choose(self, session, header, default="en"):
        return choose(session, header, self.available, default=default)

    def test_session_value_wins_when_available(self):
        self.assertEqual(self.choose("es", "fr"), "es")
        self.assertEqual(self.choose("ES", "fr"), "es")
        self.assertEqual(self.choose("de", "es"), "es")
        self.assertEqual(self.choose(["es"], "es"), "es")

    def test_accept_language_by_quality_and_prefix(self):
        cases = [
            ("es-MX,es;q=0.9,en;q=0.8", "es"),
            ("de, en;q=0.5, es;q=0.7", "es"),
            ("fr", "fr-CA"),
            ("fr-FR", "fr-CA"),
            ("de;q=1, es;q=0.001", "es"),
            ("en;q=0.5, es;q=0.5", "en"),
            ("es;q=0, es-MX, en;q=0.1", "en"),
            ("en;q=0, *", "es"),
            ("*", "es"),
        ]
        for header, expected in cases:
            with self.subTest(header=header):
                self.assertEqual(self.choose(None, header, default="es"), expected)

    def test_garbage_gives_the_default_never_an_error(self):
        garbage = [
            None, "", ";;;", ",,,", "q=1", "es;q=abc", "es;q=2", "es;q=-1",
            "\x00\xff", "es-" * 5000, 12, "e\u0301s", "es;q=0.5;q=x", "ésp",
            "*-es", "es;q=0.5.5", "es;q=1.001", ["es"],
        ]
        for header in garbage:
            with self.subTest(header=repr(header)[:40]):
                self.assertEqual(self.choose(None, header, default="fr-CA"), "fr-CA")
        self.assertEqual(self.choose(None, b"es"), "es")
        self.assertEqual(self.choose(None, "es;q=abc"), "en")

    def test_parse_sorts_by_quality_keeping_order(self):
        self.assertEqual(
            parse_accept_language("da, en-GB;q=0.8, en;q=0.8, *;q=0.1, de;q=0"),
            [("da", 1.0), ("en-gb", 0.8), ("en", 0.8), ("*", 0.1), ("de", 0.0)],
        )

    def test_match_tag_checks_a_visitor_pick(self):
        self.assertEqual(match_tag("fr_ca", self.available), "fr-CA")
        self.assertIsNone(match_tag("fr", self.available))
        self.assertIsNone(match_tag(None, self.available))


if __name__ == "__main__":
    unittest.main()
