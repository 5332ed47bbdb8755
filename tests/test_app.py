import json
import os
import threading
import unittest
from pathlib import Path
from unittest import mock

import fw
from fw import presenters
from fw.testing import Client

from .support import AppTestCase, run_as_nobody

LAYOUT = """<!doctype html><title>{{ title }}</title>
<main>{{ content }}</main>
"""

BOOM = """
def get(context):
    raise ValueError("<script>alert('boom')</script> at the kitchen door")
"""

FILES = {
    "common/config/server.json": '{"domains": ["example.com", "*.example.com"]}',
    "common/config/settings.json": '{"trusted_proxies": ["10.0.0.0/8"]}',
    "common/templates/layout.html": LAYOUT,
    "common/presenters/index.py": "def get(context):\n    return '<p>home</p>'\n",
    "common/presenters/boom.py": BOOM,
    "common/presenters/page.html": "<p>a fragment</p>",
    "common/presenters/data.txt": "plain text\n",
    "common/presenters/api.py": (
        "def get(context):\n    return {'ok': True}\n\n"
        "def post(context):\n    return {'posted': context.request.form}\n"
    ),
}


class ClientTestCase(AppTestCase):
    files = FILES

    def client(self, **options):
        options.setdefault("csrf_checks", False)
        return Client(fw.application(self.root), **options)

    def stored_errors(self):
        folder = self.root / "var" / "errors"
        return sorted(folder.glob("*.json")) if folder.is_dir() else []


class ErrorPageMatrixTestCase(ClientTestCase):
    def test_local_developer_sees_the_developer_page(self):
        page = self.client().get("/boom")

        self.assertEqual(page.status, 500)
        self.assertIn("ValueError", page.text)
        self.assertIn("kitchen door", page.text)
        self.assertIn("boom.py", page.text)
        self.assertIn("raise ValueError", page.text)
        self.assertNotIn("<script>alert", page.text)
        self.assertIn("&lt;script&gt;", page.text)

    def test_everyone_else_sees_the_plain_page(self):
        (self.root / "production").mkdir()
        cases = {
            "production": dict(host="example.com", remote_addr="127.0.0.1"),
            "forwarded": dict(headers={"X-Forwarded-For": "198.51.100.1"}),
            "public host": dict(host="example.com"),
            "remote peer": dict(remote_addr="198.51.100.1"),
            "untrusted proxy": dict(
                remote_addr="192.168.1.1", headers={"X-Forwarded-For": "127.0.0.1"}
            ),
        }
        production = self.client()
        (self.root / "production").rmdir()
        development = self.client()
        for name, options in cases.items():
            with self.subTest(name):
                client = production if name == "production" else development
                page = client.get("/boom", **options)

                self.assertEqual(page.status, 500)
                leaks = ("ValueError", "kitchen", "boom.py", "raise", str(self.root))
                for leak in leaks:
                    self.assertNotIn(leak, page.text)
                self.assertIn(self.stored_errors()[-1].stem, page.text)

    def test_each_error_is_stored_with_the_request(self):
        self.client().get("/boom?password=hunter2&q=1", headers={"Cookie": "s=secret"})

        record = json.loads(self.stored_errors()[0].read_text())
        self.assertEqual(record["exception"]["type"], "ValueError")
        text = json.dumps(record)
        self.assertNotIn("hunter2", text)
        self.assertNotIn("s=secret", text)
        self.assertIn("/boom", text)

    def test_a_production_marker_made_while_running_takes_effect_at_once(self):
        self.write({"common/config/server.json": '{"domains": ["localhost"]}'})
        client = self.client()
        self.assertIn("kitchen door", client.get("/boom").text)

        (self.root / "production").mkdir()
        page = client.get("/boom")

        self.assertEqual(page.status, 500)
        self.assertNotIn("kitchen door", page.text)
        self.assertIn("Something went wrong", page.text)
        self.assertEqual(client.get("/", host="127.0.0.1").status, 400)

    def test_an_overriding_error_page_comes_through_the_layers(self):
        self.write({"common/templates/errors/500.html": "Sorry! ref {{ error_id }}"})

        page = self.client().get("/boom", host="example.com")

        self.assertEqual(page.status, 500)
        self.assertTrue(page.text.startswith("Sorry! ref "))
        self.assertIn(self.stored_errors()[0].stem, page.text)

    def test_a_broken_error_page_falls_back_to_fw_s_own(self):
        self.write({"common/templates/errors/500.html": "{{ missing.name }}"})

        page = self.client().get("/boom", host="example.com")

        self.assertEqual(page.status, 500)
        self.assertIn("Something went wrong", page.text)


