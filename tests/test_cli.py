"""Tests for fw/cli.py: ``python -m fw`` run in a child process on a copy of the demo."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import fw
from fw.testing import Client

from .support import child_environ, copy_demo
from .test_run import fetch, start_server

COMMAND_SECONDS = 30
EXPLAINED = re.compile(r"^(?P<key>\S+) = (?P<value>.*?)\s+<- (?P<layer>\w+): (?P<file>.+):\d+$")
NOT_AN_APP = "is not an fw application"
FAILING_PRESENTER = 'def get(context):\n    raise ValueError("boom from a test")\n'


class CliTestCase(unittest.TestCase):
    """Each test gets its own copy of the demo in a temporary folder."""

    def setUp(self) -> None:
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.folder = Path(temp.name)
        self.app = copy_demo(self.folder / "app")

    def fw(self, *arguments: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """Run ``python -m fw ARGUMENTS`` in ``cwd`` (the temporary folder)."""
        return subprocess.run(
            [sys.executable, "-m", "fw", *map(str, arguments)],
            cwd=cwd or self.folder,
            env=child_environ(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
        )

    def ok(self, *arguments: str | Path, cwd: Path | None = None) -> str:
        """Run a command that must succeed; return what it printed."""
        done = self.fw(*arguments, cwd=cwd)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        return done.stdout

    def explained(self, *arguments: str | Path) -> dict[str, dict[str, str]]:
        """Run ``config explain`` and return its rows by key."""
        out = self.ok("config", "explain", *arguments, "--app", self.app)
        rows = [EXPLAINED.match(line) for line in out.splitlines()[1:] if line]
        self.assertTrue(rows and all(rows), out)
        return {row["key"]: row.groupdict() for row in rows}


class ConfigExplainTestCase(CliTestCase):
    def test_names_the_layer_and_file_of_each_value_after_a_request(self) -> None:
        self.assertEqual(Client(fw.application(self.app)).get("/").status, 200)

        rows = self.explained("settings")

        common = self.app / "common" / "config" / "settings.json"
        server = self.app / "servers" / "localhost" / "config" / "settings.json"
        self.assertEqual(rows["site_name"]["value"], '"fw demo"')
        self.assertEqual(rows["site_name"]["layer"], "common")
        self.assertEqual(Path(rows["site_name"]["file"]), common)
        self.assertIn("localhost server layer", rows["tagline"]["value"])
        self.assertEqual(rows["tagline"]["layer"], "server")
        self.assertEqual(Path(rows["tagline"]["file"]), server)

    def test_host_option_before_any_request(self) -> None:
        before = self.explained("settings")
        with_host = self.explained("settings", "--host", "localhost")

        self.assertEqual(before["tagline"]["layer"], "common")
        self.assertEqual(with_host["tagline"]["layer"], "server")
        self.assertEqual(with_host["site_name"]["layer"], "common")

    def test_unknown_name(self) -> None:
        out = self.ok("config", "explain", "nothing", "--app", self.app)

        self.assertIn("config/nothing: no layer has this file.", out)


class RoutesTestCase(CliTestCase):
    def test_lists_each_presenter_with_its_layer(self) -> None:
        out = self.ok("routes", "--app", self.app)

        rows = {}
        for line in out.splitlines():
            url, kind, layer, file = line.split(maxsplit=3)
            rows[Path(file).relative_to(self.app / "common" / "presenters")] = (
                url, kind, layer
            )
        self.assertEqual(rows[Path("index.py")], ("/", "code", "common"))
        self.assertEqual(rows[Path("about.html")], ("/about", "content", "common"))
        product = rows[Path("products/[id].py")]
        self.assertEqual(product, ("/products/[id]", "code", "common"))
        self.assertNotIn(Path("about.meta.json"), rows)

        url, kind, layer = rows[Path("css/site.css")]
        self.assertEqual((kind, layer), ("content", "common"))
        self.assertTrue(url.startswith("/css/site"), url)
        page = Client(fw.application(self.app)).get(url)
        self.assertEqual(page.status, 200)
        self.assertTrue(page.header("Content-Type").startswith("text/css"))


class ErrorsTestCase(CliTestCase):
    def setUp(self) -> None:
        super().setUp()
        (self.app / "common" / "presenters" / "boom.py").write_text(FAILING_PRESENTER)
        page = Client(fw.application(self.app)).get("/boom")
        self.assertEqual(page.status, 500)
        self.page = page.text

    def test_list_show_and_prune(self) -> None:
        listed = self.ok("errors", "list", "--app", self.app).splitlines()
        self.assertEqual(len(listed), 1, listed)
        self.assertIn("ValueError: boom from a test", listed[0])
        self.assertIn("GET /boom", listed[0])
        error_id = listed[0].split()[0]
        self.assertIn(error_id, self.page)

        shown = self.ok("errors", "show", error_id[:20], "--app", self.app)
        self.assertIn(f"Error {error_id}", shown)
        self.assertIn("Traceback (most recent call last):", shown)
        self.assertIn("boom.py", shown)
        self.assertIn("ValueError: boom from a test", shown)
        self.assertIn("Request: GET /boom", shown)

        record = json.loads(self.ok("errors", "show", error_id, "--json", "--app", self.app))
        self.assertEqual(record["id"], error_id)

        pruned = self.ok("errors", "prune", "--older-than", "0", "--app", self.app)
        self.assertIn("Removed 1 error record(s)", pruned)
        self.assertEqual(list((self.app / "var" / "errors").glob("*.json")), [])
        self.assertIn("No stored errors", self.ok("errors", "list", "--app", self.app))

    def test_show_an_unknown_id(self) -> None:
        done = self.fw("errors", "show", "19990101", "--app", self.app)

        self.assertEqual(done.returncode, 1)
        self.assertIn("No stored error has an id starting with '19990101'", done.stderr)
        self.assertNotIn("Traceback", done.stderr)


class ApplicationFolderTestCase(CliTestCase):
    def test_app_option_anywhere_or_the_current_folder(self) -> None:
        expected = self.ok("routes", cwd=self.app)
        self.assertIn(str(self.app / "common" / "presenters" / "index.py"), expected)

        for arguments in (["--app", self.app, "routes"], ["routes", "--app", self.app]):
            with self.subTest(arguments=arguments):
                self.assertEqual(self.ok(*arguments), expected)

    def test_a_folder_that_is_no_application(self) -> None:
        empty = self.folder / "empty"
        empty.mkdir()
        commands = [["routes"], ["config", "explain", "settings"], ["errors", "list"]]
        places = {
            "current folder": ([], empty),
            "--app": (["--app", empty], self.folder),
            "missing --app": (["--app", self.folder / "missing"], self.folder),
        }
        for command in [*commands, ["run", "--port", "0"]]:
            for place, (option, cwd) in places.items():
                with self.subTest(command=command, place=place):
                    done = self.fw(*command, *option, cwd=cwd)

                    self.assertEqual(done.returncode, 2)
                    self.assertIn(NOT_AN_APP, done.stderr)
                    self.assertIn("Give the folder that holds common/", done.stderr)
                    self.assertNotIn("Traceback", done.stderr)
                    self.assertEqual(done.stdout, "")


class RunTestCase(CliTestCase):
    def test_serves_the_application(self) -> None:
        port = start_server(
            ["-m", "fw", "run", "--app", str(self.app), "--port", "0"],
            cwd=self.folder,
            add_cleanup=self.addCleanup,
        )

        status, headers, body = fetch(port, "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get_content_type(), "text/html")
        self.assertIn(b"<h1>Welcome to fw demo</h1>", body)

        status, _, body = fetch(port, "/nowhere")
        self.assertEqual(status, 404)
        self.assertIn(b"<h1>Nothing here</h1>", body)


if __name__ == "__main__":
    unittest.main()
