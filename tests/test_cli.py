"""Tests for fw/cli.py: ``python -m fw`` in a child process, on a copy of the demo."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import unittest
from collections.abc import Sequence
from pathlib import Path

import fw
from fw.testing import Client

from .support import child_environ, copy_demo
from .servers import fetch, start_server

COMMAND_SECONDS = 30
EXPLAINED = re.compile(
    r"^(?P<key>\S+) = (?P<value>.*?)\s+<- (?P<layer>\w+): (?P<file>.+):\d+$"
)
NOT_AN_APP = "is not an fw application"
FAILING_PRESENTER = 'def get(context):\n    raise ValueError("boom from a test")\n'

Arg = str | Path
Finished = subprocess.CompletedProcess


class CliTestCase(unittest.TestCase):
    """Each test gets its own copy of the demo in a temporary folder."""

    def setUp(self) -> None:
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.folder = Path(temp.name)
        self.app = copy_demo(self.folder / "app")

    def fw(self, *arguments: Arg, cwd: Path | None = None) -> Finished:
        """Run ``python -m fw ARGUMENTS`` in ``cwd`` (the temporary folder)."""
        return self.fw_each([(arguments, cwd)])[0]

    def fw_each(self, runs: list[tuple[Sequence[Arg], Path | None]]) -> list[Finished]:
        """Run several command lines at once, each in its folder; wait for all."""
        started = [
            subprocess.Popen(
                [sys.executable, "-m", "fw", *map(str, arguments)],
                cwd=cwd or self.folder,
                env=child_environ(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for arguments, cwd in runs
        ]
        for process in started:
            self.addCleanup(_end, process)
        return [_finish(process) for process in started]

    def ok(self, *arguments: Arg, cwd: Path | None = None) -> str:
        """Run a command that must succeed; return what it printed."""
        done = self.fw(*arguments, cwd=cwd)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        return done.stdout

    def test_a_name_no_layer_has_exits_1(self):
        done = self.fw("config", "explain", "nothing", "--app", self.app)

        self.assertEqual(done.returncode, 1)
        self.assertIn("no layer has this file", done.stdout)

    def explained(self, *arguments: Arg) -> dict[str, dict[str, str]]:
        """Run ``config explain`` and return its rows by key."""
        out = self.ok("config", "explain", *arguments, "--app", self.app)
        self.assertTrue(out.startswith("server layer: "), out)
        rows = [EXPLAINED.match(line) for line in out.splitlines()[2:] if line]
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


class RoutesTestCase(CliTestCase):
    def test_lists_each_presenter_with_its_layer(self) -> None:
        out = self.ok("routes", "--app", self.app)

        rows, builtin = {}, {}
        for line in out.splitlines():
            url, kind, layer, file = line.split(maxsplit=3)
            if layer == "fw":
                builtin[url] = kind
                continue
            rows[Path(file).relative_to(self.app / "common" / "presenters")] = (
                url, kind, layer
            )
        self.assertEqual(
            builtin,
            {
                "/fw/[script]": "code",
                "/language": "code",
                "/login": "code",
                "/logout": "code",
            },
        )
        self.assertEqual(rows[Path("index.py")], ("/", "code", "common"))
        self.assertEqual(rows[Path("about.html")], ("/about", "content", "common"))
        product = rows[Path("products/[id].py")]
        self.assertEqual(product, ("/products/[id]", "code", "common"))
        self.assertNotIn(Path("about.meta.json"), rows)

        url, kind, layer = rows[Path("css/site.css")]
        self.assertEqual((url, kind, layer), ("/css/site.css", "content", "common"))
        page = Client(fw.application(self.app)).get(url)
        self.assertEqual(page.status, 200)
        self.assertTrue(page.header("Content-Type").startswith("text/css"))


class ErrorsTestCase(CliTestCase):
    def test_list_show_and_prune_the_error_of_a_failing_request(self) -> None:
        (self.app / "common" / "presenters" / "boom.py").write_text(FAILING_PRESENTER)
        acl = self.app / "common" / "config" / "acl.xml"
        text = acl.read_text().replace("<item>about</item>", "<item>boom</item>")
        acl.write_text(text)
        page = Client(fw.application(self.app)).get("/boom")
        self.assertEqual(page.status, 500)
        stored = list((self.app / "var" / "errors").glob("*.json"))
        self.assertEqual(len(stored), 1)
        error_id = stored[0].stem
        self.assertIn(error_id, page.text)

        listed, shown, unknown = self.fw_each([
            (["errors", "list", "--app", self.app], None),
            (["errors", "show", error_id[:20], "--app", self.app], None),
            (["errors", "show", "19990101", "--app", self.app], None),
        ])

        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual(len(listed.stdout.splitlines()), 1, listed.stdout)
        self.assertTrue(listed.stdout.startswith(f"{error_id}  "), listed.stdout)
        self.assertIn("ValueError: boom from a test", listed.stdout)
        self.assertIn("GET /boom", listed.stdout)

        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(f"Error {error_id}", shown.stdout)
        self.assertIn("Traceback (most recent call last):", shown.stdout)
        self.assertIn(str(self.app / "common" / "presenters" / "boom.py"), shown.stdout)
        self.assertIn("ValueError: boom from a test", shown.stdout)
        self.assertIn("Request: GET /boom", shown.stdout)

        self.assertEqual(unknown.returncode, 1)
        no_such_id = "No stored error has an id starting with '19990101'"
        self.assertIn(no_such_id, unknown.stderr)
        self.assertNotIn("Traceback", unknown.stderr)

        pruned = self.ok("errors", "prune", "--older-than", "0", "--app", self.app)
        self.assertIn("Removed 1 error record(s)", pruned)
        self.assertFalse(stored[0].exists())


class ApplicationFolderTestCase(CliTestCase):
    def test_app_option_anywhere_or_the_current_folder(self) -> None:
        runs = {
            "current folder": (["routes"], self.app),
            "--app first": (["--app", self.app, "routes"], None),
            "--app last": (["routes", "--app", self.app], None),
        }
        finished = dict(zip(runs, self.fw_each(list(runs.values()))))

        index = str(self.app / "common" / "presenters" / "index.py")
        for place, done in finished.items():
            with self.subTest(place=place):
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertIn(index, done.stdout)
                self.assertEqual(done.stdout, finished["current folder"].stdout)

    def test_a_folder_that_is_no_application(self) -> None:
        empty = self.folder / "empty"
        empty.mkdir()
        commands = [
            ["routes"],
            ["config", "explain", "settings"],
            ["errors", "list"],
            ["run", "--port", "0"],
        ]
        runs = [([*command, "--app", empty], None) for command in commands]
        runs.append((["routes"], empty))
        runs.append((["routes", "--app", self.folder / "missing"], None))

        for (arguments, cwd), done in zip(runs, self.fw_each(runs)):
            with self.subTest(arguments=arguments, cwd=cwd):
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


def _finish(process: subprocess.Popen) -> Finished:
    out, err = process.communicate(timeout=COMMAND_SECONDS)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()


if __name__ == "__main__":
    unittest.main()
