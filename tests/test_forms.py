"""Forms from table descriptions: render in two languages, process, browser twin."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import tempfile
import unittest
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

from fw.db.schema import parse_table
from fw.exceptions import ConfigError
from fw.forms import Form, message, shown_params
from fw.forms import fields as inputs
from fw.forms.messages import fill_template, script_json, templates
from fw.i18n import Texts
from fw.templates.markup import Markup
from fw.validation import rules_for_form, rules_to_json
from tests.support import ROOT, AppTestCase

PRODUCTS = parse_table(
    "products",
    {
        "terms": {"zero": "products.none", "one": "products.one"},
        "fields": {
            "id": {"type": "integer", "primary": True, "auto": True},
            "name": {
                "type": "text",
                "length": 120,
                "required": True,
                "label": "products.name",
                "description": "products.name_help",
                "validation": {"min_length": {"value": 2, "message": "products.short"}},
            },
            "notes": {"type": "text"},
            "price": {
                "type": "decimal",
                "precision": 10,
                "scale": 2,
                "required": True,
                "label": "products.price",
            },
            "stock": {"type": "integer", "validation": {"min": 0}},
            "sold_on": {
                "type": "date",
                "validation": {"min": "2000-01-01", "max": "2099-12-31"},
            },
            "opens": {"type": "time"},
            "seen": {"type": "datetime"},
            "public": {"type": "boolean", "label": "products.public"},
            "size": {"type": "text", "validation": {"one_of": ["S", "M", "L"]}},
        },
    },
    origin="schema/products.json",
)

EN = {
    "forms": {"submit": "Save"},
    "products": {
        "name": "Name",
        "name_help": "What the <shop> calls it",
        "price": "Price",
        "public": "Shown to visitors",
        "short": "Name needs {min_length} characters, not {length}.",
    },
    "validation": {
        "required": "Please fill this in.",
        "min": "At least {min}.",
        "one_of": "One of {one_of}.",
        "decimals": "At most {decimals} decimals.",
        "type": {"decimal": "Write a number such as 9.99.", "date": "Not a date."},
    },
}
ES = {
    "forms": {"submit": "Guardar"},
    "products": {
        "name": "Nombre",
        "name_help": "Cómo lo llama la tienda",
        "price": "Precio",
        "public": "Visible",
        "short": "Faltan caracteres: {length} de {min_length}.",
    },
    "validation": {
        "required": "Rellene este campo.",
        "min": "Como mínimo {min}.",
        "type": {"decimal": "Escriba un número como 9,99."},
    },
}


class Controls(HTMLParser):
    """Collect the controls, labels and scripts of rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.elements.append((tag, found))
        key = found.get("id") or found.get("for")
        if key and tag in ("label", "script", "textarea", "p", "div"):
            self._open.append((f"{tag}:{key}", ""))

    def handle_data(self, data):
        if self._open:
            key, text = self._open[-1]
            self._open[-1] = (key, text + data)

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0].startswith(f"{tag}:"):
            key, text = self._open.pop()
            self.texts[key] = text

    def control(self, name: str) -> dict[str, str | None]:
        for tag, attrs in self.elements:
            if attrs.get("name") == name and tag in ("input", "textarea"):
                return {"tag": tag, **attrs}
        raise AssertionError(f"no control named {name}")


class FormTestBase(AppTestCase):
    files = {
        "common/languages/en/messages.json": json.dumps(EN),
        "common/languages/es/messages.json": json.dumps(ES),
    }

    def setUp(self) -> None:
        super().setUp()
        self.texts = Texts(self.finder_over("common"), default="en")
        self.form = Form.for_table(PRODUCTS, form_id="product")

    def render(self, lang: str = "en", **options) -> Controls:
        html = self.form.render(texts=self.texts, lang=lang, **options)
        self.assertIsInstance(html, Markup)
        return Controls(html)


