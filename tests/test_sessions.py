import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fw import csrf
from fw.db.connection import Database
from fw.db.migrate import install
from fw.db.schema import parse_schema
from fw.response import Response
from fw.sessions import (
    COOKIE,
    LIFETIME,
    Session,
    SessionStore,
    cookie_header_options,
)

from .dbsupport import EngineTestCase, needs_driver


def _digest(cookie):
    return hashlib.sha256(cookie.encode()).hexdigest()

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = ROOT / "fw" / "layer" / "schema" / "fw_sessions.json"
START = datetime(2024, 5, 1, 10, 0, 0)


def sessions_schema():
    data = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    return parse_schema({"fw_sessions": (data, str(DESCRIPTION))})


def install_sessions(database):
    install(database, sessions_schema())


class Clock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class SessionTestCase(unittest.TestCase):
    def test_only_json_values_are_kept(self):
        session = Session()

        session["cart"] = {"items": [1, 2], "note": "café", "gift": None}
        for value in ({1, 2}, object(), datetime(2024, 1, 1), b"bytes", float("nan")):
            with self.subTest(value=value):
                with self.assertRaisesRegex(TypeError, "only JSON values"):
                    session["bad"] = value
        with self.assertRaisesRegex(TypeError, "must be text"):
            session[1] = "one"
        self.assertEqual(list(session), ["cart"])

    def test_cookie_options(self):
        for production in (False, True):
            with self.subTest(production=production):
                options = cookie_header_options(production)

                self.assertEqual(options["max_age"], 14 * 24 * 3600)
                self.assertEqual(options["path"], "/")
                self.assertIs(options["secure"], production)
                self.assertIs(options["http_only"], True)
                self.assertEqual(options["same_site"], "Lax")

    def test_the_description_holds_what_the_store_writes(self):
        table = sessions_schema().table("fw_sessions")

        types = {field.name: field.type for field in table.fields}
        self.assertEqual(
            types,
            {"id": "text", "data": "json", "expires": "datetime",
             "updated": "datetime"},
        )
        self.assertEqual(table.primary_key, ("id",))
        self.assertEqual([index.fields for index in table.indexes], [("expires",)])


