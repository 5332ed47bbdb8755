"""Split template source into text, output and tag tokens.

``{{ expr }}`` becomes an output token, ``{% tag args %}`` a tag token and
``{# comment #}`` disappears. A ``-`` just inside a delimiter (``{%-``,
``-%}``) strips the whitespace on that side. ``{% raw %}...{% endraw %}``
keeps its content as text. Quoted strings inside a tag may hold delimiters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..exceptions import TemplateError

_OPENERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_KINDS = {"{{": "output", "{%": "tag"}
_OPENING = re.compile(r"\{[{%#]")
_ENDRAW = re.compile(r"\{%(-?)\s*endraw\s*(-?)%\}")


@dataclass(frozen=True)
class Token:
    """A piece of template source and where its content starts."""

    kind: str
    value: str
    line: int
    column: int


class Source:
    """Template text with its origin, turning offsets into lines and columns."""

    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin
        self._starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of ``offset``."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def error(self, message: str, offset: int) -> TemplateError:
        """Return a TemplateError that points at ``offset``."""
        line, column = self.position(offset)
        return TemplateError(message, origin=self.origin, line=line, column=column)


def tokenize(source: Source) -> list[Token]:
    """Return the tokens of ``source``, with whitespace control applied."""
    tokens: list[Token] = []
    strip_next = False
    for token, strip_before, strip_after in _scan(source):
        if strip_before and tokens and tokens[-1].kind == "text":
            _strip_last(tokens)
        if token is not None and token.kind == "text":
            token = replace(token, value=token.value.lstrip()) if strip_next else token
            token = token if token.value else None
        if token is not None:
            tokens.append(token)
        strip_next = strip_after
    return tokens


def _strip_last(tokens: list[Token]) -> None:
    value = tokens[-1].value.rstrip()
    if value:
        tokens[-1] = replace(tokens[-1], value=value)
    else:
        tokens.pop()


def _scan(source: Source) -> Iterator[tuple[Token | None, bool, bool]]:
    text, pos = source.text, 0
    while pos < len(text):
        match = _OPENING.search(text, pos)
        if match is None:
            yield _text(source, pos, len(text)), False, False
            return
        yield _text(source, pos, match.start()), False, False
        token, strip_before, strip_after, pos = _delimited(source, match.start())
        if token is not None and token.kind == "tag" and token.value == "raw":
            yield None, strip_before, strip_after
            pos = yield from _raw(source, pos)
        else:
            yield token, strip_before, strip_after


def _text(source: Source, start: int, end: int) -> Token:
    line, column = source.position(start)
    return Token("text", source.text[start:end], line, column)


def _delimited(source: Source, start: int) -> tuple[Token | None, bool, bool, int]:
    text = source.text
    opener = text[start : start + 2]
    strip_before = text.startswith("-", start + 2)
    body = start + 2 + strip_before
    end = _find_closer(source, start, body, _OPENERS[opener])
    strip_after = end > body and text[end - 1] == "-"
    inner = text[body : end - strip_after]
    after = end + 2
    if opener == "{#":
        return None, strip_before, strip_after, after
    lead = len(inner) - len(inner.lstrip())
    line, column = source.position(body + lead)
    token = Token(_KINDS[opener], inner.strip(), line, column)
    return token, strip_before, strip_after, after


def _find_closer(source: Source, start: int, pos: int, closer: str) -> int:
    text = source.text
    quote = None
    while pos < len(text):
        char = text[pos]
        if quote is not None:
            pos += 2 if char == "\\" else 1
            quote = None if char == quote else quote
            continue
        if text.startswith(closer, pos):
            return pos
        if char in "'\"" and closer != "#}":
            quote = char
        pos += 1
    opener = text[start : start + 2]
    raise source.error(
        f"The {opener!r} opened here is never closed; add {closer!r} after it.",
        start,
    )


def _raw(source: Source, pos: int) -> Iterator[tuple[Token | None, bool, bool]]:
    match = _ENDRAW.search(source.text, pos)
    if match is None:
        raise source.error(
            "The {% raw %} block is never closed; add {% endraw %} after it.", pos
        )
    yield _text(source, pos, match.start()), False, False
    yield None, bool(match.group(1)), bool(match.group(2))
    return match.end()
