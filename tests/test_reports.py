"""Reports: counted with the table's terms, paged, sorted by described fields."""

from __future__ import annotations

import json
import re
import tempfile
import unittest
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fw.db.connection import Database
from fw.db.migrate import install
from fw.db.records import Records
from fw.db.schema import parse_schema
from fw.exceptions import ConfigError
from fw.forms import Report, page_number, sort_order
from fw.i18n import Texts
from tests.support import AppTestCase

SCHEMA = parse_schema(
    {
        "items": (
            {
                "terms": {
                    "zero": "items.none",
                    "one": "items.one",
                    "many": "items.many",
                },
                "fields": {
                    "id": {"type": "integer", "primary": True, "auto": True},
                    "name": {"type": "text", "length": 80, "label": "items.name"},
                    "price": {"type": "decimal", "precision": 8, "scale": 2},
                    "public": {"type": "boolean"},
                    "extra": {"type": "json"},
                },
            },
            "schema/items.json",
        )
    }
)
TABLE = SCHEMA.table("items")

EN = {
    "items": {
        "none": "No items yet",
        "one": "One item",
        "many": {"one": "{count} item", "other": "{count} items"},
        "name": "Name",
    }
}
ES = {
    "items": {
        "none": "Aún no hay artículos",
        "one": "Un artículo",
        "many": {"one": "{count} artículo", "other": "{count} artículos"},
        "name": "Nombre",
    }
}
HOSTILE_SORTS = [
    "name; DROP TABLE items",
    "name DESC",
    "--name",
    "extra",
    "-extra",
    "nope",
    "items.name",
    "",
    " name",
    "NAME",
]