class StoreCases:
    """The store's behaviour; mixed into one test case per engine."""

    def setUp(self):
        super().setUp()
        install_sessions(self.database)
        self.clock = Clock()
        self.store = self.make_store(self.database)

    def make_store(self, database, **options):
        options = {"clock": self.clock, "cleanup_every": 0, **options}
        return SessionStore(database, **options)

    def rows(self, database=None):
        return (database or self.database).rows("SELECT id FROM fw_sessions")

    def stored(self, **values):
        session = self.store.load(None)
        session.update(values)
        return self.store.save(session)

    def test_round_trip(self):
        cookie = self.stored(user=7, cart={"lamp": 2}, language="fr")

        session = self.store.load(cookie)

        self.assertEqual(dict(session), {"user": 7, "cart": {"lamp": 2},
                                         "language": "fr"})
        self.assertEqual(session.id, cookie)
        self.assertFalse(session.is_new)
        self.assertFalse(session.modified)
        self.assertEqual(session.expires, START + LIFETIME)

    def test_changes_are_saved(self):
        cookie = self.stored(cart=["lamp"])
        session = self.store.load(cookie)

        session["cart"].append("chair")
        self.assertTrue(session.modified)
        self.assertEqual(self.store.save(session), cookie)

        self.assertEqual(self.store.load(cookie)["cart"], ["lamp", "chair"])

    def test_no_row_and_no_cookie_for_visitors_who_store_nothing(self):
        session = self.store.load(None)

        self.assertTrue(session.is_new)
        self.assertIsNone(self.store.save(session))
        self.assertEqual(self.rows(), [])

    def test_only_the_hash_of_the_id_is_stored(self):
        cookie = self.stored(user=1)

        self.assertEqual(len(cookie), 43)
        self.assertEqual(self.rows(), [(hashlib.sha256(cookie.encode()).hexdigest(),)])

    def test_rotate_gives_a_new_id_and_the_old_one_no_longer_loads(self):
        before = self.stored(language="de")
        session = self.store.load(before)

        self.store.rotate(session)
        session["user"] = 3
        after = self.store.save(session)

        self.assertNotEqual(after, before)
        self.assertEqual(dict(self.store.load(after)), {"language": "de", "user": 3})
        self.assertTrue(self.store.load(before).is_new)
        self.assertEqual(len(self.rows()), 1)

    def test_rotate_drops_the_csrf_token(self):
        session = self.store.load(None)
        known = csrf.token(session)
        self.store.save(session)

        self.store.rotate(session)
        self.store.save(session)

        self.assertNotEqual(csrf.token(session), known)

    def test_rotating_an_emptied_session_clears_the_cookie(self):
        session = self.store.load(self.stored(user=1))

        session.clear()
        self.store.rotate(session)

        self.assertEqual(self.store.save(session), "")
        self.assertEqual(self.rows(), [])

    def test_an_emptied_session_loses_its_row_and_cookie(self):
        session = self.store.load(self.stored(user=1))

        del session["user"]

        self.assertEqual(self.store.save(session), "")
        self.assertEqual(self.rows(), [])

    def test_destroy(self):
        cookie = self.stored(user=1)
        session = self.store.load(cookie)

        self.store.destroy(session)

        self.assertEqual(len(session), 0)
        self.assertEqual(self.rows(), [])
        self.assertEqual(self.store.save(session), "")
        self.assertTrue(self.store.load(cookie).is_new)

    def test_a_session_expires(self):
        cookie = self.stored(user=1)

        self.clock.advance(days=13, hours=23)
        self.assertEqual(self.store.load(cookie)["user"], 1)
        self.clock.advance(hours=1)
        session = self.store.load(cookie)

        self.assertTrue(session.is_new)
        self.assertEqual(len(session), 0)
        self.assertEqual(self.store.save(session), "")
        self.assertEqual(self.rows(), [])

    def test_expiry_slides_at_most_once_a_minute(self):
        cookie = self.stored(user=1)

        self.clock.advance(seconds=30)
        self.assertIsNone(self.store.save(self.store.load(cookie)))
        self.clock.advance(seconds=31)
        self.assertEqual(self.store.save(self.store.load(cookie)), cookie)

        later = START + timedelta(seconds=61) + LIFETIME
        self.assertEqual(self.store.load(cookie).expires, later)

    def test_cleanup_deletes_only_expired_rows(self):
        self.stored(user=1)
        self.stored(user=2)
        self.clock.advance(days=10)
        fresh = self.stored(user=3)
        self.clock.advance(days=5)

        self.assertEqual(self.store.cleanup(), 2)
        self.assertEqual(self.store.cleanup(), 0)
        self.assertEqual(self.store.load(fresh)["user"], 3)

    def test_cleanup_runs_lazily_on_save(self):
        expired = self.stored(user=1)
        self.clock.advance(days=15)
        store = self.make_store(self.database, cleanup_every=1)
        session = store.load(None)
        session["user"] = 2

        fresh = store.save(session)

        self.assertEqual(self.rows(), [(_digest(fresh),)])
        self.assertNotEqual(expired, fresh)

    def test_an_empty_session_writes_nothing_and_rolls_no_cleanup(self):
        self.stored(user=1)
        self.clock.advance(days=15)
        store = self.make_store(self.database, cleanup_every=1)

        self.assertIsNone(store.save(store.load(None)))

        self.assertEqual(len(self.rows()), 1)

    def test_forged_and_malformed_cookies_give_a_fresh_session(self):
        self.stored(user=1)
        forged = [
            "A" * 43,
            "A" * 100_000,
            "short",
            "abc\0def" + "A" * 36,
            "é" * 43,
            "' OR 1=1 --" + "A" * 32,
            "\ud800" * 43,
        ]
        for raw in forged:
            with self.subTest(raw=raw[:12]):
                session = self.store.load(raw)

                self.assertTrue(session.is_new)
                self.assertEqual(dict(session), {})
                self.assertEqual(self.store.save(session), "")
        self.assertEqual(len(self.rows()), 1)

    def test_a_forged_id_is_not_adopted(self):
        session = self.store.load("B" * 43)

        session["user"] = 1
        cookie = self.store.save(session)

        self.assertNotEqual(cookie, "B" * 43)
        self.assertTrue(self.store.load("B" * 43).is_new)

    def test_two_connections_share_a_session(self):
        other = Database(self.url)
        self.addCleanup(other.close)
        there = self.make_store(other)
        cookie = self.stored(user=5)

        session = there.load(cookie)
        session["language"] = "it"
        there.save(session)

        self.assertEqual(dict(self.store.load(cookie)), {"user": 5, "language": "it"})
        self.assertEqual(len(self.rows(other)), 1)

    def test_finish_sets_and_clears_the_cookie(self):
        session = self.store.load(None)
        session["user"] = 1
        response = Response()

        self.store.finish(session, response, production=True)
        header = response.get_header("Set-Cookie")

        self.assertIn(f"{COOKIE}={session.id}", header)
        for part in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=1209600"):
            self.assertIn(part, header)
        session.clear()
        cleared = Response()
        self.store.finish(session, cleared, production=False)
        self.assertIn("Max-Age=0", cleared.get_header("Set-Cookie"))
        self.assertNotIn("Secure", cleared.get_header("Set-Cookie"))

    def test_an_unchanged_session_sets_no_cookie(self):
        session = self.store.load(self.stored(user=1))
        response = Response()

        self.store.finish(session, response, production=False)

        self.assertIsNone(response.get_header("Set-Cookie"))

    def test_an_aware_clock_is_read_as_utc(self):
        berlin = timezone(timedelta(hours=2))
        self.clock.now = datetime(2024, 5, 1, 12, 0, tzinfo=berlin)

        session = self.store.load(self.stored(user=1))

        self.assertEqual(session.updated, START)


