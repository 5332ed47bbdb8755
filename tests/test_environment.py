import re
import tempfile
import unittest
from pathlib import Path

from fw import environment


class EnvironmentIdTestCase(unittest.TestCase):
    def test_stable_readable_and_safe_as_a_folder_name(self):
        first = environment.environment_id("Alice", "/srv/www/Shop Site")
        again = environment.environment_id("Alice", "/srv/www/Shop Site")

        self.assertEqual(first, again)
        self.assertRegex(first, r"^[a-z0-9-]+$")
        self.assertTrue(first.startswith("alice--www-shop-site--"))

    def test_user_and_path_both_matter(self):
        ids = {
            environment.environment_id("alice", "/srv/a/app"),
            environment.environment_id("bob", "/srv/a/app"),
            environment.environment_id("alice", "/srv/b/app"),
        }

        self.assertEqual(len(ids), 3)

    def test_odd_users_still_give_safe_names(self):
        for user in ("../..", "DOMAIN\\user", "", "ünïcode"):
            with self.subTest(user=user):
                made = environment.environment_id(user, "/x/y")
                self.assertTrue(re.fullmatch(r"[a-z0-9-]+", made), made)


class ProductionTestCase(unittest.TestCase):
    def test_marker_folder_decides(self):
        with tempfile.TemporaryDirectory() as root:
            self.assertFalse(environment.is_production(root))
            (Path(root) / "production").write_text("a file is not the marker")
            self.assertFalse(environment.is_production(root))
            (Path(root) / "production").unlink()
            (Path(root) / "production").mkdir()
            self.assertTrue(environment.is_production(root))


class HostTestCase(unittest.TestCase):
    def test_host_name(self):
        cases = {
            "Example.COM:8080": "example.com",
            "example.com.": "example.com",
            "[::1]:8000": "[::1]",
            "127.0.0.1": "127.0.0.1",
            "bad host": None,
            "localhost:abc": None,
            "localhost:99999": None,
            "[::1]x": None,
            "evil.com/x": None,
            "a..b": None,
            "": None,
        }
        for raw, expected in cases.items():
            with self.subTest(raw=raw):
                self.assertEqual(environment.host_name({"HTTP_HOST": raw}), expected)

    def test_base_domain(self):
        cases = {
            "www.shop.example.com": "example.com",
            "example.com": "example.com",
            "localhost": "localhost",
            "127.0.0.1": "127.0.0.1",
            "[::1]": "[::1]",
            "shop.example.co.uk": "example.co.uk",
            "app.localhost": "localhost",
        }
        for host, expected in cases.items():
            with self.subTest(host=host):
                self.assertEqual(environment.base_domain(host), expected)

    def test_white_list_with_wildcards(self):
        patterns = ["example.com", "*.shop.example.com"]

        self.assertTrue(environment.host_allowed("example.com", patterns))
        self.assertTrue(environment.host_allowed("a.shop.example.com", patterns))
        self.assertFalse(environment.host_allowed("shop.example.com", patterns))
        self.assertFalse(environment.host_allowed("evilshop.example.com", patterns))
        self.assertFalse(environment.host_allowed("www.example.com", patterns))


class LocalRequestTestCase(unittest.TestCase):
    def environ(self, **extra):
        return {"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost:8000", **extra}

    def test_loopback_peer_and_host_without_forwarding_is_local(self):
        self.assertTrue(environment.is_local_request(self.environ()))
        self.assertTrue(
            environment.is_local_request(self.environ(REMOTE_ADDR="::1"))
        )

    def test_not_local(self):
        cases = {
            "remote peer": self.environ(REMOTE_ADDR="203.0.113.9"),
            "forwarded for": self.environ(HTTP_X_FORWARDED_FOR="127.0.0.1"),
            "forwarded": self.environ(HTTP_FORWARDED="for=127.0.0.1"),
            "forwarded host": self.environ(HTTP_X_FORWARDED_HOST="localhost"),
            "real ip": self.environ(HTTP_X_REAL_IP="127.0.0.1"),
            "public host": self.environ(HTTP_HOST="example.com"),
            "no host": {"REMOTE_ADDR": "127.0.0.1"},
        }
        for name, environ in cases.items():
            with self.subTest(name):
                self.assertFalse(environment.is_local_request(environ))

    def test_trusted_proxy_forwards_the_client(self):
        trusted = ["10.0.0.0/8"]
        local = self.environ(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1")
        remote = self.environ(
            REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.7"
        )

        self.assertTrue(environment.is_local_request(local, trusted))
        self.assertFalse(environment.is_local_request(remote, trusted))
        self.assertFalse(environment.is_local_request(local, ["192.168.0.0/16"]))
        self.assertEqual(environment.client_address(remote, trusted), "198.51.100.7")


if __name__ == "__main__":
    unittest.main()