class ReportTest(AppTestCase):
    files = {
        "common/languages/en/messages.json": json.dumps(EN),
        "common/languages/es/messages.json": json.dumps(ES),
    }

    def setUp(self) -> None:
        super().setUp()
        self.texts = Texts(self.finder_over("common"), default="en")
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.database = Database(f"sqlite:///{Path(folder.name) / 'test.db'}")
        self.addCleanup(self.database.close)
        install(self.database, SCHEMA)
        self.items = Records(self.database, SCHEMA).table("items")
        self.report = Report(TABLE, ["name", "price", "public"], per_page=2)

    def add(self, *rows: tuple[str, str]) -> None:
        for name, price in rows:
            self.items.insert(name=name, price=Decimal(price), public=True)

    def html(self, query: dict | None = None, lang: str = "en") -> str:
        page = self.report.fetch(self.items, query)
        return self.report.render(
            page, texts=self.texts, lang=lang, query=query, path="/items"
        )

    def test_zero_one_and_many_terms_in_both_languages(self):
        expected = {
            "en": ["No items yet", "One item", "3 items"],
            "es": ["Aún no hay artículos", "Un artículo", "3 artículos"],
        }
        seen = {"en": [], "es": []}
        for step in range(3):
            if step == 1:
                self.add(("Oak", "1"))
            if step == 2:
                self.add(("Elm", "2"), ("Ash", "3"))
            for lang in seen:
                html = self.html(lang=lang)
                found = re.search(r'<p class="fw-count">(.*?)</p>', html)
                seen[lang].append(found.group(1))
        self.assertEqual(seen, expected)

    def test_no_table_when_there_are_no_records(self):
        html = self.html()
        self.assertNotIn("<table", html)
        self.assertNotIn("fw-pages", html)

    def test_paging_gives_the_asked_page_and_links(self):
        self.add(("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5"))
        page = self.report.fetch(self.items, {"page": "2", "sort": "name"})
        self.assertEqual([row.name for row in page.rows], ["c", "d"])
        self.assertEqual((page.count, page.page, page.pages), (5, 2, 3))

        html = self.report.render(
            page, texts=self.texts, lang="en", query={"page": "2", "sort": "name"}
        )
        self.assertIn('<span aria-current="page">2</span>', html)
        links = re.findall(r'<a href="([^"]*)" rel="(prev|next)"', html)
        pages = {rel: parse_qs(urlsplit(href.replace("&amp;", "&")).query)
                 for href, rel in links}
        self.assertEqual(pages["prev"], {"page": ["1"], "sort": ["name"]})
        self.assertEqual(pages["next"], {"page": ["3"], "sort": ["name"]})

    def test_pages_past_the_end_and_hostile_pages(self):
        self.add(("a", "1"), ("b", "2"), ("c", "3"))
        last = self.report.fetch(self.items, {"page": "99"})
        self.assertEqual((last.page, [r.name for r in last.rows]), (2, ["c"]))
        huge = self.report.fetch(self.items, {"page": "9" * 40})
        self.assertEqual(huge.page, 2)
        for value in ("0", "-1", "abc", "1e3", "", " 2", "2.0", "9" * 41, None):
            with self.subTest(value=value):
                self.assertEqual(page_number(value), 1)
                page = self.report.fetch(self.items, {"page": value})
                self.assertEqual(page.page, 1)

    def test_sorting_by_a_described_field(self):
        self.add(("b", "5"), ("a", "9"), ("c", "1"))
        for sort, names in (
            ("price", ["c", "b"]),
            ("-price", ["a", "b"]),
            ("name", ["a", "b"]),
            ("-name", ["c", "b"]),
        ):
            with self.subTest(sort=sort):
                page = self.report.fetch(self.items, {"sort": sort})
                self.assertEqual([row.name for row in page.rows], names)
                self.assertEqual(page.sort, sort)

    def test_heading_links_toggle_the_order(self):
        self.add(("a", "1"))
        html = self.html({"sort": "name", "page": "1", "q": "x"})
        self.assertIn('aria-sort="ascending"><a href="/items?sort=-name&amp;q=x"', html)
        self.assertIn('aria-sort="none"><a href="/items?sort=price&amp;q=x"', html)
        self.assertIn(">Name</a>", html)
        self.assertIn(">Nombre</a>", self.html(lang="es"))

    def test_hostile_sort_values_are_ignored(self):
        self.add(("b", "5"), ("a", "9"), ("c", "1"))
        default = [row.name for row in self.report.fetch(self.items).rows]
        for value in HOSTILE_SORTS:
            with self.subTest(value=value):
                self.assertIsNone(sort_order(value, self.report.sortable))
                page = self.report.fetch(self.items, {"sort": value})
                self.assertIsNone(page.sort)
                self.assertEqual([row.name for row in page.rows], default)
        self.assertEqual(self.items.find().count(), 3)

    def test_sort_needs_a_column_of_the_report(self):
        report = Report(TABLE, ["name"])
        self.assertIsNone(sort_order("price", report.sortable))
        self.assertEqual(Report(TABLE, sort="-price").sort, "-price")
        with self.assertRaisesRegex(ConfigError, "names no sortable column"):
            Report(TABLE, sort="extra")

    def test_values_are_escaped(self):
        self.add(('<script>alert("x")</script>', "1"))
        html = self.html({"q": '"><b>'})
        self.assertNotIn("<script>", html)
        self.assertIn("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", html)
        self.assertNotIn('"><b>', html)

    def test_cells_show_form_strings(self):
        self.add(("a", "1.5"))
        html = self.html()
        self.assertIn('<td class="fw-decimal">1.50</td>', html)
        self.assertIn('<td class="fw-boolean">✓</td>', html)

    def test_wrong_configuration_is_refused(self):
        with self.assertRaisesRegex(ConfigError, "no_such"):
            Report(TABLE, ["name", "no_such"])
        for per_page in (0, -1, True, 10_000, "5"):
            with self.subTest(per_page=per_page):
                with self.assertRaisesRegex(ConfigError, "per_page"):
                    Report(TABLE, per_page=per_page)

    def test_default_columns_leave_out_json(self):
        self.assertEqual(Report(TABLE).columns, ("id", "name", "price", "public"))


if __name__ == "__main__":
    unittest.main()
