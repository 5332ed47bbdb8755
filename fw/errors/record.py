"""Build an error record: the exception, its stack and chain, and the request.

A record is a plain dict of strings, numbers, lists and dicts, ready for JSON.
Building it never raises: a part that cannot be described is replaced by a
short fallback, because the error system must not fail the request it reports.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import logging
import os
import re
import site
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import unquote_plus

logger = logging.getLogger(__name__)

MASK = "[masked]"
CONTEXT_LINES = 2
MAX_TEXT = 2_000
MAX_MESSAGE = 10_000
MAX_FRAMES = 100
MAX_CHAIN = 8
MAX_GROUP = 10

RELATIONS = {
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
}

_SECRET_HEADERS = frozenset(
    {"cookie", "authorization", "proxy-authorization", "set-cookie"}
)
_SECRET_NAME = re.compile(r"password|passwd|secret|token|key|csrf|session|auth", re.I)
_ID_PATTERN = re.compile(r"(\d{8}T\d{12})Z-\d+-[0-9a-f]+-\d+-[0-9a-f]+")
_ID_STAMP = "%Y%m%dT%H%M%S%f"
_FW_FOLDER = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_COUNTER = itertools.count()


def new_error_id(now: datetime | None = None) -> str:
    """Return a fresh error id: UTC time, process id, counters and random bits."""
    import secrets

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)

    stamp = moment.strftime(_ID_STAMP)
    counter = f"{time.perf_counter_ns():x}-{next(_COUNTER)}"
    return f"{stamp}Z-{os.getpid()}-{counter}-{secrets.token_hex(6)}"


def is_error_id(text: str) -> bool:
    """Tell whether a text has the shape of an id made by new_error_id."""
    return isinstance(text, str) and _ID_PATTERN.fullmatch(text) is not None


def error_time(error_id: str) -> datetime | None:
    """Return the UTC time written in an error id, or None for another text."""
    match = _ID_PATTERN.fullmatch(error_id)
    if match is None:
        return None

    moment = datetime.strptime(match.group(1), _ID_STAMP)
    return moment.replace(tzinfo=timezone.utc)


def capture(
    exc: BaseException,
    *,
    environ: Mapping[str, Any] | None = None,
    environment_id: str = "",
    layers: Sequence[tuple[str, str]] = (),
    form: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the record of an exception and of the request it ended; never raise.

    ``form`` takes fields the framework already parsed; the request body is
    never read here. Secret-looking header, query and form values are masked.
    """
    moment = datetime.now(timezone.utc)

    record: dict[str, Any] = {
        "id": new_error_id(moment),
        "time": moment.isoformat(timespec="microseconds"),
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "environment_id": safe_text(environment_id),
    }
    record["exception"] = _guard(_describe_exception, exc, _bare_exception(exc))
    record["chain"] = _guard(_describe_chain, exc, [])
    record["request"] = _guard(describe_request, environ or {}, {})
    if form:
        record["request"]["form"] = _guard(mask_fields, form, {})
    record["layers"] = _guard(_describe_layers, layers, [])
    return record


def safe_text(value: Any, limit: int = MAX_TEXT) -> str:
    """Return str(value), or a stand-in when __str__ fails; trim long texts."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        text = _repr_or_stand_in(value)

    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    return text


def is_secret_name(name: str) -> bool:
    """Tell whether a header, query or form name looks like it holds a secret."""
    return name.lower() in _SECRET_HEADERS or _SECRET_NAME.search(name) is not None


def mask_query(query: str) -> str:
    """Return a raw query string with the values of secret-looking names masked."""
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        if sep and is_secret_name(unquote_plus(name)):
            part = f"{name}={MASK}"
        parts.append(part)

    return "&".join(parts)


def mask_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return form fields as texts, with secret-looking values masked."""
    masked: dict[str, Any] = {}
    for name, value in fields.items():
        key = safe_text(name)
        if is_secret_name(key):
            masked[key] = MASK
        elif isinstance(value, (list, tuple)):
            masked[key] = [safe_text(item) for item in value]
        else:
            masked[key] = safe_text(value)

    return masked


