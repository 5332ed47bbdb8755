"""Tests for the benchmark application: every endpoint answers by the rules.

Not timed: this checks that fw and the raw callable do the same, correct
work, so that the figures of ``python -m tests.bench`` compare like with like.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import fw
from fw import app as fw_app
from fw import finder as fw_finder
from fw.config import readers
from fw.testing import Client

from .bench import WORLD_ROWS, prepare
from .bench.__main__ import CGI_ENDPOINTS, ENDPOINTS, REPO, call, environ_for
from .bench.raw import EXTRA, RawApp, query_count

_CELLS = re.compile(r"<tr><td>(\d+)</td><td>(.*?)</td></tr>")


class BenchAppTest(unittest.TestCase):
    """The fw application and the raw callable answer every endpoint alike."""

    @classmethod
    def setUpClass(cls) -> None:
        cls._folder = tempfile.TemporaryDirectory()
        cls.root = prepare(cls._folder.name)
        cls.client = Client(fw.application(cls.root))
        cls.raw = RawApp(cls.root / "var" / "app.db")

    @classmethod
    def tearDownClass(cls) -> None:
        cls._folder.cleanup()

    def both(self, target: str) -> list[tuple[str, str, bytes]]:
        """Return (who, status, body) from fw and from the raw callable."""
        page = self.client.get(target)
        status, body = call(self.raw, environ_for(target))
        return [("fw", str(page.status), page.body), ("raw", status[:3], body)]

    def test_plaintext(self) -> None:
        page = self.client.get("/plaintext")

        self.assertEqual(page.status, 200)
        self.assertEqual(page.body, b"Hello, World!")
        self.assertEqual(page.header("Content-Type"), "text/plain")

    def test_json(self) -> None:
        for who, status, body in self.both("/json"):
            with self.subTest(who):
                self.assertEqual(status, "200")
                self.assertEqual(json.loads(body), {"message": "Hello, World!"})
        content_type = self.client.get("/json").header("Content-Type")
        self.assertEqual(content_type, "application/json")

    def test_db_gives_one_stored_row(self) -> None:
        for who, status, body in self.both("/db"):
            with self.subTest(who):
                row = json.loads(body)
                self.assertEqual(status, "200")
                self.assertEqual(set(row), {"id", "randomNumber"})
                self.assertTrue(1 <= row["id"] <= WORLD_ROWS)
                self.assertEqual(row["randomNumber"], self.stored(row["id"]))

    def test_queries_are_clamped(self) -> None:
        cases = {
            "": 1,
            "queries=abc": 1,
            "queries=0": 1,
            "queries=-3": 1,
            "queries=7": 7,
            "queries=501": 500,
            "queries=1_0": 1,
            "queries=%205%20": 1,
            "queries=%D9%A3": 1,
            "queries=2&queries=7": 7,
            f"queries={'9' * 5000}": 500,
            "queries=0007": 7,
        }
        for query, count in cases.items():
            for who, status, body in self.both(f"/queries?{query}"):
                with self.subTest(query=query, who=who):
                    rows = json.loads(body)
                    self.assertEqual(status, "200")
                    self.assertEqual(len(rows), count)
                    first = rows[0]
                    self.assertEqual(first["randomNumber"], self.stored(first["id"]))

    def test_updates_store_the_new_numbers(self) -> None:
        target = "/updates?queries=5"
        answers = {
            "fw": lambda: self.client.get(target).body,
            "raw": lambda: call(self.raw, environ_for(target))[1],
        }
        for who, answer in answers.items():
            with self.subTest(who):
                rows = json.loads(answer())
                # NOTE: checked before the other side writes; when an id is
                # picked twice, its last number is the one stored.
                latest = {row["id"]: row["randomNumber"] for row in rows}

                self.assertEqual(len(rows), 5)
                for key, number in latest.items():
                    self.assertEqual(self.stored(key), number)

    def test_fortunes_sorted_escaped_with_the_extra_one(self) -> None:
        for who, status, body in self.both("/fortunes"):
            with self.subTest(who):
                text = body.decode()
                cells = [(int(k), html.unescape(m)) for k, m in _CELLS.findall(text)]
                self.assertEqual(len(cells), 13)
                self.assertIn((0, EXTRA), cells)
                self.assertEqual(cells, sorted(cells, key=lambda cell: cell[1]))
                self.assertNotIn("<script>", text)
                self.assertIn("&lt;script&gt;", text)
                self.assertIn("フレームワークのベンチマーク", text)

    def test_page_goes_through_the_layout(self) -> None:
        for who, status, body in self.both("/page"):
            with self.subTest(who):
                text = body.decode()
                self.assertEqual(status, "200")
                self.assertIn("<title>A page · fw benchmark</title>", text)
                self.assertIn("fortune: No such file or directory", text)

    def test_unknown_page_is_not_found(self) -> None:
        self.assertEqual(self.client.get("/nothing").status, 404)

    def test_query_count_rules(self) -> None:
        self.assertEqual(query_count("queries=12&x=1"), 12)
        self.assertEqual(query_count("queries=1000"), 500)
        self.assertEqual(query_count("queries="), 1)

    def stored(self, key: int) -> int:
        """Return the randomnumber the world row ``key`` holds now."""
        rows = self.raw.connection.execute(
            "SELECT randomnumber FROM world WHERE id = ?", (key,)
        ).fetchall()
        return rows[0][0]


class ProductionCachesTest(unittest.TestCase):
    """In production, a page served once is served again from memory."""

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        root = prepare(folder.name)
        (root / "production").mkdir()
        self.app = fw.application(root)
        self.client = Client(self.app)

    def compiled(self) -> int:
        return sum(engine.compile_count for engine in self.app._templates.values())

    def test_a_page_served_twice_reads_and_compiles_nothing_the_second_time(self):
        spy = mock.patch.object(readers, "_read_bytes", wraps=readers._read_bytes)
        with spy as read:
            first = self.client.get("/page")
            files_read, compiled = read.call_count, self.compiled()
            second = self.client.get("/page")

        self.assertEqual((first.status, second.status), (200, 200))
        self.assertEqual(first.body, second.body)
        self.assertGreater(files_read, 0)
        self.assertGreater(compiled, 0)
        self.assertEqual(read.call_count, files_read)
        self.assertEqual(self.compiled(), compiled)

    def test_made_up_paths_keep_every_cache_bounded(self):
        limits = (mock.patch.object(fw_finder, "RESULTS_KEPT", 16),
                  mock.patch.object(fw_app, "TARGETS_KEPT", 4))
        with limits[0], limits[1]:
            statuses = {self.client.get(f"/made-up-{n}").status for n in range(300)}
            for target in ("/plaintext", "/json", "/db", "/fortunes", "/page", "/"):
                self.client.get(target)

        finders = {target.stack.finder for target in self.app._targets.values()}
        self.assertEqual(statuses, {404})
        self.assertLessEqual(len(self.app._targets), 4)
        self.assertTrue(all(len(finder._results) <= 16 for finder in finders))


class RunnerTest(unittest.TestCase):
    """``python -m tests.bench --json`` prints the figures in the agreed shape."""

    def test_json_report(self) -> None:
        command = [sys.executable, "-m", "tests.bench", "--json", "--smoke"]
        done = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, check=False
        )

        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        results = json.loads(done.stdout)
        self.assertEqual(set(results["endpoints"]), set(ENDPOINTS))
        for name, row in results["endpoints"].items():
            with self.subTest(name):
                self.assertGreater(row["raw_us"], 0)
                self.assertAlmostEqual(row["ratio"], row["fw_us"] / row["raw_us"])
        self.assertEqual(set(results["cgi"]), {"python", *CGI_ENDPOINTS})
        for row in results["cgi"].values():
            self.assertLessEqual(row["median_ms"], row["p90_ms"])
        self.assertGreater(results["peak_rss_kb"], 1000)


if __name__ == "__main__":
    unittest.main()
