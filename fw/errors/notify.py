"""Mail stored errors to the developers in production: grouped, never blocking.

The first occurrence of an error (its :func:`~fw.errors.grouping.fingerprint`:
type, and file and function of the innermost application frame) is mailed
at once. Repeats within ``digest_minutes`` are counted; when the window
closes one digest says how many more there were. A window closes at the
next error of any kind after it ends, at :func:`flush`, and, in a
long-running server, when the background courier wakes at its end.

Mails are queued in ``var/mail/outbox/`` and delivered in the background:
a daemon thread in a long-running server, a detached child process under
CGI (``wsgi.run_once``). :func:`notify` returns once the mail is queued and
logs any failure instead of raising.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fw.errors import grouping, outbox
from fw.errors.record import safe_text

logger = logging.getLogger(__name__)

DEFAULT_DIGEST_MINUTES = 15
RETRY_SECONDS = 60.0
SUBJECT_WIDTH = 100

_FW_PARENT = str(Path(__file__).resolve().parents[2])
_COURIERS: dict[Path, _Courier] = {}
_COURIERS_LOCK = threading.Lock()


def notify(
    root: str | os.PathLike[str],
    record: Mapping[str, Any],
    settings: Any,
    *,
    production: bool,
    run_once: bool,
) -> None:
    """Mail a stored error, or count it into its group's digest; never raise.

    Nothing happens outside production, without settings, or when the
    settings name no developers. The mail is queued, not sent, here.
    """
    if not production or settings is None or not _developers(settings):
        return

    try:
        queued = _notify(Path(root), record, settings, time.time())
        if queued:
            _deliver_in_background(Path(root), settings, run_once=run_once)
    except Exception:
        logger.warning(
            "The error %s could not be queued for mail to the developers.",
            safe_text(record.get("id", "")),
            exc_info=True,
        )


def flush(
    root: str | os.PathLike[str], settings: Any, *, now: float | None = None
) -> int:
    """Close the windows that have ended, then deliver the outbox; return mails sent.

    This is what ``python -m fw mail flush`` runs, and what the background
    courier runs when it wakes.
    """
    root = Path(root)
    now = time.time() if now is None else now

    if _developers(settings):
        _queue_digests(root, settings, now)
    return deliver_outbox(root, settings)


def deliver_outbox(root: str | os.PathLike[str], settings: Any) -> int:
    """Send the mails waiting in ``var/mail/outbox/``; return how many went out."""
    return outbox.deliver(outbox_folder(root), settings)


def mail_folder(root: str | os.PathLike[str]) -> Path:
    """Return the folder that holds the grouping state and the outbox."""
    return Path(root) / "var" / "mail"


def outbox_folder(root: str | os.PathLike[str]) -> Path:
    """Return the folder of the mails waiting to be delivered."""
    return mail_folder(root) / "outbox"


def summarize(record: Mapping[str, Any]) -> dict[str, str]:
    """Return the facts of a record that a mail shows, as texts."""
    exception = _mapping(record.get("exception"))
    request = _mapping(record.get("request"))
    frame = grouping.innermost_frame(exception)

    place = ""
    if frame:
        place = f"{safe_text(frame.get('file'))}, line {safe_text(frame.get('line'))}"
        place += f", in {safe_text(frame.get('function'))}"
    facts = {
        "id": record.get("id", ""),
        "time": record.get("time", ""),
        "environment_id": record.get("environment_id", ""),
        "type": exception.get("type", ""),
        "message": exception.get("message", ""),
        "method": request.get("method", ""),
        "path": request.get("path", ""),
        "place": place,
    }
    return {name: _mailable(safe_text(value)) for name, value in facts.items()}


def _mailable(text: str) -> str:
    """Replace what UTF-8 cannot carry (lone surrogates from undecodable names)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def first_mail(summary: Mapping[str, str]) -> tuple[str, str]:
    """Return the subject and HTML of the mail about an error's first occurrence."""
    subject = f"[fw error] {summary.get('type', '')}: {summary.get('message', '')}"

    body = (
        f"<h1>{_e(summary.get('type'))}</h1>"
        f"<p>{_e(summary.get('message'))}</p>"
        f"{_facts(summary)}"
        "<p>Repeats of this error are counted and sent as one digest.</p>"
    )
    return _subject(subject, summary), body


