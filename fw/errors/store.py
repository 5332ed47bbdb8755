"""Keep error records, one JSON file each: write, list, load and prune them.

Every record goes to a new file created with an exclusive open, so any number
of processes can write at once with no shared log and no lock. A record that
cannot be written goes to standard error instead.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fw.errors.record import error_time, is_error_id, new_error_id, safe_text
from fw.exceptions import ErrorStoreError

logger = logging.getLogger(__name__)

SUFFIX = ".json"

# NOTE: O_EXCL makes a planted file or symlink fail the open instead of being
# written through; O_NOFOLLOW says the same where O_EXCL alone might not.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
_PREFIX = re.compile(r"[0-9A-Za-z-]+")


def store(record: dict[str, Any], folder: Path) -> Path | None:
    """Write a record to a new file of its own and return its path; never raise.

    When the file cannot be written (disk full, read-only folder, a name
    already taken), the record goes to standard error on one line and None
    is returned; the record and its id stay usable for the error page. A
    record without a well-formed id is given a fresh one.
    """
    try:
        return _write_record(record, Path(folder))
    except Exception as exc:
        _to_stderr(record, exc)
        return None


def list_errors(folder: Path) -> list[dict[str, str]]:
    """Summarize the stored records, newest first.

    Each summary has id, time, type, message, method and path. A file that
    cannot be read is listed with the type "(unreadable)" and the reason.
    """
    folder = Path(folder)
    return [_summary(folder, error_id) for error_id in _stored_ids(folder)]


def load_error(folder: Path, id_or_prefix: str) -> dict[str, Any]:
    """Return the stored record whose id is, or starts with, the given text."""
    folder = Path(folder)
    return _read(folder, find_error_id(folder, id_or_prefix))


def find_error_id(folder: Path, id_or_prefix: str) -> str:
    """Return the one stored id that starts with the given text.

    Raise ErrorStoreError when the text is no id, or matches none or many.
    """
    prefix = str(id_or_prefix).strip().removesuffix(SUFFIX)
    if not _PREFIX.fullmatch(prefix):
        raise ErrorStoreError(
            f"{prefix!r} is not an error id. Give an id, or its first characters, "
            "as `errors list` shows them."
        )

    matches = [i for i in _stored_ids(Path(folder)) if i.startswith(prefix)]
    if not matches:
        raise ErrorStoreError(
            f"No stored error has an id starting with {prefix!r} in {folder}. "
            "Run `errors list` to see the stored ids."
        )
    if len(matches) > 1:
        raise ErrorStoreError(
            f"The id prefix {prefix!r} matches {len(matches)} stored errors "
            f"({', '.join(matches[:3])}, ...). Give more characters of the id."
        )
    return matches[0]


def prune(
    folder: Path, older_than_days: float, *, now: datetime | None = None
) -> list[str]:
    """Delete the records older than the given number of days; return their ids.

    A record's age comes from the UTC time in its id, which is when the error
    happened and which survives copies and backups, unlike the file's mtime.
    Files whose names are not error ids are left alone.
    """
    if not math.isfinite(older_than_days) or older_than_days < 0:
        raise ValueError(
            f"The age to prune must be zero or more days; got {older_than_days!r}."
        )

    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
    folder = Path(folder)
    old = [i for i in _stored_ids(folder) if error_time(i) < cutoff]
    return [error_id for error_id in old if _remove(folder, error_id)]


def _write_record(record: dict[str, Any], folder: Path) -> Path:
    """Create the record's file exclusively and write it in one go."""
    error_id = _checked_id(record)
    data = _encode(record)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    path = folder / f"{error_id}{SUFFIX}"
    fd = os.open(path, _CREATE, 0o600)
    try:
        _write_all(fd, data)
    except BaseException:
        os.close(fd)
        _unlink_quietly(path)
        raise

    _close_or_remove(fd, path)
    return path


