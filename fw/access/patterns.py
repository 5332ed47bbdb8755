"""Presenter patterns: which resolved presenter names a section covers.

Presenter names are the names routing resolves (``index``, ``staff/index``,
``products/[id]``, ``css/site.css``), made of segments joined by ``/``. A
pattern is such a name in which two things are special:

- ``*`` matches any run of characters within one segment (never a ``/``);
- ``**``, as a whole segment, matches any number of segments, none included.

Everything else is literal, brackets too: ``products/[id]`` matches the
presenter file ``products/[id].py`` and nothing else. (fnmatch would read
``[id]`` as a character class matching ``products/i`` or ``products/d``.)
"""

from __future__ import annotations

import re

from ..plain import Plain

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


class PatternError(ValueError):
    """A presenter pattern is malformed; the message says how to fix it."""


class Pattern(Plain):
    """One presenter name or pattern, checked and compiled once; never changed."""

    __slots__ = ("text", "_regex")
    fields = ("text",)

    def __init__(self, text: str, _regex: re.Pattern[str] | None = None) -> None:
        self.text = text
        self._regex = _regex

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """Return ``text`` checked and compiled; raise PatternError when malformed."""
        segments = _segments(text)

        if not any("*" in segment for segment in segments):
            return cls(text)
        return cls(text, re.compile(_regex_of(_collapsed(segments))))

    @property
    def exact(self) -> bool:
        """Return True when the pattern is a plain name without wildcards."""
        return self._regex is None

    def matches(self, presenter: str) -> bool:
        """Return True when ``presenter`` is the name or matches the pattern."""
        if self._regex is None:
            return presenter == self.text
        return self._regex.fullmatch(presenter) is not None


def _segments(text: object) -> list[str]:
    if not isinstance(text, str) or not text:
        raise PatternError(
            f"A presenter pattern must be non-empty text, not {text!r}; write a "
            "presenter name such as 'staff/index' or a pattern such as 'staff/*'."
        )
    if text.startswith("/") or text.endswith("/"):
        raise PatternError(
            f"The presenter pattern {text!r} starts or ends with '/'; presenter "
            f"names have none there, so write {text.strip('/')!r}."
        )
    if _FORBIDDEN.search(text):
        raise PatternError(
            f"The presenter pattern {text!r} holds a backslash or a control "
            "character; presenter names are '/'-separated and have neither."
        )

    segments = text.split("/")
    for segment in segments:
        _check_segment(text, segment)
    return segments


def _check_segment(text: str, segment: str) -> None:
    if segment in ("", ".", ".."):
        raise PatternError(
            f"The presenter pattern {text!r} has an empty, '.' or '..' part; "
            "resolved presenter names never do, so remove it."
        )
    if "**" in segment and segment != "**":
        raise PatternError(
            f"The presenter pattern {text!r} uses '**' inside the part "
            f"{segment!r}; '**' must be a whole part (as in 'staff/**'), and '*' "
            "matches within one part."
        )


def _collapsed(segments: list[str]) -> list[str]:
    """Return ``segments`` with runs of ``**`` made one: they match the same."""
    kept: list[str] = []
    for segment in segments:
        if not (segment == "**" and kept[-1:] == ["**"]):
            kept.append(segment)
    return kept


def _regex_of(segments: list[str]) -> str:
    parts = []
    for index, segment in enumerate(segments):
        glued = index == 0 or segments[index - 1] == "**"
        separator = "" if glued else "/"
        last = index == len(segments) - 1

        if segment != "**":
            parts.append(separator + _segment_regex(segment))
        elif last:
            # NOTE: a trailing '**' also matches nothing: 'staff/**' is 'staff' too.
            parts.append("(?:/.+)?" if separator else ".+")
        else:
            parts.append(separator + "(?:[^/]+/)*")
    return "".join(parts)


def _segment_regex(segment: str) -> str:
    return "[^/]*".join(re.escape(piece) for piece in segment.split("*"))
