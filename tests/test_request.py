import io
import unittest

from fw.exceptions import BadRequest
from fw.request import Request
from fw.testing import build_environ


def request(method="GET", path="/", **options):
    return Request(build_environ(method, path, **options))


MULTIPART = (
    b"--XX\r\n"
    b'Content-Disposition: form-data; name="title"\r\n\r\n'
    b"Caf\xc3\xa9\r\n"
    b"--XX\r\n"
    b'Content-Disposition: form-data; name="photo"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\n"
    b"\x89PNG\r\n\x00\x01\r\n"
    b"--XX--\r\n"
)


class RequestTestCase(unittest.TestCase):
    def test_path_query_headers(self):
        made = request(
            "GET",
            "/caf%C3%A9/x?a=1&b=2&a=3",
            headers={"X-Requested-With": "XMLHttpRequest"},
        )

        self.assertEqual(made.method, "GET")
        self.assertEqual(made.query, {"a": "3", "b": "2"})
        self.assertEqual(made.query_pairs, [("a", "1"), ("b", "2"), ("a", "3")])
        self.assertTrue(made.is_ajax)
        self.assertEqual(made.headers["x-requested-with"], "XMLHttpRequest")

    def test_utf8_path(self):
        environ = build_environ("GET", "/")
        environ["PATH_INFO"] = "/café".encode().decode("latin-1")

        self.assertEqual(Request(environ).path, "/café")

    def test_invalid_utf8_path_is_a_bad_request(self):
        environ = build_environ("GET", "/")
        environ["PATH_INFO"] = "/\xff"

        with self.assertRaises(BadRequest):
            Request(environ).path

    def test_url_encoded_form(self):
        made = request("POST", "/", data={"name": "Ana", "empty": ""})

        self.assertEqual(made.form, {"name": "Ana", "empty": ""})

    def test_multipart_form_with_a_file(self):
        made = request(
            "POST",
            "/",
            data=MULTIPART,
            headers={"Content-Type": "multipart/form-data; boundary=XX"},
        )

        self.assertEqual(made.form, {"title": "Café"})
        self.assertEqual(made.files["photo"].filename, "a.png")
        self.assertEqual(made.files["photo"].data, b"\x89PNG\r\n\x00\x01")

    def test_bad_bodies_are_bad_requests(self):
        cases = {
            "length": {"CONTENT_LENGTH": "lots"},
            "negative": {"CONTENT_LENGTH": "-1"},
            "too big": {"CONTENT_LENGTH": str(10**12)},
        }
        for name, extra in cases.items():
            with self.subTest(name):
                environ = build_environ("POST", "/", data={"a": "1"})
                environ.update(extra)
                with self.assertRaises(BadRequest):
                    Request(environ).form

    def test_json_body(self):
        environ = build_environ("POST", "/", data=b'{"a": [1, 2]}')

        self.assertEqual(Request(environ).json(), {"a": [1, 2]})
        environ = build_environ("POST", "/", data=b"{nope")
        with self.assertRaises(BadRequest):
            Request(environ).json()

    def test_cookies_and_a_malformed_cookie_header(self):
        good = request(headers={"Cookie": "a=1; b=two"})
        bad = request(headers={"Cookie": 'a="unterminated; \x00'})

        self.assertEqual(good.cookies, {"a": "1", "b": "two"})
        self.assertIsInstance(bad.cookies, dict)

    def test_too_many_multipart_parts(self):
        part = b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        body = part * 1001 + b"--XX--\r\n"
        made = request(
            "POST",
            "/",
            data=body,
            headers={"Content-Type": "multipart/form-data; boundary=XX"},
        )

        with self.assertRaisesRegex(BadRequest, "more than 1000 parts"):
            made.form

    def test_too_many_fields(self):
        environ = build_environ("POST", "/")
        body = "&".join(f"f{n}=1" for n in range(2000)).encode()
        environ.update(
            {
                "wsgi.input": io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)),
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
            }
        )

        with self.assertRaises(BadRequest):
            Request(environ).form


if __name__ == "__main__":
    unittest.main()
