import unittest

from fw.context import Context
from fw.exceptions import HeadersSentError
from fw.request import Request
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

    def test_set_header_replaces_every_value_in_place(self):
        response = Response()
        response.add_header("Set-Cookie", "a=1")
        response.add_header("X-B", "1")
        response.add_header("set-cookie", "b=2")

        response.set_header("Set-Cookie", "c=3")

        self.assertEqual(response.headers, [("Set-Cookie", "c=3"), ("X-B", "1")])

    def test_update_takes_status_and_headers_of_defaults(self):
        defaults = Response(404)
        defaults.set_header("Content-Type", "text/plain")
        fresh, touched = Response(), Response()
        touched.set_header("content-type", "text/html")
        touched.set_header("X-Kept", "yes")

        fresh.update(defaults)
        touched.update(defaults)
        fresh.set_header("X-Own", "1")

        self.assertEqual(fresh.status, 404)
        self.assertEqual(
            fresh.headers, [("Content-Type", "text/plain"), ("X-Own", "1")]
        )
        self.assertEqual(defaults.headers, [("Content-Type", "text/plain")])
        self.assertEqual(
            touched.headers, [("X-Kept", "yes"), ("Content-Type", "text/plain")]
        )

    def test_start_adds_the_length_unless_set_or_bodiless(self):
        cases = [
            (200, None, "5"), (200, "9", "9"), (204, None, None), (304, None, None)
        ]
        for status, given, expected in cases:
            with self.subTest(status=status, given=given):
                response = Response(status)
                if given:
                    response.set_header("content-length", given)

                _, headers = response.start(5)

                lengths = [v for k, v in headers if k.lower() == "content-length"]
                self.assertEqual(lengths, [expected] if expected else [])

    def test_start_copy_leaves_shared_defaults_as_they_were(self):
        defaults = Response(201)
        defaults.set_header("Content-Type", "text/plain")

        first = defaults.start_copy(5)
        second = defaults.start_copy(12)
        first[1].append(("Date", "added by a server"))
        defaults.set_header("X-Still-Open", "yes")

        self.assertEqual(first[0], "201 Created")
        self.assertEqual(second[1][-1], ("Content-Length", "12"))
        self.assertEqual(
            defaults.headers,
            [("Content-Type", "text/plain"), ("X-Still-Open", "yes")],
        )

    def test_a_context_starts_from_the_route_defaults_until_it_changes_them(self):
        defaults = Response(202)
        defaults.set_header("Content-Type", "text/plain")
        untouched, changed, early = (
            Context(None, Request({"REQUEST_METHOD": "GET"})) for _ in range(3)
        )
        early.response.set_header("X-Early", "1")

        for context in (untouched, changed, early):
            context.take_defaults(defaults)
        changed.response.set_header("X-Own", "1")

        self.assertEqual(untouched.start(3)[1][-1], ("Content-Length", "3"))
        self.assertEqual(changed.response.status, 202)
        self.assertEqual(
            changed.start(3)[1],
            [("Content-Type", "text/plain"), ("X-Own", "1"), ("Content-Length", "3")],
        )
        self.assertEqual(
            early.start()[1], [("X-Early", "1"), ("Content-Type", "text/plain")]
        )
        self.assertEqual(defaults.headers, [("Content-Type", "text/plain")])
        for context in (untouched, changed):
            with self.assertRaises(HeadersSentError):
                context.response.set_header("X-Late", "1")

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
