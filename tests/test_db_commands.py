"""`python -m fw db ...` on a copy of the demo, as a developer would use it."""

import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from .support import DEMO, child_environ


class DbCommandsTestCase(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.app = Path(temp.name) / "demo"
        ignore = shutil.ignore_patterns("var", "environments", "__pycache__")
        shutil.copytree(DEMO, self.app, ignore=ignore)

    def fw(self, *arguments):
        return subprocess.run(
            [sys.executable, "-m", "fw", *arguments, "--app", str(self.app)],
            capture_output=True,
            text=True,
            env=child_environ(),
            timeout=120,
        )

    def rows(self, statement, database="var/app.db"):
        with sqlite3.connect(self.app / database) as connection:
            return connection.execute(statement).fetchall()

    def describe(self, table, change):
        path = self.app / "common/schema" / f"{table}.json"
        description = json.loads(path.read_text())
        change(description)
        path.write_text(json.dumps(description))

    def test_install_then_status(self):
        before = self.fw("db", "status")
        installed = self.fw("db", "install")
        again = self.fw("db", "install")
        after = self.fw("db", "status")

        self.assertEqual(before.returncode, 2)
        self.assertIn("does not exist", before.stderr)
        self.assertEqual(installed.returncode, 0, installed.stderr)
        self.assertIn("Installed categories, fw_sessions, products", installed.stdout)
        self.assertIn("Nothing to install", again.stdout)
        self.assertEqual(after.returncode, 0)
        self.assertIn("matches the descriptions", after.stdout)
        self.assertEqual(self.rows("SELECT name FROM roles ORDER BY id")[0], ("admin",))

    def test_upgrade_dry_run_then_apply(self):
        self.fw("db", "install")
        self.describe("users", lambda d: d["fields"].update(
            {"email": {"type": "text", "length": 200}}
        ))

        dry = self.fw("db", "upgrade", "--dry-run")
        still = self.fw("db", "status")
        applied = self.fw("db", "upgrade")

        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn('ALTER TABLE "users" ADD COLUMN "email"', dry.stdout)
        self.assertEqual(still.returncode, 1)
        self.assertEqual(applied.returncode, 0, applied.stderr)
        columns = [row[1] for row in self.rows("PRAGMA table_info(users)")]
        self.assertIn("email", columns)

    def test_a_drop_is_refused_without_the_flag(self):
        self.fw("db", "install")
        def drop_name(description):
            description["fields"].pop("name")
            for row in description["seed"]:
                row.pop("name")

        self.describe("users", drop_name)

        refused = self.fw("db", "upgrade")
        allowed = self.fw("db", "upgrade", "--allow-data-loss")

        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--allow-data-loss", refused.stderr)
        self.assertNotIn("Traceback", refused.stderr)
        self.assertEqual(allowed.returncode, 0, allowed.stderr)
        columns = [row[1] for row in self.rows("PRAGMA table_info(users)")]
        self.assertNotIn("name", columns)

    def test_database_option_and_copy(self):
        other = "sqlite:///var/other.db"

        installed = self.fw("db", "install", "--database", other)
        copy = "sqlite:///var/copy.db"
        copied = self.fw("db", "copy", "--database", other, "--to", copy)

        self.assertEqual(installed.returncode, 0, installed.stderr)
        self.assertFalse((self.app / "var/app.db").exists())
        self.assertEqual(copied.returncode, 0, copied.stderr)
        self.assertIn("products: 3 rows", copied.stdout)
        self.assertEqual(len(self.rows("SELECT * FROM products", "var/copy.db")), 3)

    def test_bad_connections_are_clear_messages(self):
        for url in (
            "nonsense",
            "oracle://x/y",
            "postgresql://nobody@127.0.0.1:1/x",
            "sqlite:///var/typo.db",
        ):
            with self.subTest(url=url):
                done = self.fw("db", "status", "--database", url)

                self.assertNotEqual(done.returncode, 0)
                self.assertTrue(done.stderr.startswith("fw: "), done.stderr)
                self.assertNotIn("Traceback", done.stderr)
        self.assertFalse((self.app / "var/typo.db").exists())


if __name__ == "__main__":
    unittest.main()
