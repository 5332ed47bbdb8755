"""Group errors by fingerprint into time windows shared by every process.

The state lives in one folder, two files per fingerprint:

``FP.open``
    created with ``O_CREAT|O_EXCL`` by the first occurrence; it holds the
    window's start and a summary of that first error. The process whose
    create succeeds is the only one that mails "first".
``FP.count``
    one line (the error id) appended per repeat with ``O_APPEND``; a single
    small write to such a file is atomic, so processes never lose a count.

A window is closed by renaming ``FP.open`` to a name of the closer's own:
exactly one rename succeeds, so exactly one process makes the digest. It
then takes ``FP.count`` the same way. A repeat that lands between the two
renames may be counted in the closed window instead of the next one: a
race can move a count, but never send two "first" mails or drop a digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fw.errors.record import safe_text

logger = logging.getLogger(__name__)

OPEN = ".open"
COUNT = ".count"

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)


def fingerprint(record: Mapping[str, Any]) -> str:
    """Return the group of an error: its type and the place it was raised.

    The place is the innermost application frame's file and function (the
    innermost frame of any kind when none is the application's). Line
    numbers and messages are left out, so an edit above the line or an id
    in the message does not split a group.
    """
    exception = _mapping(record.get("exception"))
    frame = innermost_frame(exception)

    parts = [exception.get("type"), frame.get("file"), frame.get("function")]
    key = "\0".join(safe_text(part or "") for part in parts)
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:24]


def innermost_frame(exception: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the innermost application frame of an exception, else its last one."""
    frames = [_mapping(f) for f in _sequence(exception.get("frames"))]

    for frame in reversed(frames):
        if frame.get("kind", "app") == "app":
            return frame
    return frames[-1] if frames else {}


def record_occurrence(
    folder: Path, key: str, summary: Mapping[str, Any], *, now: float
) -> bool:
    """Count one error into its window; True when it opened the window (first).

    The caller closes expired windows first (:func:`close_expired`), so an
    open window found here is the current one.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    if _open_window(folder / f"{key}{OPEN}", summary, now):
        return True
    _append_line(folder / f"{key}{COUNT}", safe_text(summary.get("id", "")))
    return False


def close_expired(folder: Path, *, window: float, now: float) -> list[dict[str, Any]]:
    """Close every window older than ``window`` seconds; return their digests.

    A digest is ``{"first": summary, "repeats": n, "last_id": id,
    "opened": start, "closed": now}``; windows without repeats give none.
    """
    digests = []
    for path in _open_files(folder):
        started, _summary = read_window(path)
        if started is not None and now >= started + window:
            digest = _close(path, now)
            if digest is not None and digest["repeats"]:
                digests.append(digest)

    return digests


def next_close(folder: Path, *, window: float) -> float | None:
    """Return when the earliest open window ends (epoch seconds), or None."""
    starts = [read_window(path)[0] for path in _open_files(folder)]

    starts = [start for start in starts if start is not None]
    return min(starts) + window if starts else None


def read_window(path: Path) -> tuple[float | None, dict[str, Any]]:
    """Return a window file's start and first summary; (None, {}) once it is gone.

    A file caught between its creation and its first write has no content
    yet; its modification time stands in for the start.
    """
    try:
        data = path.read_bytes()
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        return None, {}

    try:
        state = json.loads(data.decode("utf-8"))
        return float(state["opened"]), _mapping(state.get("first"))
    except (ValueError, KeyError, TypeError):
        return stamp, {}


def _open_window(path: Path, summary: Mapping[str, Any], now: float) -> bool:
    """Create the window file if no process has; True when this call did."""
    try:
        fd = os.open(path, _CREATE, 0o600)
    except FileExistsError:
        return False

    data = json.dumps({"opened": now, "first": dict(summary)}, default=safe_text)
    with os.fdopen(fd, "wb") as file:
        file.write(data.encode("utf-8"))
    return True


def _append_line(path: Path, text: str) -> None:
    """Append one line with a single write, atomic against other appenders."""
    line = (" ".join(text.split()) + "\n").encode("utf-8", "replace")

    fd = os.open(path, _APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _close(path: Path, now: float) -> dict[str, Any] | None:
    """Take a window and its count for this process; None when another took it."""
    token = secrets.token_hex(6)
    claimed = path.with_name(f"{path.name}.{token}.closing")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None

    started, first = read_window(claimed)
    counted = _take(path.with_suffix(COUNT), token)
    lines = _read_lines(counted)
    _remove(claimed, counted)
    return {
        "first": first,
        "repeats": len(lines),
        "last_id": lines[-1] if lines else "",
        "opened": started,
        "closed": now,
    }


def _take(path: Path, token: str) -> Path | None:
    """Rename a count file to this closer's name; None when there is none."""
    taken = path.with_name(f"{path.name}.{token}.closing")
    try:
        os.rename(path, taken)
    except FileNotFoundError:
        return None
    return taken


def _read_lines(path: Path | None) -> list[str]:
    """Return the non-empty lines of a count file."""
    if path is None:
        return []

    text = path.read_bytes().decode("utf-8", "replace")
    return [line for line in text.splitlines() if line.strip()]


def _remove(*paths: Path | None) -> None:
    """Delete the files of a closed window."""
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


def _open_files(folder: Path) -> list[Path]:
    """Return the window files of a folder, oldest name first."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []

    return [folder / name for name in names if name.endswith(OPEN)]


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return the value when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    """Return the value when it is a list, else an empty one."""
    return list(value) if isinstance(value, (list, tuple)) else []