def digest_mail(digest: Mapping[str, Any]) -> tuple[str, str]:
    """Return the subject and HTML of a digest: how often an error came back."""
    first = _mapping(digest.get("first"))
    repeats = int(digest.get("repeats", 0))
    type_ = first.get("type", "") or "An error"

    subject = f"[fw error digest] {type_} happened {repeats} more time(s)"
    body = (
        f"<h1>{_e(type_)}: {repeats} more time(s)</h1>"
        f"<p>After the first occurrence, the error came back {repeats} time(s) "
        f"({repeats + 1} in all) between {_e(_clock(digest.get('opened')))} "
        f"and {_e(_clock(digest.get('closed')))}.</p>"
        f"<p>Last error id: <code>{_e(digest.get('last_id'))}</code></p>"
        f"<h2>First occurrence</h2>{_facts(first)}"
    )
    return _subject(subject, first), body


def _notify(root: Path, record: Mapping[str, Any], settings: Any, now: float) -> bool:
    """Close ended windows and count the error in; True when a mail was queued."""
    queued = _queue_digests(root, settings, now)

    summary = summarize(record)
    key = grouping.fingerprint(record)
    if grouping.record_occurrence(_groups(root), key, summary, now=now):
        _queue(root, settings, *first_mail(summary))
        queued += 1
    return queued > 0


def _queue_digests(root: Path, settings: Any, now: float) -> int:
    """Queue one digest per window that has ended with repeats; return how many."""
    window = _window_seconds(settings)

    digests = grouping.close_expired(_groups(root), window=window, now=now)
    for digest in digests:
        _queue(root, settings, *digest_mail(digest))
    return len(digests)


def _queue(root: Path, settings: Any, subject: str, body: str) -> None:
    """Put one mail to the developers in the outbox."""
    outbox.queue(
        outbox_folder(root),
        sender=_setting(settings, "sender", "fw@localhost"),
        to=_developers(settings),
        subject=subject,
        html=body,
    )


def _deliver_in_background(root: Path, settings: Any, *, run_once: bool) -> None:
    """Start delivery without waiting: a child process under CGI, else a thread."""
    if run_once:
        _spawn_child(root, settings)
    else:
        _courier(root).wake(settings)


def _spawn_child(root: Path, settings: Any) -> None:
    """Start a detached process that flushes the outbox and exits.

    NOTE: the settings go through a pipe, not the command line or the
    environment, so the password shows in no process listing.
    """
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [_FW_PARENT, environ.get("PYTHONPATH")])
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "fw.errors.notify", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
        env=environ,
    )
    with child.stdin:
        child.stdin.write(json.dumps(_settings_data(settings)).encode("utf-8"))
    # NOTE: the child outlives the request; keep Popen from warning about it.
    child.returncode = 0


class _Courier:
    """A daemon thread that delivers the outbox and closes windows as they end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings: Any = None
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="fw-error-mail", daemon=True
        )
        self._thread.start()

    def wake(self, settings: Any) -> None:
        """Deliver soon with these settings."""
        self.settings = settings
        self._wake.set()

    def _run(self) -> None:
        """Wait for work or for the end of a window, then flush; forever."""
        timeout: float | None = None
        while True:
            self._wake.wait(timeout)
            self._wake.clear()
            timeout = self._flush()

    def _flush(self) -> float | None:
        """Flush once and return how long to sleep before the next time."""
        try:
            flush(self.root, self.settings)
        except Exception:
            logger.warning("The error mails could not be flushed.", exc_info=True)

        waits = []
        if outbox.pending(outbox_folder(self.root)):
            waits.append(RETRY_SECONDS)
        window = _window_seconds(self.settings)
        ends = grouping.next_close(_groups(self.root), window=window)
        if ends is not None:
            waits.append(max(0.05, ends - time.time()))
        return min(waits) if waits else None


def _courier(root: Path) -> _Courier:
    """Return this process's courier for an application, started once."""
    with _COURIERS_LOCK:
        courier = _COURIERS.get(root)
        if courier is None:
            courier = _COURIERS[root] = _Courier(root)
    return courier