class SQLiteStoreTestCase(StoreCases, EngineTestCase):
    engine = "sqlite"


@needs_driver("postgresql")
class PostgreSQLStoreTestCase(StoreCases, EngineTestCase):
    engine = "postgresql"


@needs_driver("mysql")
class MariaDBStoreTestCase(StoreCases, EngineTestCase):
    engine = "mysql"


CHILD = """
import sys
from fw.db.connection import Database
from fw.sessions import SessionStore

store = SessionStore(Database(sys.argv[1]), cleanup_every=0)
session = store.load(sys.argv[2] or None)
session["seen_by"] = session.get("seen_by", []) + ["child"]
print(store.save(session) or "")
"""


class TwoProcessesTestCase(unittest.TestCase):
    """Two processes on one SQLite file: what one saves, the other loads."""

    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.url = f"sqlite:///{Path(folder.name) / 'app.db'}"
        self.database = Database(self.url)
        self.addCleanup(self.database.close)
        install_sessions(self.database)
        self.store = SessionStore(self.database, cleanup_every=0)

    def child(self, cookie):
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        done = subprocess.run(
            [sys.executable, "-c", CHILD, self.url, cookie],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=30,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.strip()

    def test_a_session_saved_in_one_process_loads_in_another(self):
        cookie = self.child("")
        session = self.store.load(cookie)
        self.assertEqual(session["seen_by"], ["child"])

        session["seen_by"].append("parent")
        self.store.save(session)
        again = self.child(cookie)

        self.assertEqual(again, cookie)
        self.assertEqual(self.store.load(cookie)["seen_by"],
                         ["child", "parent", "child"])


if __name__ == "__main__":
    unittest.main()
