"""The database inside an application: the db service, hooks found as services."""

import json
import os
import unittest

import fw
from fw.db.commands import install_missing
from fw.testing import Client

from .support import AppTestCase

NOTES = {
    "fields": {
        "id": {"type": "integer", "primary": True, "auto": True},
        "title": {"type": "text", "length": 80, "required": True},
        "slug": {"type": "text", "length": 80},
    },
    "hooks": {"before_insert": "make_slug"},
    "computed": {"shout": "shout"},
}

PRESENTER = """
def get(context):
    notes = context.service("db").table("notes").find().order("id")
    return {"notes": [[n.title, n.slug, n.shout] for n in notes]}

def post(context):
    notes = context.service("db").table("notes")
    note = notes.insert(title=context.request.form["title"])
    return {"id": note.id}
"""


class DatabaseServiceTestCase(AppTestCase):
    files = {
        "common/schema/notes.json": json.dumps(NOTES),
        "common/presenters/notes.py": PRESENTER,
        "common/services/make_slug.py": (
            "def service(context):\n"
            "    def make_slug(event):\n"
            "        title = event.values['title']\n"
            "        event.values['slug'] = title.lower().replace(' ', '-')\n"
            "    return make_slug\n"
        ),
        "common/services/shout.py": (
            "def service(context):\n    return lambda record: record.title.upper()\n"
        ),
    }

    def test_presenters_reach_records_and_hooks_are_layer_services(self):
        app = fw.application(self.root)
        self.assertEqual(install_missing(app), ["fw_sessions", "notes"])
        client = Client(app, csrf_checks=False)

        created = client.post("/notes", data={"title": "Hello World"})
        listed = client.get("/notes")

        self.assertEqual(created.json(), {"id": 1})
        expected = [["Hello World", "hello-world", "HELLO WORLD"]]
        self.assertEqual(listed.json(), {"notes": expected})

    def test_a_layer_overrides_a_hook(self):
        self.write({"servers/localhost/services/make_slug.py": (
            "def service(context, base):\n"
            "    def make_slug(event):\n"
            "        base()(event)\n"
            "        event.values['slug'] += '-local'\n"
            "    return make_slug\n"
        )})
        app = fw.application(self.root)
        install_missing(app)
        client = Client(app, csrf_checks=False)
        client.get("/notes")

        client.post("/notes", data={"title": "A B"})

        self.assertEqual(client.get("/notes").json()["notes"][0][1], "a-b-local")

    def test_records_follow_a_changed_description_in_development(self):
        self.write({"common/presenters/columns.py": (
            "def get(context):\n"
            "    return {'columns': context.service('db').table('notes').column_list}\n"
        )})
        client = Client(fw.application(self.root), csrf_checks=False)
        before = client.get("/columns").json()["columns"]

        fields = {**NOTES["fields"], "body": {"type": "text"}}
        path = self.root / "common/schema/notes.json"
        path.write_text(json.dumps({**NOTES, "fields": fields}))
        os.utime(path, ns=(10**18, 10**18))
        after = client.get("/columns").json()["columns"]

        self.assertNotIn('"body"', before)
        self.assertIn('"body"', after)

    def test_the_connection_comes_from_configuration(self):
        self.write({"common/config/database.json": '{"url": "sqlite:///var/notes.db"}'})
        app = fw.application(self.root)

        install_missing(app)

        self.assertTrue((self.root / "var/notes.db").is_file())
        self.assertFalse((self.root / "var/app.db").exists())


if __name__ == "__main__":
    unittest.main()