class RenderTest(FormTestBase):
    def test_labels_and_help_come_from_the_description_in_each_language(self):
        for lang, name, price, help_text, submit in (
            ("en", "Name", "Price", "What the <shop> calls it", "Save"),
            ("es", "Nombre", "Precio", "Cómo lo llama la tienda", "Guardar"),
        ):
            with self.subTest(lang=lang):
                page = self.render(lang)
                self.assertEqual(page.texts["label:product-name"], name)
                self.assertEqual(page.texts["label:product-price"], price)
                self.assertEqual(page.texts["p:product-name--help"], help_text)
                self.assertIn(submit, self.form.render(texts=self.texts, lang=lang))

    def test_a_message_its_params_cannot_fill_is_shown_as_written(self):
        from fw.forms import message

        self.write({"common/languages/en/messages.json": json.dumps(
            {**EN, "bad": "Not {value} but {pattern}"}
        )})
        error = {"rule": "pattern", "message": "bad", "params": {"pattern": "^a$"}}

        with self.assertLogs("fw.forms.messages", "ERROR"):
            shown = message(Texts(self.finder_over("common")), "en", error)

        self.assertEqual(shown, "Not {value} but {pattern}")

    def test_help_text_is_escaped(self):
        html = self.form.render(texts=self.texts, lang="en")
        self.assertIn("What the &lt;shop&gt; calls it", html)
        self.assertNotIn("<shop>", html)

    def test_fields_without_label_show_their_name_made_readable(self):
        page = self.render()
        self.assertEqual(page.texts["label:product-sold_on"], "Sold on")

    def test_auto_key_is_left_out(self):
        names = [item.name for item in self.form.rules.fields]
        self.assertNotIn("id", names)
        self.assertEqual(names[0], "name")

    def test_inputs_follow_the_field_types(self):
        page = self.render()
        expected = {
            "name": ("input", "text"),
            "notes": ("textarea", None),
            "price": ("input", "text"),
            "stock": ("input", "text"),
            "sold_on": ("input", "date"),
            "opens": ("input", "time"),
            "seen": ("input", "datetime-local"),
            "public": ("input", "checkbox"),
        }
        for name, (tag, kind) in expected.items():
            with self.subTest(name=name):
                control = page.control(name)
                self.assertEqual(control["tag"], tag)
                self.assertEqual(control.get("type"), kind)
                self.assertEqual(control["id"], f"product-{name}")

    def test_constraint_attributes_only_where_they_match_the_rules(self):
        page = self.render()
        name = page.control("name")
        self.assertIn("required", name)
        self.assertNotIn("maxlength", name)
        self.assertNotIn("minlength", name)
        self.assertNotIn("pattern", name)

        date = page.control("sold_on")
        self.assertEqual((date["min"], date["max"]), ("2000-01-01", "2099-12-31"))
        self.assertEqual(page.control("opens")["step"], "1")

        stock = page.control("stock")
        self.assertEqual(stock["inputmode"], "numeric")
        self.assertNotIn("min", stock)
        self.assertEqual(page.control("price")["inputmode"], "decimal")
        self.assertNotIn("required", page.control("public"))

    def test_email_and_url_lengths_are_emitted_as_they_count_alike(self):
        rules = rules_for_form(
            {
                "email": {"type": "email", "max_length": 80, "min_length": 5},
                "site": {"type": "url", "max_length": 200},
                "nick": {"type": "text", "max_length": 20},
            }
        )
        email, site, nick = rules.fields
        self.assertEqual(
            inputs.attributes(email),
            {"type": "email", "minlength": "5", "maxlength": "80"},
        )
        self.assertEqual(
            inputs.attributes(site),
            {"type": "text", "inputmode": "url", "maxlength": "200"},
        )
        self.assertEqual(inputs.attributes(nick), {"type": "text"})

    def test_required_checkbox_is_required(self):
        rules = rules_for_form({"terms": {"type": "boolean", "required": True}})
        self.assertEqual(
            inputs.attributes(rules.fields[0]), {"required": True}
        )

    def test_embedded_rules_equal_rules_to_json(self):
        page = self.render()
        embedded = page.texts["script:product--rules"]
        self.assertEqual(embedded, rules_to_json(self.form.rules))
        parsed = json.loads(embedded)
        self.assertEqual(parsed, json.loads(rules_to_json(self.form.rules)))
        self.assertEqual(parsed["fields"][0]["name"], "name")

        form = next(attrs for tag, attrs in page.elements if tag == "form")
        self.assertEqual(form["data-fw-rules"], "product--rules")
        self.assertEqual(form["data-fw-messages"], "product--messages")

    def test_embedded_messages_are_the_visitors_language_unfilled(self):
        for lang, required in (
            ("en", "Please fill this in."),
            ("es", "Rellene este campo."),
        ):
            with self.subTest(lang=lang):
                page = self.render(lang)
                found = json.loads(page.texts["script:product--messages"])
                self.assertEqual(found["validation.required"], required)
                short = (EN if lang == "en" else ES)["products"]["short"]
                self.assertEqual(found["products.short"], short)
                self.assertEqual(set(found), set(self.form.message_keys()))

    def test_missing_message_text_falls_back_to_default_then_key(self):
        found = templates(self.texts, "es", ["validation.one_of", "nowhere.key"])
        self.assertEqual(
            found,
            {"validation.one_of": "One of {one_of}.", "nowhere.key": "nowhere.key"},
        )

    def test_csrf_field_is_included_as_it_is(self):
        token = Markup('<input type="hidden" name="csrf_token" value="abc">')
        html = self.form.render(texts=self.texts, lang="en", csrf_field=token)
        self.assertIn(str(token), html)

    def test_record_values_are_shown_as_form_strings(self):
        values = {
            "name": "Oak",
            "price": Decimal("249.50"),
            "sold_on": datetime.date(2024, 2, 29),
            "seen": datetime.datetime(2024, 1, 2, 3, 4, 5),
            "public": True,
        }
        page = self.render(values=values)
        self.assertEqual(page.control("price")["value"], "249.50")
        self.assertEqual(page.control("sold_on")["value"], "2024-02-29")
        self.assertEqual(page.control("seen")["value"], "2024-01-02T03:04:05")
        self.assertIn("checked", page.control("public"))
        self.assertNotIn("checked", self.render().control("public"))