def describe_request(environ: Mapping[str, Any]) -> dict[str, Any]:
    """Describe a WSGI request for an error record, with its secrets masked."""
    if not environ:
        return {}

    path = _wsgi_text(environ.get("SCRIPT_NAME", "")) + _wsgi_text(
        environ.get("PATH_INFO", "")
    )
    return {
        "method": safe_text(environ.get("REQUEST_METHOD", "")),
        "scheme": safe_text(environ.get("wsgi.url_scheme", "")),
        "path": path,
        "query": mask_query(_wsgi_text(environ.get("QUERY_STRING", ""))),
        "headers": _describe_headers(environ),
        "client": safe_text(environ.get("REMOTE_ADDR", "")),
    }


@functools.lru_cache(maxsize=1024)
def frame_kind(filename: str) -> str:
    """Tell whose code a file holds: "fw", "library", "stdlib" or "app"."""
    if filename.startswith("<frozen "):
        return "stdlib"

    path = os.path.normcase(os.path.realpath(filename))
    for kind, folders in _code_folders():
        if any(path.startswith(folder + os.sep) for folder in folders):
            return kind
    return "app"


@functools.lru_cache(maxsize=1)
def _code_folders() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return the folders of fw, installed libraries and the stdlib, in that order.

    NOTE: site-packages usually lies inside the stdlib folder, so libraries
    are tested before the stdlib.
    """
    import sysconfig

    paths = sysconfig.get_paths()
    libraries = [paths.get("purelib"), paths.get("platlib")]
    libraries += _site_folders()
    stdlib = [paths.get("stdlib"), paths.get("platstdlib")]
    return (
        ("fw", _normalized([_FW_FOLDER])),
        ("library", _normalized(libraries)),
        ("stdlib", _normalized(stdlib)),
    )


def _site_folders() -> list[str]:
    """Return the site-packages folders, which may differ from sysconfig's."""
    try:
        return [*site.getsitepackages(), site.getusersitepackages()]
    except (AttributeError, OSError):
        return []


def _normalized(folders: Iterable[str | None]) -> tuple[str, ...]:
    """Return real, case-normalized paths of the folders that are given."""
    found = {os.path.normcase(os.path.realpath(f)) for f in folders if f}
    return tuple(sorted(found))


def _guard(build: Callable[[Any], Any], value: Any, fallback: Any) -> Any:
    """Call build(value), or return the fallback when it fails."""
    try:
        return build(value)
    except Exception:
        logger.warning("A part of an error record could not be built.", exc_info=True)
        return fallback


def _repr_or_stand_in(value: Any) -> str:
    """Return repr(value), or a stand-in naming the type when repr fails too."""
    try:
        return repr(value)
    except Exception:
        return f"<unprintable {type(value).__name__} object>"


def _type_name(exc: BaseException) -> str:
    """Return the dotted name of an exception's class; builtins stay short."""
    cls = type(exc)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    if module in ("builtins", ""):
        return safe_text(name)
    return safe_text(f"{module}.{name}")


def _bare_exception(exc: BaseException) -> dict[str, Any]:
    """Describe an exception by its type alone, for when more fails."""
    return {"type": _guard(_type_name, exc, "(unknown)"), "message": "", "frames": []}


def _describe_exception(exc: BaseException, depth: int = 0) -> dict[str, Any]:
    """Describe one exception: type, message, frames, notes, group members."""
    frames, omitted = _describe_frames(exc.__traceback__)

    described: dict[str, Any] = {
        "type": _type_name(exc),
        "message": safe_text(exc, MAX_MESSAGE),
        "frames": frames,
    }
    if omitted:
        described["frames_omitted"] = omitted
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list) and notes:
        described["notes"] = [safe_text(note) for note in notes]
    if isinstance(exc, BaseExceptionGroup) and depth < 3:
        members = exc.exceptions[:MAX_GROUP]
        described["exceptions"] = [_describe_exception(m, depth + 1) for m in members]
    return described


