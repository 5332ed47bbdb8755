"""Build a mail from HTML: a text and an HTML part, with headers that stay put.

Subjects, names and addresses often come from data (a form, an error
message, a path). None of them may add a header: a subject has its control
characters turned into spaces, and an address or name that holds one is
refused. The email policy refuses a line break in a header a second time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from .errors import MailError
from .text import html_to_text

POLICY = policy.SMTP.clone(raise_on_defect=True)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_ADDR_SPEC = re.compile(
    r"[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
)


def build_message(
    *,
    sender: str,
    to: str | Sequence[str],
    subject: str,
    html: str,
    text: str | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """Return a UTF-8 multipart/alternative mail: plain text (from `html`) and HTML."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise MailError("The mail has no recipient; give at least one address in to.")

    message = EmailMessage(policy=POLICY)
    message["Subject"] = clean_subject(subject)
    message["From"] = _header_address(sender)
    message["To"] = [_header_address(item) for item in recipients]
    if reply_to:
        message["Reply-To"] = _header_address(reply_to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender))

    body = html_to_text(html) if text is None else text
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        html, subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return message


def clean_subject(subject: str) -> str:
    """Return `subject` on one line: control characters become single spaces."""
    return " ".join(_CONTROL.sub(" ", str(subject)).split())


def check_address(text: str) -> str:
    """Return one address (``a@b.org`` or ``Name <a@b.org>``); raise MailError."""
    address = _parse(text)
    return str(address)


def recipients_of(message: EmailMessage) -> list[str]:
    """Return the bare addresses a message goes to: To, Cc and Bcc."""
    fields = [
        str(value)
        for name in ("To", "Cc", "Bcc")
        for value in message.get_all(name, [])
    ]
    return [addr for _, addr in getaddresses(fields) if addr]


def _header_address(text: str) -> Address:
    return _parse(text)


def _parse(text: str) -> Address:
    if _CONTROL.search(text):
        raise MailError(
            f"The address {text!r} holds a line break or another control character, "
            "which could add a header; remove it (it often comes from form data)."
        )

    found = getaddresses([text])
    if len(found) != 1 or not found[0][1]:
        raise MailError(
            f"{text!r} is not one mail address. Give one address per item, such as "
            "ana@example.org or Ana Lima <ana@example.org>."
        )

    name, addr = found[0]
    if not addr.isascii() or not _ADDR_SPEC.fullmatch(addr):
        raise MailError(
            f"{addr!r} is not a mail address fw can send to. Write it as "
            "name@domain.example, in ASCII letters (an international domain in "
            "its xn-- form)."
        )
    username, domain = addr.rsplit("@", 1)
    return Address(display_name=name, username=username, domain=domain)


def _domain(sender: str) -> str:
    return _parse(sender).domain