class ReadOnlyErrorsTestCase(ClientTestCase):
    def test_a_read_only_errors_folder_still_gives_a_500_and_reaches_stderr(self):
        folder = self.root / "var" / "errors"
        folder.mkdir(parents=True)
        app = fw.application(self.root)
        Client(app).get("/", host="example.com")
        for path in [self.root.parent, self.root, *self.root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(folder, 0o555)

        result = run_as_nobody(_failing_request, app)

        self.assertEqual(result["status"], 500)
        self.assertIn("Something went wrong", result["page"])
        self.assertIn("ValueError", result["stderr"])
        self.assertIn("kitchen door", result["stderr"])
        self.assertEqual(list(folder.iterdir()), [])


def _failing_request(app):
    page = Client(app).get("/boom", host="example.com")
    return {"status": page.status, "page": page.text}


class ContentTestCase(ClientTestCase):
    def test_fragment_goes_into_the_layout_for_get_only(self):
        client = self.client()

        page = client.get("/page")
        ajax = client.get("/page", headers={"X-Requested-With": "XMLHttpRequest"})

        self.assertIn("<main><p>a fragment</p></main>", page.text)
        self.assertEqual(ajax.text, "<p>a fragment</p>")

    def test_code_fragment_in_layout_but_not_for_post_or_json(self):
        client = self.client()

        self.assertIn("<main><p>home</p></main>", client.get("/").text)
        self.assertEqual(client.get("/api").json(), {"ok": True})
        posted = client.post("/api", data={"a": "1"})
        self.assertEqual(posted.json(), {"posted": {"a": "1"}})

    def test_files_have_validators_and_304(self):
        client = self.client()

        first = client.get("/data.txt")
        again = client.get("/data.txt", headers={"If-None-Match": first.header("ETag")})
        since = client.get(
            "/data.txt", headers={"If-Modified-Since": first.header("Last-Modified")}
        )

        self.assertEqual(first.status, 200)
        self.assertEqual(first.header("Content-Type"), "text/plain; charset=utf-8")
        self.assertEqual(first.body, b"plain text\n")
        self.assertEqual((again.status, again.body), (304, b""))
        self.assertEqual((since.status, since.body), (304, b""))

    def test_head_has_headers_and_no_body(self):
        client = self.client()
        for path in ("/data.txt", "/", "/page"):
            with self.subTest(path=path):
                page = client.head(path)
                full = client.get(path)

                self.assertEqual(page.status, 200)
                self.assertEqual(page.header("Content-Length"), str(len(full.body)))
                self.assertEqual(page.body, b"")

    def test_weak_validators_and_dates_in_the_future(self):
        client = self.client()
        etag = client.get("/data.txt").header("ETag")

        weak = client.get("/data.txt", headers={"If-None-Match": f"W/{etag}"})
        future = client.get(
            "/data.txt", headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
        )

        self.assertEqual(weak.status, 304)
        self.assertEqual(future.status, 200)

    def test_a_whole_document_gets_no_second_layout(self):
        self.write({
            "common/templates/page.html": '{% extends "layout" %}',
            "common/presenters/whole.py": (
                "def get(context):\n    return context.render('page')\n"
            ),
        })

        page = self.client().get("/whole")

        self.assertEqual(page.text.count("<!doctype html>"), 1)

    def test_values_that_are_not_json_are_a_clear_error(self):
        self.write({"common/presenters/nan.py": (
            "def get(context):\n    return {'x': float('nan')}\n"
        )})

        page = self.client().get("/nan")

        self.assertEqual(page.status, 500)
        self.assertIn("not valid JSON", page.text)

    def test_json_that_holds_itself_is_a_clear_error(self):
        self.write({"common/presenters/loop.py": (
            "def get(context):\n    data = {}\n    data['self'] = data\n"
            "    return data\n"
        )})

        page = self.client().get("/loop")

        self.assertEqual(page.status, 500)
        self.assertIn("not valid JSON: it holds itself", page.text)

    def test_json_is_the_same_without_the_c_encoder(self):
        from json import encoder

        value = {"a": [1, 2.5, None, True], "é": "<b>", "when": object.__new__(object)}
        kept = "".join(presenters._encode_json(value, 0))
        with mock.patch.object(encoder, "c_make_encoder", None):
            public = "".join(presenters._json_encoder()(value, 0))

        self.assertEqual(kept, public)
        self.assertEqual(json.loads(kept)["é"], "<b>")

    def test_methods_not_answered_give_405_with_allow(self):
        client = self.client()

        content = client.post("/page", data={})
        code = client.request("DELETE", "/api")

        lower = client.request("get", "/api")

        self.assertEqual((content.status, content.header("Allow")), (405, "GET, HEAD"))
        self.assertEqual((code.status, code.header("Allow")), (405, "GET, HEAD, POST"))
        self.assertEqual(lower.status, 405)

    def test_not_found_and_method_pages_come_through_the_layers(self):
        self.write({
            "common/templates/errors/404.html": "Lost: {{ status }} {{ reason }}",
            "common/templates/errors/4xx.html": "Client error {{ status }}",
        })
        client = self.client()

        self.assertEqual(client.get("/nowhere").text, "Lost: 404 Not Found")
        self.assertEqual(client.post("/page", data={}).text, "Client error 405")


class HostTestCase(ClientTestCase):
    def test_host_rules(self):
        client = self.client()
        cases = {
            "example.com": 200,
            "shop.example.com": 200,
            "localhost": 200,
            "evil.com": 400,
            "example.com.evil.com": 400,
            "bad host!": 400,
        }
        for host, status in cases.items():
            with self.subTest(host=host):
                self.assertEqual(client.get("/", host=host).status, status)

    def test_new_environment_server_comes_from_the_first_host(self):
        app = fw.application(self.root)

        Client(app).get("/", host="www.example.com")

        path = self.root / "environments" / app.environment_id / "config"
        written = json.loads((path / "environment.json").read_text())
        self.assertEqual(written, {"server": "example.com"})


class PathAttackTestCase(ClientTestCase):
    def test_attacks_give_404_or_400_never_a_file_outside(self):
        (self.root.parent / "secret.txt").write_text("TOP SECRET")
        (self.root / "common/presenters/.env").write_text("TOP SECRET")
        presenters = self.root / "common/presenters"
        os.symlink(self.root.parent / "secret.txt", presenters / "ln.txt")
        client = self.client()
        for path in (
            "/../secret.txt",
            "/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/..\\secret.txt",
            "/page\x00.html",
            "/.env",
            "/ln.txt",
            "/ln",
            "/index.py",
            "//etc/passwd",
            "/common/presenters/page.html",
        ):
            with self.subTest(path=path):
                page = client.get(path)
                self.assertIn(page.status, (400, 404))
                self.assertNotIn("TOP SECRET", page.text)
        self.assertEqual(self.stored_errors(), [])


STREAM = """
def get(context):
    gate = context.service("gate")
    context.response.status = 201
    context.response.set_header("X-Before", "yes")
    yield "<p>first</p>"
    gate["in_time"] = gate["reached"].wait(20)
    yield "<p>second</p>"
"""

LATE_HEADER = """
def get(context):
    yield "<p>first</p>"
    context.response.set_header("X-Late", "too late")
    yield "<p>never</p>"
"""


class StreamingTestCase(ClientTestCase):
    def setUp(self):
        super().setUp()
        self.write({
            "common/presenters/stream.py": STREAM,
            "common/presenters/late.py": LATE_HEADER,
        })

    def test_first_chunk_reaches_the_client_before_the_presenter_finishes(self):
        from fw.server import make

        gate = {"reached": threading.Event()}
        app = fw.application(self.root)
        app.services.register("gate", lambda context: gate)
        server = make(app, "127.0.0.1", 0)
        self.addCleanup(server.server_close)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)

        import socket

        with socket.create_connection(server.server_address, timeout=30) as conn:
            conn.sendall(b"GET /stream HTTP/1.0\r\nHost: localhost\r\n\r\n")
            received = b""
            while b"first" not in received:
                received += conn.recv(4096)
            gate["reached"].set()
            while chunk := conn.recv(4096):
                received += chunk

        self.assertTrue(gate["in_time"])
        self.assertIn(b"201 Created", received)
        self.assertIn(b"X-Before: yes", received)
        self.assertIn(b"<p>first</p><p>second</p>", received)
        self.assertIn(b"<main>", received)

    def test_changing_headers_after_the_first_chunk_is_a_clear_error(self):
        page = self.client().get("/late")

        self.assertEqual(page.status, 200)
        self.assertIn("<p>first</p>", page.text)
        self.assertNotIn("never", page.text)
        record = json.loads(self.stored_errors()[0].read_text())
        self.assertEqual(record["exception"]["type"], "fw.exceptions.HeadersSentError")