class ProcessTest(FormTestBase):
    def test_failed_submit_shows_messages_and_keeps_values_escaped(self):
        sent = {
            "name": '"><script>x</script>',
            "notes": "</textarea><b>bold</b>",
            "price": "12,50",
            "stock": "-3",
            "public": "on",
        }
        values, errors = self.form.process(sent)
        self.assertEqual(values, {})
        self.assertEqual(set(errors), {"price", "stock"})

        html = self.form.render(texts=self.texts, lang="en", values=sent, errors=errors)
        self.assertNotIn("<script>x", html)
        self.assertNotIn("<b>bold", html)
        page = Controls(html)
        self.assertEqual(page.control("name")["value"], sent["name"])
        self.assertEqual(page.texts["textarea:product-notes"], sent["notes"])
        self.assertIn("checked", page.control("public"))
        self.assertEqual(page.control("price")["aria-invalid"], "true")
        self.assertEqual(
            page.texts["div:product-price--errors"], "Write a number such as 9.99."
        )
        self.assertEqual(page.texts["div:product-stock--errors"], "At least 0.")
        self.assertEqual(page.texts["div:product-name--errors"], "")

    def test_messages_follow_the_language_and_fill_params_by_name(self):
        _, errors = self.form.process({"name": "x", "price": "1"})
        self.assertEqual(errors["name"][0]["message"], "products.short")
        for lang, expected in (
            ("en", "Name needs 2 characters, not 1."),
            ("es", "Faltan caracteres: 1 de 2."),
        ):
            with self.subTest(lang=lang):
                html = self.form.render(texts=self.texts, lang=lang, errors=errors)
                shown = Controls(html).texts["div:product-name--errors"]
                self.assertEqual(shown, expected)

    def test_list_params_are_joined(self):
        _, errors = self.form.process({"name": "Oak", "price": "1", "size": "XL"})
        params = errors["size"][0]["params"]
        self.assertEqual(shown_params(params), {"one_of": "S, M, L"})
        html = self.form.render(texts=self.texts, lang="en", errors=errors)
        self.assertIn("One of S, M, L.", html)

    def test_good_submit_gives_converted_values(self):
        values, errors = self.form.process(
            {
                "name": "  Oak table ",
                "price": "249.50",
                "stock": "007",
                "sold_on": "2024-02-29",
                "opens": "09:30",
                "public": "on",
            }
        )
        self.assertEqual(errors, {})
        self.assertEqual(values["name"], "Oak table")
        self.assertEqual(values["price"], Decimal("249.50"))
        self.assertEqual(values["stock"], 7)
        self.assertEqual(values["sold_on"], datetime.date(2024, 2, 29))
        self.assertEqual(values["opens"], datetime.time(9, 30))
        self.assertIs(values["public"], True)
        self.assertIsNone(values["seen"])

    def test_form_from_a_rule_mapping_over_a_table(self):
        form = Form.for_rules(
            {"name": {}, "confirm": {"equal_to": "name"}},
            table=PRODUCTS,
            labels={"confirm": "products.name"},
            form_id="again",
        )
        self.assertEqual(
            form.labels, {"name": "products.name", "confirm": "products.name"}
        )
        _, errors = form.process({"name": "Oak", "confirm": "Elm"})
        self.assertEqual(errors["confirm"][0]["rule"], "equal_to")

    def test_names_that_cannot_be_ids_are_refused(self):
        for name in ('a"b', "x y", "<b>", "1abc", "a-errors"):
            with self.subTest(name=name):
                with self.assertRaisesRegex(ConfigError, "cannot name an input"):
                    Form.for_rules({name: {"type": "text"}})
        with self.assertRaisesRegex(ConfigError, "cannot name an input"):
            Form.for_table(PRODUCTS, form_id="a b")


