"""Access control through whole requests, on the demo: issue 4's acceptance."""

import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import fw
from fw.testing import Client

from .dbsupport import needs_driver, private_database
from .servers import start_server
from .support import child_environ, copy_demo

CLOCK = "from datetime import datetime\n\ndef service(context):\n    return {when}\n"


class DemoAppTestCase(unittest.TestCase):
    """A copy of the demo, its tables installed, on the engine of ``url``."""

    url = None

    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = Path(temp.name) / "demo"
        if self.url:
            self.configure_database(self.url)
        copy_demo(self.root)

    def configure_database(self, url):
        folder = self.root / "common" / "config"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "database.json").write_text(f'{{"url": "{url}"}}')

    def client(self, **options):
        return Client(fw.application(self.root), **options)

    def log_in(self, client, login, password="demo", next_path="/"):
        token = client.form_token("/login")
        data = {"login": login, "password": password, "next": next_path}
        return client.post("/login", data={**data, "csrf_token": token})

    def set_clock(self, hour):
        path = self.root / "servers/localhost/services/clock.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CLOCK.format(when=f"datetime(2026, 12, 3, {hour}, 0)"))
        stamp = 10**9 * (1000 + hour)
        os.utime(path, ns=(stamp, stamp))


class AccessRulesMixin:
    def test_a_working_hours_section_follows_the_clock_service_of_a_layer(self):
        client = self.client()
        self.log_in(client, "staff")

        self.set_clock(10)
        at_ten = client.get("/staff/")
        self.set_clock(20)
        at_eight_pm = client.get("/staff/")

        self.assertEqual(at_ten.status, 200)
        self.assertIn("Staff area", at_ten.text)
        self.assertEqual(at_eight_pm.status, 403)
        self.assertNotIn("Staff area", at_eight_pm.text)

    def test_roles_through_the_link_table_decide(self):
        customer, admin = self.client(), self.client()
        self.log_in(customer, "customer")
        self.log_in(admin, "admin")

        self.assertEqual(customer.get("/admin").status, 403)
        page = admin.get("/admin")
        self.assertEqual(page.status, 200)
        self.assertIn("Ada Admin", page.text)

    def test_anonymous_visitors_are_sent_to_log_in_with_a_safe_next(self):
        page = self.client().get("/admin?tab=users")

        self.assertEqual(page.status, 303)
        self.assertEqual(page.header("Location"), "/login?next=%2Fadmin%3Ftab%3Dusers")

    def test_the_session_id_changes_at_login_and_the_old_one_is_dead(self):
        client = self.client()
        client.form_token("/login")
        before = client.cookies["fw_session"]

        done = self.log_in(client, "admin", next_path="/admin")

        after = client.cookies["fw_session"]
        self.assertEqual((done.status, done.header("Location")), (303, "/admin"))
        self.assertNotEqual(before, after)
        stale = self.client().get("/admin", headers={"Cookie": f"fw_session={before}"})
        self.assertEqual(stale.status, 303)
        self.assertEqual(client.get("/admin").status, 200)

    def test_a_failed_login_looks_the_same_for_any_login(self):
        pages = []
        for login in ("customer", "nobody"):
            client = self.client()
            page = self.log_in(client, login, password="wrong")
            text = re.sub(r'value="[^"]{43}"', "TOKEN", page.text)
            pages.append((page.status, text.replace(login, "LOGIN")))

        self.assertEqual(pages[0][0], 401)
        self.assertIn("not right", pages[0][1])
        self.assertIn("<!doctype html>", pages[0][1])
        self.assertEqual(pages[0], pages[1])

    def test_logout_ends_the_login(self):
        client = self.client()
        self.log_in(client, "admin")

        token = client.form_token("/logout")
        client.post("/logout", data={"csrf_token": token})

        self.assertEqual(client.get("/admin").status, 303)


