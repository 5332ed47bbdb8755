import unittest

from fw import csrf
from fw.exceptions import Forbidden
from fw.request import Request
from fw.sessions import Session
from fw.testing import build_environ

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def request(method="POST", *, host="shop.example:8000", scheme="http", **options):
    return Request(build_environ(method, "/orders", host=host, scheme=scheme,
                                 **options))


class CsrfTestCase(unittest.TestCase):
    def setUp(self):
        self.session = Session()
        self.token = csrf.token(self.session)

    def posted(self, method="POST", *, token=None, headers=None, **options):
        data = {"item": "lamp"}
        if token is not None:
            data[csrf.FIELD] = token
        return request(method, data=data, headers=headers or {}, **options)

    def refused(self, made, words):
        with self.assertRaises(Forbidden) as raised:
            csrf.check(made, self.session)
        self.assertEqual(raised.exception.status, 403)
        self.assertIn(words, raised.exception.detail)
        self.assertIn("Please reload the page", raised.exception.detail)

    def test_the_token_is_made_once_per_session(self):
        self.assertEqual(csrf.token(self.session), self.token)
        self.assertEqual(self.session[csrf.KEY], self.token)
        self.assertGreaterEqual(len(self.token), 43)
        self.assertNotEqual(csrf.token(Session()), self.token)

    def test_a_valid_token_passes(self):
        for method in UNSAFE:
            with self.subTest(method=method):
                csrf.check(self.posted(method, token=self.token), self.session)

    def test_the_token_may_come_in_the_header(self):
        made = request("POST", headers={csrf.HEADER: self.token},
                       data=b'{"item": 1}')

        csrf.check(made, self.session)

    def test_a_missing_or_empty_token_is_refused(self):
        for method in UNSAFE:
            for token in (None, ""):
                with self.subTest(method=method, token=token):
                    self.refused(self.posted(method, token=token), "missing")

    def test_a_wrong_token_is_refused(self):
        wrong = (self.token[:-1], self.token + "x", "é" * 43, csrf.token(Session()))
        for token in wrong:
            with self.subTest(token=token):
                self.refused(self.posted(token=token), "out of date")

    def test_a_session_without_a_token_refuses_any(self):
        self.session.clear()

        self.refused(self.posted(token=self.token), "out of date")

    def test_safe_methods_pass_without_a_token(self):
        for method in ("GET", "HEAD", "OPTIONS"):
            with self.subTest(method=method):
                made = request(method, headers={"Origin": "https://evil.example"})
                csrf.check(made, Session())

    def test_other_methods_are_checked_too(self):
        self.refused(self.posted("PROPFIND"), "missing")

    def test_another_origin_is_refused_even_with_the_token(self):
        others = [
            "https://evil.example",
            "http://shop.example",
            "http://shop.example:8001",
            "https://shop.example:8000",
            "http://shop.example.evil.example:8000",
            "null",
            "NULL",
            "not a url",
            "http://shop.example:99999",
        ]
        for origin in others:
            with self.subTest(origin=origin):
                made = self.posted(token=self.token, headers={"Origin": origin})
                self.refused(made, "another site")

    def test_the_same_origin_passes(self):
        cases = [
            ("shop.example:8000", "http", "http://shop.example:8000"),
            ("shop.example:8000", "http", "HTTP://Shop.Example:8000"),
            ("shop.example", "https", "https://shop.example"),
            ("shop.example", "https", "https://shop.example:443"),
            ("shop.example:80", "http", "http://shop.example"),
            ("[::1]:8000", "http", "http://[::1]:8000"),
        ]
        for host, scheme, origin in cases:
            with self.subTest(origin=origin):
                made = self.posted(token=self.token, headers={"Origin": origin},
                                   host=host, scheme=scheme)
                csrf.check(made, self.session)

    def test_the_referer_is_checked_when_there_is_no_origin(self):
        mine = "http://shop.example:8000/orders/new?step=2"
        made = self.posted(token=self.token, headers={"Referer": mine})
        csrf.check(made, self.session)

        theirs = "https://evil.example/shop.example:8000/"
        made = self.posted(token=self.token, headers={"Referer": theirs})
        self.refused(made, "another site")

    def test_the_origin_wins_over_the_referer(self):
        headers = {"Origin": "https://evil.example",
                   "Referer": "http://shop.example:8000/orders"}

        self.refused(self.posted(token=self.token, headers=headers), "another site")

    def test_the_host_can_be_given(self):
        headers = {"Origin": "https://shop.example"}
        made = self.posted(token=self.token, headers=headers)

        with self.assertRaises(Forbidden):
            csrf.check(made, self.session)
        proxied = request("POST", scheme="https", headers=headers,
                          data={csrf.FIELD: self.token})
        csrf.check(proxied, self.session, host="shop.example")

    def test_the_hidden_field_carries_the_token(self):
        html = csrf.field(self.session)

        self.assertEqual(
            str(html),
            f'<input type="hidden" name="csrf_token" value="{self.token}">',
        )
        self.assertTrue(hasattr(html, "__html__"))


if __name__ == "__main__":
    unittest.main()
