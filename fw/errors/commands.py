"""Run the `errors` command line: list, show and prune stored error records."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from fw.errors.record import RELATIONS, safe_text
from fw.errors.store import list_errors, load_error, prune
from fw.exceptions import ErrorStoreError

USAGE = """\
usage: python -m fw errors list
       python -m fw errors show ID [--json]
       python -m fw errors prune --older-than DAYS

  list     one line per stored error, newest first
  show     the full record of one error; ID may be a unique prefix
  prune    delete the records older than DAYS days
"""

MESSAGE_WIDTH = 60


def run_command(
    errors_folder: Path,
    argv: Sequence[str],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one `errors` sub-command on a folder and return the exit code.

    0 is success, 1 a failure (such as an unknown id), 2 a usage mistake.
    Output goes to ``out``, problems to ``err`` (stdout and stderr by default).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if not argv or argv[0] in ("-h", "--help", "help"):
        (out if argv else err).write(USAGE)
        return 0 if argv else 2

    command = _COMMANDS.get(argv[0])
    if command is None:
        err.write(f"Unknown errors command {argv[0]!r}; use list, show or prune.\n")
        err.write(USAGE)
        return 2
    return _run(command, Path(errors_folder), list(argv[1:]), out, err)


def format_summary(summary: Mapping[str, str]) -> str:
    """Return one listing line: id, time, type, trimmed message, method and path."""
    message = " ".join(summary.get("message", "").split())
    if len(message) > MESSAGE_WIDTH:
        message = message[: MESSAGE_WIDTH - 3] + "..."

    time = summary.get("time", "")[:19].replace("T", " ")
    request = f"{summary.get('method', '')} {summary.get('path', '')}".strip()
    return f"{summary['id']}  {time}  {summary.get('type', '')}: {message}  {request}"


def format_record(record: Mapping[str, Any]) -> str:
    """Return a stored record as plain text, its traceback laid out like Python's."""
    lines = [
        f"Error {_get(record, 'id')}",
        f"Time: {_get(record, 'time')}  Process: {_get(record, 'pid')}  "
        f"Python: {_get(record, 'python')}  "
        f"Environment: {_get(record, 'environment_id') or '-'}",
        "",
        *_traceback_lines(record),
        "",
        *_request_lines(_mapping(record.get("request"))),
        "",
        "Layers:",
    ]
    for layer in _list(record.get("layers")):
        layer = _mapping(layer)
        lines.append(f"  {_get(layer, 'name')}  {_get(layer, 'folder')}")
    return "\n".join(lines) + "\n"


def _run(
    command: Callable[[Path, list[str], TextIO], int],
    folder: Path,
    args: list[str],
    out: TextIO,
    err: TextIO,
) -> int:
    """Run a sub-command, turning its failures into messages and exit codes."""
    try:
        return command(folder, args, out)
    except ValueError as exc:
        err.write(f"{exc}\n{USAGE}")
        return 2
    except ErrorStoreError as exc:
        err.write(f"{exc}\n")
        return 1


def _list_command(folder: Path, args: list[str], out: TextIO) -> int:
    """Print one line per stored error, newest first."""
    if args:
        raise ValueError(f"`errors list` takes no arguments; got {' '.join(args)!r}.")

    summaries = list_errors(folder)
    if not summaries:
        out.write(f"No stored errors in {folder}.\n")
    for summary in summaries:
        out.write(format_summary(summary) + "\n")
    return 0


def _show_command(folder: Path, args: list[str], out: TextIO) -> int:
    """Print the full record of one error, as text or as JSON."""
    as_json = "--json" in args
    ids = [arg for arg in args if arg != "--json"]
    if len(ids) != 1:
        raise ValueError("`errors show` needs exactly one error id, such as 2025010.")

    record = load_error(folder, ids[0])
    if as_json:
        out.write(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(format_record(record))
    return 0


def _prune_command(folder: Path, args: list[str], out: TextIO) -> int:
    """Delete the records older than the given number of days."""
    days = _older_than(args)

    removed = prune(folder, days)
    out.write(f"Removed {len(removed)} error record(s) older than {days:g} days.\n")
    return 0


def _older_than(args: list[str]) -> float:
    """Read the number of days from `--older-than DAYS` or `--older-than=DAYS`."""
    if len(args) == 1 and args[0].startswith("--older-than="):
        value = args[0].partition("=")[2]
    elif len(args) == 2 and args[0] == "--older-than":
        value = args[1]
    else:
        raise ValueError("`errors prune` needs --older-than DAYS, such as 30.")

    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not 0 <= days < float("inf"):
        raise ValueError(
            f"--older-than needs a number of days, such as 30; got {value!r}."
        )
    return days


def _traceback_lines(record: Mapping[str, Any]) -> list[str]:
    """Lay out the chain, earliest first, and the raised exception."""
    lines: list[str] = []
    for link in reversed(_list(record.get("chain"))):
        link = _mapping(link)
        lines += _exception_lines(link)
        lines += ["", RELATIONS.get(_get(link, "relation"), ""), ""]

    lines += _exception_lines(_mapping(record.get("exception")))
    return lines


def _exception_lines(exception: Mapping[str, Any]) -> list[str]:
    """Lay out one exception's frames, then its type and message."""
    lines = ["Traceback (most recent call last):"]
    for frame in _list(exception.get("frames")):
        frame = _mapping(frame)
        lines.append(
            f'  File "{_get(frame, "file")}", line {_get(frame, "line")}, '
            f"in {_get(frame, 'function')}"
        )
        if frame.get("source"):
            lines.append(f"    {_get(frame, 'source')}")

    lines.append(f"{_get(exception, 'type')}: {_get(exception, 'message')}")
    lines += [safe_text(note) for note in _list(exception.get("notes"))]
    return lines


def _request_lines(request: Mapping[str, Any]) -> list[str]:
    """Lay out the request: its line, client and headers."""
    if not request:
        return ["Request: none"]

    target = _get(request, "path")
    if request.get("query"):
        target += f"?{_get(request, 'query')}"
    lines = [f"Request: {_get(request, 'method')} {target}"]
    lines.append(f"Client: {_get(request, 'client')}")
    lines.append("Headers:")
    for name, value in _mapping(request.get("headers")).items():
        lines.append(f"  {name}: {safe_text(value)}")
    return lines


def _get(mapping: Mapping[str, Any], key: str) -> str:
    """Return a field of a record as text; a missing field becomes empty."""
    value = mapping.get(key)
    return "" if value is None else safe_text(value, 20_000)


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return the value when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    """Return the value when it is a list, else an empty one."""
    return list(value) if isinstance(value, (list, tuple)) else []


_COMMANDS: dict[str, Callable[[Path, list[str], TextIO], int]] = {
    "list": _list_command,
    "show": _show_command,
    "prune": _prune_command,
}
