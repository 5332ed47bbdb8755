import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from fw import finder as fw_finder
from fw.exceptions import UnsafeNameError
from fw.finder import Finder, Layer, Listings, check_name

from .support import write_tree


class FinderTestCase(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.base = Path(temp.name)
        write_tree(
            self.base,
            {
                "common/config/settings.json": "{}",
                "common/config/settings.ini": "",
                "common/config/only.ini": "",
                "common/templates/layout.html": "",
                "common/presenters/jquery.min.js": "",
                "common/presenters/readme": "",
                "server/config/settings.xml": "<config/>",
                "domain/templates/layout.html": "",
            },
        )
        self.layers = [
            Layer("domain", self.base / "domain"),
            Layer("server", self.base / "server"),
            Layer("common", self.base / "common"),
        ]

    def test_most_specific_layer_wins_whatever_the_extension(self):
        finder = Finder(self.layers)

        found = finder.find("config/settings")

        self.assertEqual(found.layer, "server")
        self.assertEqual(found.path.name, "settings.xml")

    def test_drops_to_the_next_layer(self):
        found = Finder(self.layers).find("config/only")

        self.assertEqual((found.layer, found.path.name), ("common", "only.ini"))

    def test_find_all_lists_each_layer_most_specific_first(self):
        found = Finder(self.layers).find_all("templates/layout")

        self.assertEqual([item.layer for item in found], ["domain", "common"])

    def test_several_files_in_one_folder_follow_the_documented_rule(self):
        finder = Finder(self.layers[2:])

        self.assertEqual(finder.find("config/settings").path.name, "settings.ini")
        chosen = finder.find("config/settings", exts=(".json", ".ini"))
        self.assertEqual(chosen.path.name, "settings.json")
        self.assertIsNone(finder.find("config/settings", exts=(".toml",)))

    def test_one_extension_only_and_exact_names(self):
        finder = Finder(self.layers)

        self.assertIsNone(finder.find("presenters/jquery"))
        found = finder.find("presenters/jquery.min")
        self.assertEqual(found.path.name, "jquery.min.js")
        self.assertEqual(finder.find("presenters/readme").path.name, "readme")
        self.assertIsNone(finder.find("presenters/missing"))

    def test_lazy_folder_is_evaluated_once_on_first_use(self):
        calls = []

        def server_folder():
            calls.append(1)
            return self.base / "server"

        finder = Finder([Layer("server", server_folder), self.layers[2]])
        self.assertEqual(calls, [])

        finder.find("config/settings")
        finder.find("config/only")

        self.assertEqual(calls, [1])

    def test_lazy_folder_may_be_absent(self):
        finder = Finder([Layer("server", lambda: None), self.layers[2]])

        self.assertEqual(finder.find("config/settings").layer, "common")

    def test_production_cache_keeps_results_and_watch_notices_changes(self):
        for watch in (False, True):
            with self.subTest(watch=watch):
                finder = Finder(self.layers, watch=watch)
                self.assertIsNone(finder.find(f"config/new{watch}"))
                (self.base / "common/config" / f"new{watch}.json").write_text("{}")
                stamp = 10**9 * (2 + watch)
                os.utime(self.base / "common/config", ns=(stamp, stamp))

                found = finder.find(f"config/new{watch}")

                self.assertEqual(found is not None, watch)

    def test_production_keeps_a_bounded_number_of_answers(self):
        finder = Finder(self.layers, watch=False)

        with mock.patch.object(fw_finder, "RESULTS_KEPT", 8):
            for number in range(100):
                self.assertIsNone(finder.find(f"presenters/made-up-{number}"))
            found = finder.find("config/settings")

        self.assertEqual(found.path.name, "settings.xml")
        self.assertLessEqual(len(finder._results), 8)

    def test_entries_merge_every_layer(self):
        entries = Finder(self.layers).entries("templates")

        self.assertEqual(entries, {"layout.html": False})

    def test_shared_listings(self):
        listings = Listings(watch=False)
        first = Finder(self.layers, listings=listings)
        second = Finder(self.layers[1:], listings=listings)

        self.assertEqual(first.find("config/only").layer, "common")
        self.assertIs(second.listings, first.listings)


class UnsafeNamesTestCase(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.base = Path(temp.name)
        write_tree(
            self.base,
            {
                "secret.txt": "outside",
                "app/common/presenters/page.html": "inside",
                "app/common/presenters/.hidden": "dotfile",
            },
        )
        presenters = self.base / "app/common/presenters"
        os.symlink(self.base / "secret.txt", presenters / "leak.txt")
        os.symlink(self.base, presenters / "outside")
        os.symlink(presenters / "page.html", presenters / "alias.html")
        self.finder = Finder([Layer("common", self.base / "app/common")])

    def test_refused_names(self):
        for name in (
            "../secret",
            "presenters/../../secret",
            "/etc/passwd",
            "presenters\\..\\secret",
            "presenters/page\x00.html",
            "presenters/.hidden",
            "presenters//page",
            "presenters/./page",
            "presenters/\npage",
            "",
        ):
            with self.subTest(name=name):
                with self.assertRaises(UnsafeNameError):
                    self.finder.find(name)

    def test_links_leading_out_are_never_returned(self):
        self.assertIsNone(self.finder.find("presenters/leak"))
        self.assertIsNone(self.finder.find("presenters/leak.txt"))
        self.assertIsNone(self.finder.find("presenters/outside/secret"))
        self.assertEqual(self.finder.find_folders("presenters/outside"), [])

    def test_links_inside_the_layer_are_followed(self):
        found = self.finder.find("presenters/alias")

        self.assertEqual(found.path.read_text(), "inside")

    def test_check_name_returns_parts(self):
        self.assertEqual(check_name("a/b.c/d"), ("a", "b.c", "d"))


if __name__ == "__main__":
    unittest.main()
