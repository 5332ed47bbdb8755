"""The visitor's language on the demo, and fw's browser scripts served."""

import sqlite3
import tempfile
import unittest
from pathlib import Path

import fw
from fw.context import Context
from fw.exceptions import TemplateError
from fw.request import Request
from fw.testing import Client, build_environ

from .support import copy_demo


class LanguageTestCase(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = copy_demo(Path(temp.name) / "demo")
        self.client = Client(fw.application(self.root))

    def session_rows(self):
        with sqlite3.connect(self.root / "var/app.db") as connection:
            return connection.execute("SELECT COUNT(*) FROM fw_sessions").fetchone()[0]

    def test_accept_language_chooses_and_the_default_answers_the_rest(self):
        spanish = self.client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"})
        german = self.client.get("/", headers={"Accept-Language": "de"})
        garbage = self.client.get("/", headers={"Accept-Language": ";;q=x,\x7f"})

        self.assertIn("Bienvenido a fw demo", spanish.text)
        self.assertIn("3 productos", spanish.text)
        self.assertIn('lang="es"', spanish.text)
        self.assertIn("Welcome to fw demo", german.text)
        self.assertEqual(garbage.status, 200)
        self.assertEqual(self.session_rows(), 0)

    def test_a_chosen_language_holds_for_the_next_requests(self):
        switched = self.client.get("/language?set=es&next=%2Fabout")
        about = self.client.get("/about", headers={"Accept-Language": "en"})
        home = self.client.get("/")

        self.assertEqual(switched.status, 303)
        self.assertEqual(switched.header("Location"), "/about")
        self.assertIn("Acerca de", about.text)
        self.assertIn("Inicio", home.text)
        self.assertEqual(self.session_rows(), 1)

    def test_a_broken_language_file_falls_back_to_the_default(self):
        broken = self.root / "common/languages/fr/messages.json"
        broken.parent.mkdir()
        broken.write_text('{"nav": {"home": "Accueil",')

        with self.assertLogs("fw.language", "ERROR"):
            page = self.client.get("/", headers={"Accept-Language": "fr"})

        self.assertEqual(page.status, 200)
        self.assertIn("Welcome to fw demo", page.text)

    def test_templates_choose_the_language_only_when_they_read_it(self):
        templates = self.root / "common/templates"
        (templates / "probe_none.html").write_text("{{ 1 }}")
        (templates / "probe_language.html").write_text("{{ language }}")
        environ = build_environ("GET", "/", headers={"Accept-Language": "es"})
        context = Context(fw.application(self.root), Request(environ))

        untouched = context.render("probe_none")
        chosen_before = context.loaded_service("language")
        read = context.render("probe_language")

        self.assertEqual(untouched, "1")
        self.assertIsNone(chosen_before)
        self.assertEqual(read, "es")
        self.assertEqual(context.loaded_service("language"), "es")

    def test_language_tags_are_matched_like_accept_language(self):
        self.client.get("/language?set=ES-mx")

        self.assertIn("Inicio", self.client.get("/").text)

    def test_unknown_languages_and_foreign_next_values(self):
        unknown = self.client.get("/language?set=xx")
        away = self.client.get("/language?set=es&next=//evil.example")

        self.assertEqual(unknown.status, 400)
        self.assertEqual(away.header("Location"), "/")

    def test_fw_browser_scripts_are_served_with_validators(self):
        script = self.client.get("/fw/expressions.js")
        again = self.client.get(
            "/fw/expressions.js", headers={"If-None-Match": script.header("ETag")}
        )

        self.assertEqual(script.status, 200)
        self.assertTrue(script.header("Content-Type").startswith("text/javascript"))
        self.assertIn(b"ExpressionError", script.body)
        self.assertEqual(again.status, 304)
        for name in ("nothing.js", "..%2F__init__.py", "expressions"):
            with self.subTest(name=name):
                self.assertEqual(self.client.get(f"/fw/{name}").status, 404)


if __name__ == "__main__":
    unittest.main()


class RequestNamesTestCase(unittest.TestCase):
    """The names a request gives its templates, each made on first read."""

    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = copy_demo(Path(temp.name) / "demo")
        self.templates = self.root / "common/templates"

    def context(self, path="/"):
        environ = build_environ("GET", path, headers={"Accept-Language": "es"})
        return Context(fw.application(self.root), Request(environ))

    def test_every_request_name_reads_and_given_values_come_first(self):
        (self.templates / "probe.html").write_text(
            "{{ request.path }}|{{ settings.site_name }}|{{ language }}|"
            "{{ title }}|{{ user }}|{{ csrf_token() | length }}|{{ params }}"
        )
        context = self.context("/about")
        context.title = "About"

        read = context.render("probe").split("|")
        given = context.render("probe", {"title": "Mine", "language": "xx"})

        self.assertEqual(read[:5], ["/about", "fw demo", "es", "About", ""])
        self.assertGreater(int(read[5]), 20)
        self.assertEqual(given.split("|")[2:4], ["xx", "Mine"])

    def test_a_key_error_while_making_a_name_is_not_a_missing_name(self):
        (self.templates / "probe.html").write_text("{{ language }}")
        context = self.context()
        context.app.services.register("language", lambda context: {}["gone"])

        with self.assertRaisesRegex(TemplateError, "'language' failed with KeyError"):
            context.render("probe")
