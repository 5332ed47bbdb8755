"""Tests of fw.mail: settings, HTML to text, safe headers, sending, mail test."""

from __future__ import annotations

import io
import tempfile
import time
import unittest
from email import message_from_bytes, policy
from pathlib import Path

from fw.config import Configuration
from fw.exceptions import ConfigError
from fw.finder import Finder, Layer
from fw.mail import (
    MailError,
    MailSettings,
    build_message,
    html_to_text,
    load_settings,
    parse_settings,
    send,
)
from fw.mail.commands import mail_test
from tests.smtp_server import SMTPServer, closed_port

ORDER = """<!doctype html><html><head><title>Order</title>
<style>p { color: red }</style><script>track()</script></head><body>
<h1>Thank you, Ana &amp; Rui</h1>
<p>Your order <b>#42</b> is on its way.<br>It left   our
   warehouse today. See <a href="https://shop.example/orders/42">your order</a>
or the <a href="https://shop.example/help">help pages</a>.</p>
<h2>Items</h2>
<ul><li>Green tea<ul><li>loose leaf</ul><li>Coffee beans</ul>
<ol><li>Open the box<li>Enjoy</ol>
<table><tr><th>Item<th>Qty<th>Price
<tr><td>Green tea<td>2<td>6.00&nbsp;EUR
<tr><td>Coffee beans<td>1<td>12.50&nbsp;EUR</table>
<p>Questions? Write to <a href="mailto:help@shop.example">help@shop.example</a>.
Back to <a href="https://shop.example/orders/42">your order</a>.</p>
</body></html>"""


def text_part(raw: bytes) -> tuple[object, str, str]:
    """Return the parsed mail and the content of its plain and HTML parts."""
    mail = message_from_bytes(raw, policy=policy.default)
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    return mail, plain, html


class HtmlToTextTest(unittest.TestCase):
    def setUp(self) -> None:
        self.text = html_to_text(ORDER)

    def test_heading_is_underlined_and_set_apart(self) -> None:
        self.assertTrue(self.text.startswith("Thank you, Ana & Rui\n====="))
        self.assertIn("\n\nItems\n-----\n\n", self.text)

    def test_paragraph_keeps_line_break_and_normalizes_spaces(self) -> None:
        self.assertIn(
            "Your order #42 is on its way.\nIt left our warehouse today.", self.text
        )

    def test_links_are_numbered_references_listed_at_the_end(self) -> None:
        self.assertIn("your order [1]", self.text)
        self.assertIn("help pages [2]", self.text)
        self.assertIn("Back to your order [1].", self.text)
        self.assertTrue(
            self.text.endswith(
                "[1] https://shop.example/orders/42\n[2] https://shop.example/help\n"
            )
        )
        self.assertIn("Write to help@shop.example.", self.text)

    def test_lists_have_bullets_numbers_and_nesting(self) -> None:
        self.assertIn("- Green tea\n  - loose leaf\n- Coffee beans", self.text)
        self.assertIn("1. Open the box\n2. Enjoy", self.text)

    def test_table_is_one_row_per_line(self) -> None:
        lines = self.text.splitlines()
        row = next(line for line in lines if line.startswith("Coffee beans"))
        self.assertEqual(row.split(" | ")[1:], ["1  ", "12.50 EUR"])
        self.assertEqual(sum("Green tea" in line and "|" in line for line in lines), 1)

    def test_script_style_and_title_are_dropped(self) -> None:
        for word in ("track", "color", "Order\n"):
            self.assertNotIn(word, self.text)

    def test_long_paragraph_wraps_and_no_line_is_padded(self) -> None:
        text = html_to_text("<p>" + "word " * 60 + "</p>")
        self.assertTrue(all(len(line) <= 78 for line in text.splitlines()))
        self.assertFalse(any(line != line.rstrip() for line in text.splitlines()))

    def test_empty_html_gives_empty_text(self) -> None:
        self.assertEqual(html_to_text("<p> </p><script>x</script>"), "")


