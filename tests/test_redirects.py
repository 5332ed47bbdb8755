import unittest

from fw.redirects import local_path


class LocalPathTestCase(unittest.TestCase):
    def test_attacks_end_at_the_default(self):
        for value in (
            "//attacker.example",
            "/\\attacker.example",
            "\\\\attacker.example",
            "https://attacker.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "/%2F/attacker.example",
            "%2F%2Fattacker.example",
            "/%5Cattacker.example",
            "/\tattacker",
            "/a\r\nSet-Cookie: x=1",
            "/%0d%0aSet-Cookie:x",
            "attacker.example",
            "",
            None,
        ):
            with self.subTest(value=value):
                self.assertEqual(local_path(value, "/home"), "/home")

    def test_local_paths_pass(self):
        for value in ("/", "/admin", "/products/2?tab=reviews#top", "/a/b%20c"):
            with self.subTest(value=value):
                self.assertEqual(local_path(value), value)


if __name__ == "__main__":
    unittest.main()