class MessagesTest(unittest.TestCase):
    def test_script_json_cannot_close_the_script(self):
        text = script_json({"k": "</script><!-- & é"})
        self.assertNotIn("<", text)
        self.assertNotIn("&", text)
        self.assertEqual(json.loads(text), {"k": "</script><!-- & é"})

    def test_fill_template_matches_texts_fill(self):
        self.assertEqual(
            fill_template("{{x}} {a} {b}", {"a": [1, 2.5, None], "b": True}),
            "{x} 1, 2.5,  True",
        )


# Cases both fills must agree on: (template, params) or an expected refusal.
FILL_CASES = [
    ["Hello, {name}!", {"name": "Ana"}],
    ["{a}{b}{c}", {"a": 1, "b": -2, "c": 0}],
    ["{{literal}} and }} {{", {}],
    ["{x}", {"x": None}],
    ["{x}/{y}", {"x": True, "y": False}],
    ["{x}", {"x": 1.5}],
    ["{x}", {"x": 0.0000001}],
    ["{x}", {"x": 1e21}],
    ["{x}", {"x": 3.0}],
    ["{one_of}", {"one_of": ["S", "M", 3, 4.5]}],
    ["{name}", {}],
    ["{a.b}", {"a": {"b": 1}}],
    ["{0}", {"0": "x"}],
    ["{ name }", {"name": 1}],
    ["oops {", {}],
    ["oops }", {}],
    ["{a}{", {"a": 1}],
    ["é {x} ✓", {"x": "ß"}],
]


class BrowserTwinTest(FormTestBase):
    """fw/client/forms.js fills and collects messages as the server does."""

    def setUp(self) -> None:
        super().setUp()
        if shutil.which("node") is None:
            self.skipTest("node is not installed: the browser twin needs node 20")

    def run_node(self, data: dict) -> dict:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "input.json"
            path.write_text(json.dumps(data), encoding="utf-8")
            done = subprocess.run(
                ["node", str(ROOT / "tests" / "js" / "run_forms_cases.js"), str(path)],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def python_fill(self, template: str, params: dict) -> dict:
        try:
            return {"text": fill_template(template, params)}
        except ConfigError:
            return {"refused": True}

    def test_fill_agrees_with_python(self):
        found = self.run_node({"fills": FILL_CASES})["fills"]
        for case, result in zip(FILL_CASES, found, strict=True):
            with self.subTest(template=case[0]):
                self.assertEqual(result, self.python_fill(*case))

    def test_messages_agree_with_the_server_in_both_languages(self):
        inputs_sent = [
            {"name": "x", "price": "12,50", "stock": "-3", "size": "XL"},
            {"name": "", "price": "", "sold_on": "1999-12-31"},
            {"name": "Oak", "price": "1.999", "sold_on": "2024-02-30"},
            {"name": "Oak table", "price": "249.50"},
        ]
        for lang in ("en", "es"):
            page = self.render(lang)
            rules = json.loads(page.texts["script:product--rules"])
            texts = json.loads(page.texts["script:product--messages"])
            cases = [
                {"rules": rules, "messages": texts, "input": sent}
                for sent in inputs_sent
            ]
            found = self.run_node({"cases": cases})["cases"]
            for sent, result in zip(inputs_sent, found, strict=True):
                with self.subTest(lang=lang, sent=sent):
                    _, errors = self.form.process(sent)
                    expected = {
                        name: [self._message(lang, error) for error in items]
                        for name, items in errors.items()
                    }
                    self.assertEqual(result, expected)

    def _message(self, lang: str, error: dict) -> str:
        return message(self.texts, lang, error)


class ClientFileTest(unittest.TestCase):
    def test_forms_js_uses_no_eval_and_no_inline_handlers(self):
        source = (ROOT / "fw" / "client" / "forms.js").read_text(encoding="utf-8")
        for forbidden in (
            r"\beval\s*\(",
            r"new\s+Function",
            r"innerHTML",
            r"\son[a-z]+=",
            r"setAttribute\(\s*[\"']on",
        ):
            with self.subTest(forbidden=forbidden):
                self.assertIsNone(re.search(forbidden, source))


if __name__ == "__main__":
    unittest.main()
