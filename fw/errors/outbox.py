"""Keep mails waiting in a folder, one JSON file each, and deliver them.

A mail is queued by writing a temporary file and renaming it into place, so
a reader never sees half of one. A deliverer claims a file by renaming it to
a name of its own before sending, so two processes never send the same mail;
a failed send renames it back for a later try. A claim left by a process
that died is given back after :data:`STALE_SECONDS`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fw.errors.record import safe_text

logger = logging.getLogger(__name__)

SUFFIX = ".json"
SENDING = ".sending"
STALE_SECONDS = 600

Sender = Callable[[Any, Any], Any]


def queue(
    folder: Path, *, sender: str, to: Sequence[str], subject: str, html: str
) -> Path:
    """Write one mail to the outbox folder atomically and return its path."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
    mail = {"sender": sender, "to": list(to), "subject": subject, "html": html}

    temporary = folder / f".{name}.tmp"
    temporary.write_text(json.dumps(mail, ensure_ascii=True), encoding="utf-8")
    path = folder / f"{name}{SUFFIX}"
    os.replace(temporary, path)
    return path


def pending(folder: Path) -> list[Path]:
    """Return the mails waiting in the outbox, oldest first."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []

    return [folder / n for n in names if n.endswith(SUFFIX) and not n.startswith(".")]


def deliver(folder: Path, settings: Any, *, send: Sender | None = None) -> int:
    """Send every waiting mail; return how many went out.

    A mail that fails is logged and stays for the next call. ``send``
    defaults to :func:`fw.mail.send`.
    """
    send = send or _mail_send()
    _release_stale(folder)

    sent = 0
    for path in pending(folder):
        claimed = _claim(path)
        if claimed is not None and _send_one(path, claimed, settings, send):
            sent += 1
    return sent


def _send_one(path: Path, claimed: Path, settings: Any, send: Sender) -> bool:
    """Send one claimed mail; remove it on success, give it back on failure."""
    try:
        send(settings, _build(claimed))
    except Exception as exc:
        os.replace(claimed, path)
        logger.warning(
            "The mail %s could not be delivered (%s); it stays in the outbox "
            "for the next try.",
            path.name,
            safe_text(exc, 300),
        )
        return False

    claimed.unlink(missing_ok=True)
    return True


def _build(path: Path) -> Any:
    """Read a queued mail and build the message with fw.mail."""
    from fw.mail import build_message

    mail = json.loads(path.read_text(encoding="utf-8"))
    return build_message(
        sender=mail["sender"], to=mail["to"], subject=mail["subject"], html=mail["html"]
    )


def _mail_send() -> Sender:
    """Return fw.mail's send function, imported only when mail goes out."""
    from fw.mail import send

    return send


def _claim(path: Path) -> Path | None:
    """Rename a mail to this process's name; None when another process took it."""
    claimed = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
    claimed = claimed.with_name(claimed.name + SENDING)
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def _release_stale(folder: Path) -> None:
    """Give back the claims of deliverers that stopped before finishing."""
    try:
        names = [n for n in os.listdir(folder) if n.endswith(SENDING)]
    except FileNotFoundError:
        return

    limit = time.time() - STALE_SECONDS
    for name in names:
        claimed = folder / name
        try:
            if claimed.stat().st_ctime < limit:
                os.replace(claimed, folder / (name.split(SUFFIX)[0] + SUFFIX))
        except FileNotFoundError:
            continue
