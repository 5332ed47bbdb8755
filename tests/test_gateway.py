"""Tests for fw.gateway: a CGI process loads only what its request needs.

Every CGI request starts a new Python, so whatever the request imports
and does not use is paid again on every request. The benchmark's
/plaintext and /page are answered in a child process, and the modules it
loaded are read at its exit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from .bench import prepare
from .support import ROOT, child_environ
from .test_cgi import CGI_VARIABLES, SCRIPT_SECONDS

BENCH_APP = ROOT / "tests" / "bench" / "app"

# NOTE: runs index.cgi as the web server would, then writes the names of the
# loaded modules to the file named by the second argument.
WRAPPER = """
import atexit, runpy, sys

def write_modules(listing):
    with open(listing, "w", encoding="utf-8") as stream:
        stream.write("\\n".join(sorted(sys.modules)))

atexit.register(write_modules, sys.argv[2])
sys.argv = sys.argv[1:2]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

# What /plaintext must not load: the database, templates, languages, the
# error pages and commands, the servers, and the standard library modules
# that only writing, failing or other formats need.
NOT_NEEDED = (
    "fw.db",
    "fw.db.schema",
    "fw.templates",
    "fw.language",
    "fw.i18n",
    "fw.mail",
    "fw.errors.pages",
    "fw.errors.commands",
    "fw.server",
    "fw.cli",
    "sqlite3",
    "argparse",
    "socketserver",
    "html",
    "secrets",
    "getpass",
    "sysconfig",
    "xml.etree.ElementTree",
)

# What /page, which reads the database and renders a template the cache
# already holds, must not load: dataclasses (and inspect through it) and
# the template compiler.
PAGE_NOT_NEEDED = ("dataclasses", "inspect", "fw.templates.compiler")


def answer(app: Path, path: str, listing: Path) -> subprocess.CompletedProcess:
    """Answer ``path`` through the app's index.cgi; list its modules."""
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, str(app / "index.cgi"), str(listing)],
        env={**child_environ(), **CGI_VARIABLES, "PATH_INFO": path},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=SCRIPT_SECONDS,
    )


class PlaintextImportsTestCase(unittest.TestCase):
    """The benchmark's /plaintext answered through index.cgi in production."""

    @classmethod
    def setUpClass(cls) -> None:
        temp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(temp.cleanup)
        app = Path(temp.name) / "app"
        shutil.copytree(BENCH_APP, app, ignore=shutil.ignore_patterns("__pycache__"))
        (app / "production").mkdir()
        listing = Path(temp.name) / "modules.txt"

        cls.done = answer(app, "/plaintext", listing)
        cls.modules = set(listing.read_text(encoding="utf-8").split("\n"))

    def test_answers(self) -> None:
        output = self.done.stdout

        self.assertEqual(self.done.returncode, 0, self.done.stderr)
        self.assertTrue(output.startswith(b"Status: 200 OK"), output)
        self.assertTrue(output.endswith(b"Hello, World!"), output)

    def test_loads_the_application(self) -> None:
        self.assertIn("fw.app", self.modules)
        self.assertIn("fw.access", self.modules)

    def test_loads_nothing_it_does_not_need(self) -> None:
        for name in NOT_NEEDED:
            with self.subTest(module=name):
                self.assertNotIn(name, self.modules)


class PageImportsTestCase(unittest.TestCase):
    """The benchmark's /page, a second time, through index.cgi in production."""

    @classmethod
    def setUpClass(cls) -> None:
        temp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(temp.cleanup)
        app = prepare(temp.name)
        (app / "production").mkdir()
        listing = Path(temp.name) / "modules.txt"

        cls.first = answer(app, "/page", listing)
        cls.done = answer(app, "/page", listing)
        cls.modules = set(listing.read_text(encoding="utf-8").split("\n"))

    def test_answers(self) -> None:
        for run in (self.first, self.done):
            with self.subTest(run="first" if run is self.first else "second"):
                self.assertEqual(run.returncode, 0, run.stderr)
                self.assertTrue(run.stdout.startswith(b"Status: 200 OK"), run.stdout)

    def test_reads_the_database(self) -> None:
        self.assertIn("fw.db.records", self.modules)

    def test_loads_nothing_it_does_not_need(self) -> None:
        for name in PAGE_NOT_NEEDED:
            with self.subTest(module=name):
                self.assertNotIn(name, self.modules)


if __name__ == "__main__":
    unittest.main()