def _checked_id(record: dict[str, Any]) -> str:
    """Return the record's id, giving it a fresh one when it has no valid id."""
    error_id = record.get("id")
    if not is_error_id(error_id):
        error_id = record["id"] = new_error_id()
    return error_id


def _encode(record: dict[str, Any]) -> bytes:
    """Return the record as UTF-8 JSON; texts that cannot be UTF-8 get escaped."""
    try:
        text = json.dumps(record, ensure_ascii=False, indent=2, default=safe_text)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(record, ensure_ascii=True, indent=2, default=safe_text)
        return text.encode("ascii")


def _write_all(fd: int, data: bytes) -> None:
    """Write all of data to a file descriptor, however the system splits it."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _close_or_remove(fd: int, path: Path) -> None:
    """Close a written file; a failed close may have lost data, so remove it."""
    try:
        os.close(fd)
    except OSError:
        _unlink_quietly(path)
        raise


def _unlink_quietly(path: Path) -> None:
    """Remove a half-written file, ignoring a failure to do so."""
    try:
        path.unlink()
    except OSError:
        logger.warning("The half-written error file %s could not be removed.", path)


def _to_stderr(record: Any, reason: BaseException) -> None:
    """Send a record that could not be stored to standard error, on one line."""
    try:
        line = json.dumps(record, separators=(",", ":"), default=safe_text)
    except Exception:
        line = safe_text(record)

    try:
        sys.stderr.write(f"fw: error record not stored ({safe_text(reason)}): {line}\n")
        sys.stderr.flush()
    except Exception:
        # NOTE: with no usable stderr there is nowhere left to report to, and
        # the caller must still get its answer.
        pass


def _stored_ids(folder: Path) -> list[str]:
    """Return the ids of the records in a folder, newest first."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ErrorStoreError(
            f"The errors folder {folder} cannot be read: {exc}. "
            "Check that it is a folder this user may read."
        ) from exc

    ids = [n[: -len(SUFFIX)] for n in names if n.endswith(SUFFIX)]
    return sorted((i for i in ids if is_error_id(i)), reverse=True)


def _read(folder: Path, error_id: str) -> dict[str, Any]:
    """Read and parse one record file, refusing to follow a symlink."""
    path = folder / f"{error_id}{SUFFIX}"
    try:
        with os.fdopen(os.open(path, _READ), "rb") as file:
            record = json.loads(file.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ErrorStoreError(
            f"The error record {path} cannot be read: {exc}. "
            "It may be incomplete or damaged; open it in an editor to see."
        ) from exc

    if not isinstance(record, dict):
        raise ErrorStoreError(
            f"The error record {path} holds a {type(record).__name__}, "
            "not a JSON object. Remove it or restore it from a backup."
        )
    return record


def _summary(folder: Path, error_id: str) -> dict[str, str]:
    """Summarize one record for the listing, or say why it cannot be read."""
    try:
        record = _read(folder, error_id)
    except ErrorStoreError as exc:
        return _summary_line(error_id, "", "(unreadable)", safe_text(exc), {})

    exception = record.get("exception")
    exception = exception if isinstance(exception, dict) else {}
    request = record.get("request")
    request = request if isinstance(request, dict) else {}
    return _summary_line(
        error_id,
        safe_text(record.get("time", "")),
        safe_text(exception.get("type", "")),
        safe_text(exception.get("message", "")),
        request,
    )


def _summary_line(
    error_id: str, time: str, type_: str, message: str, request: dict[str, Any]
) -> dict[str, str]:
    """Return the fields one listing line shows."""
    return {
        "id": error_id,
        "time": time,
        "type": type_,
        "message": message,
        "method": safe_text(request.get("method", "")),
        "path": safe_text(request.get("path", "")),
    }


def _remove(folder: Path, error_id: str) -> bool:
    """Delete one record file; False when another process removed it first."""
    path = folder / f"{error_id}{SUFFIX}"
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ErrorStoreError(
            f"The error record {path} cannot be removed: {exc}. "
            "Check the permissions of the errors folder."
        ) from exc
    return True
