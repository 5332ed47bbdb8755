"""Mail: build a message from HTML, send it through SMTP as configured.

``load_settings(config)`` reads configuration ``mail`` through the layers;
``build_message`` makes a text and an HTML part from the HTML alone, with
headers no data can add to; ``send`` hands it to the server and returns its
reply. Failures are :class:`MailError`. See docs/mail.md.
"""

from .errors import MailError
from .message import build_message, check_address, clean_subject
from .send import Reply, send
from .settings import MailSettings, load_settings, parse_settings
from .text import html_to_text

__all__ = [
    "MailError",
    "MailSettings",
    "Reply",
    "build_message",
    "check_address",
    "clean_subject",
    "html_to_text",
    "load_settings",
    "parse_settings",
    "send",
]