class StartupTestCase(ClientTestCase):
    def test_a_failing_environment_id_service_is_stored_and_replaced(self):
        for body in ("raise OSError('no metadata server')", "return '../../etc'"):
            with self.subTest(body=body):
                self.write({"common/services/environment_id.py": (
                    f"def service(app):\n    {body}\n"
                )})

                app = fw.application(self.root)

                self.assertRegex(app.environment_id, r"^[a-z0-9-]+$")
                self.assertEqual(Client(app).get("/").status, 200)
        self.assertEqual(len(self.stored_errors()), 2)

    def test_a_layer_may_provide_the_environment_id(self):
        self.write({"common/services/environment_id.py": (
            "def service(app, base):\n    return 'vm-' + base()[:8]\n"
        )})

        app = fw.application(self.root)

        self.assertTrue(app.environment_id.startswith("vm-"))

    def test_a_folder_that_is_not_an_application(self):
        with self.assertRaisesRegex(fw.ConfigError, "no common/ folder"):
            fw.application(self.root / "common")


class DemoTestCase(unittest.TestCase):
    """Every demo route passes wsgiref.validate (the client validates)."""

    def setUp(self):
        from .support import copy_demo
        import tempfile

        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = copy_demo(Path(temp.name) / "demo")
        self.client = Client(fw.application(self.root))

    def test_demo_routes(self):
        cases = {
            "/": (200, "Oak table"),
            "/about": (200, "content presenter"),
            "/products/2": (200, "Linen chair"),
            "/css/site.css": (200, "--accent"),
            "/stream": (200, "<li>5</li>"),
            "/nowhere": (404, "Nothing here"),
            "/products/99": (404, "Nothing here"),
        }
        for path, (status, text) in cases.items():
            with self.subTest(path=path):
                page = self.client.get(path)
                self.assertEqual(page.status, status)
                self.assertIn(text, page.text)

    def test_a_value_overridden_in_the_server_layer(self):
        page = self.client.get("/about")

        self.assertIn("Served by the localhost server layer", page.text)
        self.assertIn("<title>About · fw demo</title>", page.text)


if __name__ == "__main__":
    unittest.main()