class SettingsTest(unittest.TestCase):
    def test_defaults(self) -> None:
        settings = parse_settings({})
        self.assertEqual(
            (settings.host, settings.port, settings.tls), ("localhost", 25, "none")
        )

    def test_port_follows_tls_and_text_values_convert(self) -> None:
        self.assertEqual(parse_settings({"tls": "SSL"}).port, 465)
        settings = parse_settings({"port": "2525", "developers": "a@x.org, b@x.org"})
        self.assertEqual(settings.port, 2525)
        self.assertEqual(settings.developers, ("a@x.org", "b@x.org"))

    def test_bad_values_raise_config_error(self) -> None:
        cases = {
            "tls": {"tls": "yes"},
            "port": {"port": 70000},
            "sender": {"sender": "not an address"},
            "unknown": {"hots": "x"},
            "password": {"password": "secret"},
        }
        for name, data in cases.items():
            with self.subTest(name), self.assertRaises(ConfigError):
                parse_settings(data)

    def test_layers_differ_and_errors_name_the_file(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            common, staging = root / "common" / "config", root / "staging" / "config"
            common.mkdir(parents=True)
            staging.mkdir(parents=True)
            (common / "mail.json").write_text(
                '{"host": "smtp.example", "developers": ["prod@x.org"]}'
            )
            (staging / "mail.json").write_text(
                '{"extends": true, "developers": ["staging@x.org"],\n'
                ' "password": "${MAIL_PW}", "login": "app"}'
            )
            finder = Finder(
                [Layer("staging", root / "staging"), Layer("common", root / "common")]
            )
            config = Configuration(finder, environ={"MAIL_PW": "s3cret"})
            settings = load_settings(config)
            self.assertEqual(settings.host, "smtp.example")
            self.assertEqual(settings.developers, ("staging@x.org",))
            self.assertEqual(settings.password, "s3cret")

            (staging / "mail.json").write_text('{"extends": true,\n "tls": "maybe"}')
            with self.assertRaises(ConfigError) as caught:
                load_settings(Configuration(finder))
            self.assertIn("mail.json, line 2", str(caught.exception))


class MessageTest(unittest.TestCase):
    def build(self, **changes: object):
        options = dict(
            sender="Shop <shop@example.org>",
            to="ana@example.org",
            subject="Hello",
            html="<p>Hi</p>",
        )
        options.update(changes)
        return build_message(**options)

    def test_subject_line_breaks_add_no_header(self) -> None:
        message = self.build(subject="Order 42\r\nBcc: victim@evil.example\nX-Evil: 1")
        mail = message_from_bytes(message.as_bytes(), policy=policy.default)
        self.assertIsNone(mail["Bcc"])
        self.assertIsNone(mail["X-Evil"])
        self.assertEqual(mail["Subject"], "Order 42 Bcc: victim@evil.example X-Evil: 1")

    def test_line_breaks_in_addresses_and_names_are_refused(self) -> None:
        attempts = {
            "to": {"to": "ana@example.org\r\nBcc: victim@evil.example"},
            "name": {"to": "Ana\nBcc: v@evil.example <ana@example.org>"},
            "reply_to": {"reply_to": "a@example.org\rX-Evil: 1"},
            "sender": {"sender": "shop@example.org\n"},
        }
        for name, change in attempts.items():
            with self.subTest(name), self.assertRaises(MailError):
                self.build(**change)

    def test_two_addresses_in_one_item_are_refused(self) -> None:
        with self.assertRaises(MailError):
            self.build(to="ana@example.org, eve@evil.example")

    def test_unicode_name_and_subject_are_encoded(self) -> None:
        message = self.build(to="João Lima <joao@example.org>", subject="Olá ✓")
        raw = message.as_bytes()
        self.assertTrue(raw.isascii())
        mail = message_from_bytes(raw, policy=policy.default)
        self.assertEqual(mail["To"].addresses[0].display_name, "João Lima")
        self.assertEqual(mail["Subject"], "Olá ✓")

    def test_explicit_text_is_used(self) -> None:
        _, plain, _ = text_part(self.build(text="Plain ✓").as_bytes())
        self.assertEqual(plain.strip(), "Plain ✓")


class SendTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = SMTPServer(users={"app": "pw"})
        self.addCleanup(self.server.stop)
        self.settings = MailSettings(
            host=self.server.host, port=self.server.port, login="app",
            password="pw", timeout=5,
        )

    def test_application_mail_arrives_with_text_and_html(self) -> None:
        message = build_message(
            sender="Shop <shop@example.org>", to=["Ana <ana@example.org>"],
            subject="Your order ✓", html=ORDER + "\n.hidden line\n",
        )
        reply = send(self.settings, message)

        self.assertEqual(reply.code, 250)
        [received] = self.server.received
        self.assertEqual(received.sender, "shop@example.org")
        self.assertEqual(received.recipients, ("ana@example.org",))
        mail, plain, html = text_part(received.data)
        self.assertEqual(mail.get_content_type(), "multipart/alternative")
        self.assertEqual(mail["Subject"], "Your order ✓")
        self.assertIn("- Coffee beans", plain)
        self.assertIn("your order [1]", plain)
        self.assertIn(".hidden line", html)
        self.assertNotIn("<", plain.replace("<para>", ""))
        self.assertTrue(any(c.startswith("AUTH PLAIN") for c in self.server.commands))

    def test_bcc_is_delivered_but_not_shown(self) -> None:
        message = build_message(sender="s@example.org", to="a@example.org",
                                subject="x", html="<p>x</p>")
        message["Bcc"] = "hidden@example.org"
        send(self.settings, message)
        [received] = self.server.received
        self.assertIn("hidden@example.org", received.recipients)
        self.assertNotIn(b"hidden@", received.data)

    def test_wrong_password_is_a_mail_error(self) -> None:
        with self.assertRaisesRegex(MailError, "refused the login 'app'"):
            send(self.settings.replace(password="bad"), self._message())

    def test_refusing_server_is_a_quick_mail_error(self) -> None:
        with SMTPServer(refuse=True) as refusing:
            settings = MailSettings(host=refusing.host, port=refusing.port, timeout=5)
            started = time.monotonic()
            with self.assertRaisesRegex(MailError, "550"):
                send(settings, self._message())
            self.assertEqual(refusing.received, [])
        self.assertLess(time.monotonic() - started, 2)

    def test_server_down_is_a_quick_mail_error(self) -> None:
        settings = MailSettings(host="127.0.0.1", port=closed_port(), timeout=5)
        started = time.monotonic()
        with self.assertRaisesRegex(MailError, "Cannot send mail through 127.0.0.1"):
            send(settings, self._message())
        self.assertLess(time.monotonic() - started, 2)

    @staticmethod
    def _message():
        return build_message(sender="s@example.org", to="a@example.org",
                             subject="x", html="<p>x</p>")


class MailTestCommandTest(unittest.TestCase):
    def run_command(self, to: str, **overrides: object) -> tuple[int, str]:
        out = io.StringIO()
        code = mail_test(MailSettings(timeout=5), to, out=out, **overrides)
        return code, out.getvalue()

    def test_accepted_message_exits_zero_and_reports_the_reply(self) -> None:
        with SMTPServer() as server:
            code, text = self.run_command(
                "ana@example.org", host=server.host, port=server.port
            )
            self.assertEqual(len(server.received), 1)
        self.assertEqual(code, 0)
        self.assertIn("250 OK queued as 1", text)

    def test_failures_exit_one_with_a_reason(self) -> None:
        with SMTPServer(refuse=True) as refusing:
            cases = {
                "down": ("a@example.org", closed_port(), "Cannot send mail"),
                "refused": ("a@example.org", refusing.port, "refused every recipient"),
                "bad address": ("not-an-address", refusing.port, "not a mail address"),
            }
            for name, (to, port, reason) in cases.items():
                with self.subTest(name):
                    code, text = self.run_command(to, host="127.0.0.1", port=port)
                    self.assertEqual(code, 1)
                    self.assertIn(reason, text)


if __name__ == "__main__":
    unittest.main()
