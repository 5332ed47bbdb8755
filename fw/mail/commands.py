"""``python -m fw mail test --to ADDRESS``: send one message and say what happened.

Exit codes: 0 when the server accepted the message, 1 otherwise (server
down, refused, bad address), with the reason written to ``out``.
"""

from __future__ import annotations

import html
import socket
from datetime import datetime, timezone
from typing import TextIO

from .errors import MailError
from .message import build_message
from .send import send
from .settings import MailSettings

__all__ = ["mail_test"]


def mail_test(
    settings: MailSettings,
    to: str,
    *,
    host: str | None = None,
    port: int | None = None,
    out: TextIO,
) -> int:
    """Send a test message to `to` with `settings` (host and port overridable)."""
    settings = settings.replace(
        host=host or settings.host, port=port if port is not None else settings.port
    )
    out.write(
        f"Sending a test message to {to} through {settings.host}:{settings.port} "
        f"(tls {settings.tls}, login {settings.login or '(none)'}).\n"
    )

    try:
        reply = send(settings, _test_message(settings, to))
    except MailError as error:
        out.write(f"Not sent: {error}\n")
        return 1

    out.write(f"The server accepted the message: {reply}\n")
    return 0


def _test_message(settings: MailSettings, to: str):
    sent = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    facts = {
        "Server": f"{settings.host}:{settings.port}",
        "TLS": settings.tls,
        "Sender": settings.sender,
        "Sent from": socket.gethostname(),
        "Sent at": sent,
    }
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in facts.items()
    )
    body = (
        "<h1>fw mail test</h1><p>This message shows that fw can send mail with "
        f"the current settings.</p><table>{rows}</table>"
    )
    return build_message(
        sender=settings.sender, to=to, subject="fw mail test", html=body
    )
