"""Choose the visitor's language: the session's, else the browser's, else the default.

The browser says what it prefers in the Accept-Language header
(``es-MX,es;q=0.9,en;q=0.5``). Whatever the header holds, reading it never
fails: what cannot be read is left out, and a header that cannot be read at
all leaves the choice to the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MAX_HEADER = 4096
MAX_RANGES = 64

_RANGE = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*", re.ASCII)
_QUALITY = re.compile(r"q\s*=\s*(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.ASCII)
_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*", re.ASCII)


def choose(
    session_value: Any,
    accept_language: Any,
    available: Iterable[str],
    *,
    default: str,
) -> str:
    """Return the language to answer in, as ``available`` spells it.

    The session's value wins when it is available; else the best match of
    the Accept-Language header (by q-value, then order; ``es-MX`` matches
    ``es``, and ``en`` matches ``en-GB``); else ``default``. Give
    ``available`` as a list: among equally good matches the first wins.
    """
    tags = [tag for tag in available if isinstance(tag, str) and _TAG.fullmatch(tag)]

    chosen = match_tag(session_value, tags)
    if chosen is not None:
        return chosen

    ranges = parse_accept_language(accept_language)
    return _negotiate(ranges, tags, default) or default


def match_tag(value: Any, available: Iterable[str]) -> str | None:
    """Return the tag of ``available`` that ``value`` names, ignoring case, or None.

    Use it to check a language the visitor picked before keeping it in the
    session.
    """
    if not isinstance(value, str):
        return None
    wanted = value.strip().replace("_", "-").lower()
    return next((tag for tag in available if _key(tag) == wanted), None)


def parse_accept_language(header: Any) -> list[tuple[str, float]]:
    """Return the (range, q) pairs of an Accept-Language header, preferred first.

    Ranges are lower-cased; ties keep the header's order; ranges with q=0
    (refused) come last. A malformed range or q-value drops only its own
    entry; a header that is not text or is too long yields [].
    """
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    if not isinstance(header, str) or len(header) > MAX_HEADER:
        return []

    entries = (_entry(item) for item in header.split(",")[:MAX_RANGES])
    ranges = [entry for entry in entries if entry is not None]
    return sorted(ranges, key=lambda entry: -entry[1])


def _entry(item: str) -> tuple[str, float] | None:
    name, *parameters = (part.strip() for part in item.split(";"))
    name = name.lower()
    if _RANGE.fullmatch(name) is None:
        return None

    quality = 1.0
    for parameter in parameters:
        if not parameter.lower().startswith("q"):
            continue
        match = _QUALITY.fullmatch(parameter.lower())
        if match is None:
            return None
        quality = float(match[1])
    return name, quality


def _negotiate(
    ranges: list[tuple[str, float]], tags: list[str], default: str
) -> str | None:
    refused = [name for name, quality in ranges if quality == 0 and name != "*"]
    allowed = [tag for tag in tags if not any(_covers(name, tag) for name in refused)]

    for name, quality in ranges:
        if quality == 0:
            break
        found = _wildcard(allowed, default) if name == "*" else _match(name, allowed)
        if found is not None:
            return found
    return None


def _match(name: str, tags: list[str]) -> str | None:
    """Return the tag for one range: exact, then by shorter prefixes (es-MX, es)."""
    parts = name.split("-")
    for length in range(len(parts), 0, -1):
        prefix = "-".join(parts[:length])
        exact = next((tag for tag in tags if _key(tag) == prefix), None)
        if exact is not None:
            return exact
        longer = next((tag for tag in tags if _covers(prefix, tag)), None)
        if longer is not None:
            return longer
    return None


def _wildcard(tags: list[str], default: str) -> str | None:
    preferred = match_tag(default, tags)
    if preferred is not None:
        return preferred
    return tags[0] if tags else None


def _covers(name: str, tag: str) -> bool:
    """Say whether the range ``name`` covers ``tag`` (es covers es and es-MX)."""
    key = _key(tag)
    return key == name or key.startswith(name + "-")


def _key(tag: str) -> str:
    return tag.replace("_", "-").lower()
