"""The demo's product form in headless Chromium and without it: issue 5's acceptance.

The browser shows the message as the visitor types, before any submit;
the same bad value posted without the browser gets the same message from
the server; nothing is stored; switching the language changes labels and
messages, and the choice holds for the next request.
"""

import sqlite3
import tempfile
import threading
from pathlib import Path

import fw
from fw.server import make
from fw.testing import Client

from .browser import BrowserTestCase
from .support import copy_demo

# fw's script marks a form it watches with novalidate, once the page is loaded.
FORM_READY = (
    "document.readyState === 'complete' && "
    "document.querySelector('form.fw-form') !== null && "
    "document.querySelector('form.fw-form').noValidate"
)
SHORT_NAME = {
    "en": "The shortest allowed length is 2.",
    "es": "La longitud mínima es 2.",
}


class ProductFormTestCase(BrowserTestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = copy_demo(Path(temp.name) / "demo")
        self.app = fw.application(self.root)
        server = make(self.app, "127.0.0.1", 0)
        self.addCleanup(server.server_close)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        self.base = f"http://localhost:{server.server_address[1]}"

    def products(self):
        with sqlite3.connect(self.root / "var/app.db") as connection:
            return connection.execute("SELECT COUNT(*) FROM products").fetchone()[0]

    def browser_log_in(self):
        page = self.page
        page.open(f"{self.base}/login?next=/catalog/products/new")
        page.type_into("input[name=login]", "admin")
        page.type_into("input[name=password]", "demo")
        page.click("button[type=submit]")
        page.wait_for(FORM_READY)
        return page

    def client_log_in(self):
        client = Client(self.app)
        token = client.form_token("/login")
        client.post("/login", data={"login": "admin", "password": "demo",
                                    "csrf_token": token})
        return client

    def test_the_browser_shows_the_message_before_submitting(self):
        page = self.browser_log_in()

        page.type_into("#products-name", "A")
        page.wait_for("document.querySelector('#products-name--errors').textContent")

        shown = page.text_of("#products-name--errors").strip()
        self.assertEqual(shown, SHORT_NAME["en"])
        self.assertTrue(page.evaluate("location.pathname === '/catalog/products/new'"))
        self.assertEqual(page.errors(), [])
        self.assertEqual(self.products(), 3)

    def test_the_server_gives_the_same_message_and_stores_nothing(self):
        client = self.client_log_in()
        token = client.form_token("/catalog/products/new")

        answer = client.post("/catalog/products/new", data={
            "name": "A", "price": "12.50", "category_id": "1", "csrf_token": token
        })

        self.assertEqual(answer.status, 422)
        self.assertIn(SHORT_NAME["en"], answer.text)
        self.assertIn('value="12.50"', answer.text)
        self.assertEqual(self.products(), 3)

    def test_a_good_product_is_stored(self):
        client = self.client_log_in()
        token = client.form_token("/catalog/products/new")

        answer = client.post("/catalog/products/new", data={
            "name": "Desk", "price": "120.00", "category_id": "1", "csrf_token": token
        })

        self.assertEqual(answer.status, 303)
        self.assertEqual(self.products(), 4)
        self.assertEqual(answer.header("Location"), "/catalog/products/")
        self.assertIn("Desk", client.get("/catalog/products/").text)

    def test_categories_have_their_form_and_report_in_both_languages(self):
        client = self.client_log_in()
        token = client.form_token("/catalog/categories/new")

        data = {"name": "Rugs", "csrf_token": token}
        client.post("/catalog/categories/new", data=data)
        english = client.get("/catalog/categories/?sort=-name")
        client.get("/language?set=es")
        spanish = client.get("/catalog/categories/")

        self.assertIn("3 categories", english.text)
        self.assertLess(english.text.index("Rugs"), english.text.index("Furniture"))
        self.assertIn("3 categorías", spanish.text)
        self.assertIn("Categoría nueva", spanish.text)
        self.assertEqual(client.get("/catalog/nothing/").status, 404)

    def test_refused_by_the_database_is_a_message_not_a_500(self):
        client = self.client_log_in()
        cases = {
            "/catalog/products/new": {
                "name": "Cat", "price": "1.00", "category_id": "999"
            },
            "/catalog/categories/new": {"name": "Furniture"},
        }
        for path, data in cases.items():
            with self.subTest(path=path):
                token = client.form_token(path)
                answer = client.post(path, data={**data, "csrf_token": token})

                self.assertEqual(answer.status, 422)
                self.assertIn("would repeat an existing name", answer.text)
        self.assertEqual(self.products(), 3)

    def test_switching_language_changes_labels_and_messages_and_holds(self):
        client = self.client_log_in()
        english = client.get("/catalog/products/new")

        client.get("/language?set=es&next=/catalog/products/new")
        spanish = client.get("/catalog/products/new")
        token = client.form_token("/catalog/products/new")
        refused = client.post("/catalog/products/new", data={
            "name": "A", "price": "1", "category_id": "1", "csrf_token": token
        })

        self.assertIn(">Name</label>", english.text)
        self.assertIn(">Nombre</label>", spanish.text)
        self.assertIn(SHORT_NAME["es"], refused.text)
        self.assertIn(">Nombre</label>", client.get("/catalog/products/new").text)

    def test_the_browser_speaks_the_chosen_language(self):
        page = self.browser_log_in()
        page.open(f"{self.base}/language?set=es&next=/catalog/products/new")
        page.wait_for(FORM_READY)

        page.type_into("#products-name", "A")
        page.wait_for("document.querySelector('#products-name--errors').textContent")

        self.assertEqual(page.text_of("label[for=products-name]"), "Nombre")
        shown = page.text_of("#products-name--errors").strip()
        self.assertEqual(shown, SHORT_NAME["es"])