def _describe_chain(exc: BaseException) -> list[dict[str, Any]]:
    """Describe the exceptions that led to this one, nearest first.

    Each entry's ``relation`` tells how it led to the one before it in the
    list (or to the raised exception): "cause" for ``raise ... from``,
    "context" when it was being handled.
    """
    chain: list[dict[str, Any]] = []
    seen = {id(exc)}

    current = exc
    while len(chain) < MAX_CHAIN:
        relation, current = _next_link(current)
        if current is None or id(current) in seen:
            break
        seen.add(id(current))
        chain.append({"relation": relation, **_describe_exception(current)})
    return chain


def _next_link(exc: BaseException) -> tuple[str, BaseException | None]:
    """Return how an exception was caused and by what, or ("", None)."""
    if exc.__cause__ is not None:
        return "cause", exc.__cause__
    if exc.__context__ is not None and not exc.__suppress_context__:
        return "context", exc.__context__
    return "", None


def _describe_frames(tb: TracebackType | None) -> tuple[list[dict[str, Any]], int]:
    """Describe a traceback's frames, outermost first, and count those left out.

    PERF: a runaway recursion has a thousand frames; its head and tail say
    enough.
    """
    steps = list(traceback.walk_tb(tb))

    omitted = max(0, len(steps) - MAX_FRAMES)
    if omitted:
        head = MAX_FRAMES // 5
        steps = steps[:head] + steps[head + omitted :]
    return [_guard(_describe_step, step, _bare_frame(step)) for step in steps], omitted


def _describe_step(step: tuple[FrameType, int | None]) -> dict[str, Any]:
    """Describe one frame: file, line, function, source line and context."""
    frame, lineno = step
    code = frame.f_code
    lineno = lineno or 0

    lines = _source_lines(code.co_filename, frame.f_globals)
    return {
        "file": code.co_filename,
        "line": lineno,
        "function": getattr(code, "co_qualname", code.co_name),
        "source": _line_at(lines, lineno).strip(),
        "context": _context(lines, lineno),
        "kind": frame_kind(code.co_filename),
    }


def _bare_frame(step: tuple[FrameType, int | None]) -> dict[str, Any]:
    """Describe a frame by its place alone, for when reading its source fails."""
    frame, lineno = step
    code = frame.f_code
    return {
        "file": code.co_filename,
        "line": lineno or 0,
        "function": code.co_name,
        "source": "",
        "context": [],
        "kind": "app",
    }


def _source_lines(filename: str, module_globals: dict[str, Any]) -> list[str]:
    """Return the source lines of a file, asking its module's loader if needed."""
    linecache.lazycache(filename, module_globals)
    return linecache.getlines(filename)


def _line_at(lines: list[str], lineno: int) -> str:
    """Return one source line (1-based) without its line ending, or ""."""
    if 1 <= lineno <= len(lines):
        return safe_text(lines[lineno - 1].rstrip("\r\n"), 500)
    return ""


def _context(lines: list[str], lineno: int) -> list[dict[str, Any]]:
    """Return the numbered source lines around a line."""
    first = max(1, lineno - CONTEXT_LINES)
    last = min(len(lines), lineno + CONTEXT_LINES)
    return [{"line": n, "text": _line_at(lines, n)} for n in range(first, last + 1)]


def _describe_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Return the request headers by their usual names, secrets masked."""
    headers = {}
    for key in sorted(environ):
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        name = name.replace("_", "-").title()
        headers[name] = MASK if is_secret_name(name) else safe_text(environ[key])

    return headers


def _wsgi_text(value: Any) -> str:
    """Turn a WSGI native string back into the UTF-8 text the client sent."""
    text = safe_text(value)
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _describe_layers(layers: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """Return the layer stack as a list of name and folder pairs."""
    described = []
    for layer in layers:
        try:
            name, folder = layer
        except (TypeError, ValueError):
            name, folder = layer, ""
        described.append({"name": safe_text(name), "folder": safe_text(folder)})

    return described