class SQLiteAccessTestCase(AccessRulesMixin, DemoAppTestCase):
    def test_posts_without_a_valid_token_or_from_elsewhere_are_refused(self):
        client = self.client()
        token = client.form_token("/login")
        login = {"login": "admin", "password": "demo"}
        cases = {
            "no token": ({}, {}),
            "wrong token": ({"csrf_token": "x" * 43}, {}),
            "other origin": ({"csrf_token": token}, {"Origin": "https://evil.example"}),
            "null origin": ({"csrf_token": token}, {"Origin": "null"}),
            "other referer": (
                {"csrf_token": token}, {"Referer": "https://evil.example/form"}
            ),
        }
        for name, (extra, headers) in cases.items():
            with self.subTest(name):
                page = client.post("/login", data={**login, **extra}, headers=headers)

                self.assertEqual(page.status, 403)
                self.assertNotIn("fw_session", page.header("Set-Cookie") or "")
        good = client.post("/login", data={**login, "csrf_token": token},
                           headers={"Origin": "http://localhost"})
        self.assertEqual(good.status, 303)

    def test_next_values_that_leave_the_site_end_at_home(self):
        for target in (
            "//attacker.example",
            "/\\attacker.example",
            "https://attacker.example",
            "javascript:alert(1)",
            "/%2F/attacker.example",
        ):
            with self.subTest(target=target):
                client = self.client()
                page = self.log_in(client, "customer", next_path=target)

                self.assertEqual((page.status, page.header("Location")), (303, "/"))

    def test_url_variants_never_reach_a_protected_presenter(self):
        client = self.client()
        self.log_in(client, "customer")
        for path in ("/admin", "//admin", "/./admin", "/admin;x", "/ADMIN",
                     "/admin\n", "/admin/", "/admin.py", "/Admin"):
            with self.subTest(path=path):
                page = client.get(path)

                self.assertIn(page.status, (403, 404))
                self.assertNotIn("Ada Admin", page.text)

    def test_two_server_processes_share_the_sessions(self):
        first = start_server(
            ["-m", "fw", "run", "--port", "0", "--app", str(self.root)],
            cwd=self.root,
            add_cleanup=self.addCleanup,
        )
        second = start_server(
            ["-m", "fw", "run", "--port", "0", "--app", str(self.root)],
            cwd=self.root,
            add_cleanup=self.addCleanup,
        )
        browser = _Browser()

        token = browser.token(first, "/login")
        browser.post(first, "/login", {
            "login": "admin", "password": "demo", "next": "/admin", "csrf_token": token
        })
        status, body = browser.get(second, "/admin")

        self.assertEqual(status, 200)
        self.assertIn("Ada Admin", body)

    def test_one_name_per_presenter_however_the_url_spells_it(self):
        (self.root / "common/presenters/admin.html").unlink(missing_ok=True)
        client = self.client()
        self.log_in(client, "customer")

        self.assertEqual(client.get("/about.html").status, 200)
        self.assertIn(client.get("/admin.py").status, (403, 404))

    def test_the_login_page_is_never_sent_to_itself(self):
        acl = self.root / "common/config/acl.xml"
        acl.write_text(acl.read_text().replace("<item>login</item>", ""))

        page = self.client().get("/login")

        self.assertEqual(page.status, 403)

    def test_non_ascii_next_survives_the_login(self):
        (self.root / "common/presenters/staff/[page].py").write_text(
            "def get(context):\n    return context.params['page']\n"
        )
        client = self.client()

        first = client.get("/staff/日本")
        token = client.form_token(first.header("Location"))
        done = client.post("/login", data={
            "login": "admin", "password": "demo", "csrf_token": token,
            "next": "/staff/日本",
        })

        self.assertEqual(first.header("Location"),
                         "/login?next=%2Fstaff%2F%25E6%2597%25A5%25E6%259C%25AC")
        self.assertEqual(done.header("Location"), "/staff/%E6%97%A5%E6%9C%AC")
        self.assertEqual(client.get(done.header("Location")).text.count("日本"), 1)

    def test_csrf_behind_a_trusted_https_proxy(self):
        settings = self.root / "common/config/settings.json"
        settings.write_text(settings.read_text().replace(
            '"trusted_proxies": []', '"trusted_proxies": ["10.0.0.1"]'
        ))
        client = self.client(remote_addr="10.0.0.1")
        token = client.form_token("/login")
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example"}

        done = client.post(
            "/login",
            data={"login": "admin", "password": "demo", "csrf_token": token},
            headers={"Origin": "https://shop.example", **proxied},
        )
        forged = self.client(remote_addr="192.0.2.9").post(
            "/login", data={"csrf_token": token},
            headers={"Origin": "https://shop.example", **proxied},
        )

        self.assertEqual(done.status, 303)
        self.assertEqual(forged.status, 403)

    def test_the_menu_lists_what_the_user_may_reach(self):
        self.write_menu_presenter()
        anonymous, admin = self.client(), self.client()
        self.log_in(admin, "admin")

        public = anonymous.get("/menu").json()
        private = admin.get("/menu").json()

        self.assertNotIn("/admin", [item["url"] for item in public])
        self.assertIn(
            {"url": "/admin", "name": "admin", "menu": {"label": "Administration",
                                                        "order": 3}},
            private,
        )

    def write_menu_presenter(self):
        (self.root / "common/presenters/menu.py").write_text(
            "def get(context):\n    return context.service('menu')\n"
        )
        acl = self.root / "common/config/acl.xml"
        acl.write_text(acl.read_text().replace(
            "<item>logout</item>", "<item>logout</item><item>menu</item>"
        ))