def _settings_data(settings: Any) -> dict[str, Any]:
    """Return settings as JSON-ready data for the child process."""
    if dataclasses.is_dataclass(settings):
        return dataclasses.asdict(settings)
    return dict(settings)


def _settings_from(data: Mapping[str, Any]) -> Any:
    """Rebuild the settings a parent process sent."""
    from fw.mail import MailSettings

    data = dict(data)
    data["developers"] = tuple(data.get("developers") or ())
    return MailSettings(**data)


def _groups(root: Path) -> Path:
    """Return the folder of the grouping state."""
    return mail_folder(root) / "groups"


def _setting(settings: Any, name: str, default: Any) -> Any:
    """Read one setting from a settings object or a mapping."""
    if isinstance(settings, Mapping):
        return settings.get(name, default)
    return getattr(settings, name, default)


def _developers(settings: Any) -> list[str]:
    """Return the developer addresses of the settings."""
    developers = _setting(settings, "developers", ()) or ()
    if isinstance(developers, str):
        developers = developers.split(",")
    return [str(item).strip() for item in developers if str(item).strip()]


def _window_seconds(settings: Any) -> float:
    """Return the length of a digest window in seconds."""
    minutes = _setting(settings, "digest_minutes", None)
    if minutes is None:
        minutes = DEFAULT_DIGEST_MINUTES
    return float(minutes) * 60.0


def _subject(text: str, summary: Mapping[str, Any]) -> str:
    """Return a one-line, trimmed subject that ends with the environment id."""
    line = " ".join(_one_line(text).split())
    if len(line) > SUBJECT_WIDTH:
        line = line[: SUBJECT_WIDTH - 3] + "..."

    environment_id = _one_line(summary.get("environment_id", ""))
    return f"{line} ({environment_id})" if environment_id else line


def _one_line(text: Any) -> str:
    """Return text with every control character turned into a space."""
    return "".join(" " if _is_control(c) else c for c in safe_text(text or ""))


def _is_control(character: str) -> bool:
    """Tell whether a character could break a header line."""
    code = ord(character)
    return code < 32 or 127 <= code < 160 or character in "\u2028\u2029"


def _facts(summary: Mapping[str, Any]) -> str:
    """Return a table of the facts of an error, every value escaped."""
    request = f"{summary.get('method', '')} {summary.get('path', '')}".strip()
    rows = [
        ("Error id", summary.get("id")),
        ("Time", summary.get("time")),
        ("Environment", summary.get("environment_id")),
        ("Request", request),
        ("Raised in", summary.get("place")),
    ]

    cells = "".join(f"<tr><th>{_e(n)}</th><td>{_e(v)}</td></tr>" for n, v in rows)
    return f"<table>{cells}</table>"


def _clock(stamp: Any) -> str:
    """Return an epoch time as UTC ISO text."""
    try:
        moment = datetime.fromtimestamp(float(stamp), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return "?"
    return moment.isoformat(timespec="seconds")


def _e(value: Any) -> str:
    """Escape a value for HTML; a missing value becomes empty."""
    return html.escape(safe_text("" if value is None else value))


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return the value when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _main(argv: list[str]) -> int:
    """Flush an application's error mails with settings read from stdin."""
    settings = _settings_from(json.loads(sys.stdin.buffer.read() or b"{}"))
    try:
        flush(Path(argv[0]), settings)
    except Exception:
        logger.warning("The error mails could not be flushed.", exc_info=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
