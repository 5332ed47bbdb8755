import unittest

from fw.exceptions import HeadersSentError
from fw.response import Response, encode_chunks, status_line


class ResponseTestCase(unittest.TestCase):
    def test_status_and_headers_change_until_started(self):
        response = Response()
        response.status = 201
        response.set_header("X-A", "1")
        response.set_header("X-A", "2")
        response.add_header("Link", "</a.css>; rel=preload")
        response.add_header("Link", "</b.js>; rel=preload")

        status, headers = response.start()

        self.assertEqual(status, "201 Created")
        self.assertEqual(headers[0], ("X-A", "2"))
        self.assertEqual(len([h for h in headers if h[0] == "Link"]), 2)

    def test_changes_after_the_start_are_clear_errors(self):
        response = Response()
        response.start()

        with self.assertRaisesRegex(HeadersSentError, "first chunk"):
            response.status = 404
        with self.assertRaises(HeadersSentError):
            response.set_header("X-Late", "1")
        with self.assertRaises(HeadersSentError):
            response.set_cookie("a", "b")

    def test_header_injection_is_refused(self):
        response = Response()
        for name, value in (("X-A", "a\r\nSet-Cookie: x=1"), ("X-A", "a\nb"),
                            ("Bad Name", "v"), ("X:A", "v"), ("", "v")):
            with self.subTest(name=name, value=value):
                with self.assertRaises(ValueError):
                    response.set_header(name, value)

    def test_header_values_must_be_latin_1(self):
        with self.assertRaisesRegex(ValueError, "percent-encode"):
            Response().set_header("X-Name", "été ☃")

    def test_chunks_must_be_text_or_bytes(self):
        chunks = encode_chunks(["a", b"b", "", 5])

        self.assertEqual([next(chunks), next(chunks)], [b"a", b"b"])
        with self.assertRaisesRegex(TypeError, "not int"):
            next(chunks)

    def test_bad_status(self):
        with self.assertRaises(ValueError):
            Response().status = 99
        self.assertEqual(status_line(599), "599 Unknown")

    def test_cookie_defaults_are_safe(self):
        response = Response()
        response.set_cookie("session", "abc", secure=True, max_age=60)

        cookie = response.get_header("Set-Cookie")

        for part in ("session=abc", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=60"):
            self.assertIn(part, cookie)


if __name__ == "__main__":
    unittest.main()