@needs_driver("postgresql")
class PostgreSQLAccessTestCase(AccessRulesMixin, DemoAppTestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = private_database(cls, "postgresql")


@needs_driver("mysql")
class MariaDBAccessTestCase(AccessRulesMixin, DemoAppTestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = private_database(cls, "mysql")


class UsersAndAclCommandsTestCase(DemoAppTestCase):
    def fw(self, *arguments, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "fw", *arguments, "--app", str(self.root)],
            input=stdin,
            capture_output=True,
            text=True,
            env=child_environ(),
            timeout=120,
        )

    def test_users_add_passwd_roles_then_log_in(self):
        added = self.fw("users", "add", "Zoë", "--roles", "staff", stdin="s3cret!\n")
        moved = self.fw("users", "roles", "zoë", "admin,staff")
        changed = self.fw("users", "passwd", "ZOË", stdin="n3w pass\n")
        unknown = self.fw("users", "roles", "zoë", "wizard")

        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertEqual(moved.returncode, 0, moved.stderr)
        self.assertEqual(changed.returncode, 0, changed.stderr)
        self.assertEqual(unknown.returncode, 1)
        self.assertIn("wizard", unknown.stdout + unknown.stderr)
        client = self.client()
        self.assertEqual(self.log_in(client, "zoe", "n3w pass").status, 401)
        self.assertEqual(self.log_in(client, "ZOË", "n3w pass").status, 303)
        self.assertEqual(client.get("/admin").status, 200)

    def test_acl_explain(self):
        allowed = self.fw("acl", "explain", "admin", "admin")
        denied = self.fw("acl", "explain", "customer", "admin")
        anonymous = self.fw("acl", "explain", "-", "about")
        missing = self.fw("acl", "explain", "nobody", "admin")

        self.assertEqual(allowed.returncode, 0, allowed.stderr)
        self.assertIn("admin", allowed.stdout)
        self.assertEqual(denied.returncode, 1)
        self.assertIn("condition", denied.stdout)
        self.assertEqual(anonymous.returncode, 0)
        self.assertIn("public", anonymous.stdout)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("nobody", missing.stderr)


class _Browser:
    """Just enough of a browser for two servers: cookies and forms."""

    def __init__(self):
        self.cookies = {}
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _NoRedirects()
        )

    def request(self, port, path, data=None):
        url = f"http://localhost:{port}{path}"
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        if self.cookies:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            request.add_header("Cookie", cookie)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.read().decode()

    def get(self, port, path):
        return self.request(port, path)

    def post(self, port, path, data):
        return self.request(port, path, data)

    def token(self, port, path):
        _, body = self.get(port, path)
        return body.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    unittest.main()
