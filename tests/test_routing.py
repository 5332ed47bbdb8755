import unittest

from fw.config import Configuration
from fw.exceptions import NotFound
from fw.routing import list_routes, resolve

from .support import AppTestCase


class RoutingTestCase(AppTestCase):
    files = {
        "common/presenters/index.py": "",
        "common/presenters/about.html": "<p>about</p>",
        "common/presenters/about.meta.json": '{"title": "About", "cache": 60}',
        "common/presenters/css/site.css": "body {}",
        "common/presenters/docs/index.html": "docs",
        "common/presenters/docs/intro.html": "intro",
        "common/presenters/products/[id].py": "",
        "common/presenters/products/new.py": "",
        "common/presenters/users/[name]/index.py": "",
        "common/presenters/users/[name]/posts/[post].py": "",
        "common/presenters/hello/[name].py": "",
        "common/config/routes.json": (
            '{"/css/*": {"cache": 3600, "layout": false},'
            ' "/*": {"layout": "base"}}'
        ),
        "server/presenters/about.html": "<p>server about</p>",
    }

    def setUp(self):
        super().setUp()
        self.finder = self.finder_over("server", "common")
        self.config = Configuration(self.finder)

    def resolve(self, path):
        return resolve(self.finder, self.config, path)

    def test_paths_map_to_presenters(self):
        cases = {
            "/": ("index", "common", {}),
            "/about": ("about", "server", {}),
            "/about.html": ("about", "server", {}),
            "/css/site": ("css/site.css", "common", {}),
            "/css/site.css": ("css/site.css", "common", {}),
            "/docs": ("docs/index", "common", {}),
            "/docs/": ("docs/index", "common", {}),
            "/docs/intro": ("docs/intro", "common", {}),
            "/products/42": ("products/[id]", "common", {"id": "42"}),
            "/products/new": ("products/new", "common", {}),
            "/users/ana": ("users/[name]/index", "common", {"name": "ana"}),
            "/users/ana/posts/7": (
                "users/[name]/posts/[post]",
                "common",
                {"name": "ana", "post": "7"},
            ),
        }
        for path, (name, layer, params) in cases.items():
            with self.subTest(path=path):
                route = self.resolve(path)
                self.assertEqual((route.name, route.found.layer, route.params),
                                 (name, layer, params))

    def test_settings_from_configuration_and_metadata(self):
        about = self.resolve("/about").settings
        css = self.resolve("/css/site.css").settings

        self.assertEqual((about["layout"], about["cache"], about["title"]),
                         ("base", 60, "About"))
        self.assertEqual((css["layout"], css["cache"]), (False, 3600))

    def test_code_and_metadata_are_never_content(self):
        for path in ("/index.py", "/products/new.py", "/about.meta.json",
                     "/about.meta", "/missing", "/css/missing.css", "/about/"):
            with self.subTest(path=path):
                with self.assertRaises(NotFound):
                    self.resolve(path)

    def test_parameters_match_real_segments_only(self):
        for path in ("/hello", "/hello/", "/users/ana/posts/",
                     "/" + "a/" * 40 + "b"):
            with self.subTest(path=path):
                with self.assertRaises(NotFound):
                    self.resolve(path)
        self.assertEqual(self.resolve("/hello/index").params, {"name": "index"})
        self.assertEqual(self.resolve("/products/[id]").params, {"id": "[id]"})

    def test_path_attacks_are_not_found(self):
        for path in ("/../secret", "/css/../../x", "/a\\b", "/x\x00", "/.env",
                     "//about", "/./about", "about", "/products/..", "/a%2e%2e"):
            with self.subTest(path=path):
                with self.assertRaises(NotFound):
                    self.resolve(path)

    def test_list_routes_passes_over_names_it_cannot_serve(self):
        self.write({"common/presenters/back\\slash.txt": "x"})

        urls = [url for url, _ in list_routes(self.finder)]

        self.assertIn("/about", urls)
        self.assertFalse(any("slash" in url for url in urls))

    def test_list_routes(self):
        urls = [url for url, _ in list_routes(self.finder)]

        self.assertIn("/", urls)
        self.assertIn("/products/[id]", urls)
        self.assertIn("/users/[name]/posts/[post]", urls)
        self.assertNotIn("/about.meta", urls)
        self.assertEqual(dict(list_routes(self.finder))["/about"].layer, "server")


if __name__ == "__main__":
    unittest.main()
