"""Text that is already safe to put into HTML, and the escaping that makes it so.

``Markup`` is a ``str`` that the template engine writes out as it is; any
other value is escaped first. Operations that combine a Markup with plain
text escape the plain text, so safe text stays safe.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

_REPLACEMENTS = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&#34;"),
    ("'", "&#39;"),
)


def escape_text(text: str) -> str:
    """Return ``text`` with the five HTML-special characters replaced."""
    # PERF: a chain of str.replace beats str.translate for short strings.
    for char, entity in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, entity)
    return text


def escape(value: Any) -> Markup:
    """Return ``value`` as Markup, escaping it unless it is already safe."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return Markup(escape_text(str(value)))


class Markup(str):
    """A string of HTML that is safe to output without escaping."""

    __slots__ = ()

    def __new__(cls, value: object = "") -> Markup:
        """Mark ``value`` (or its ``__html__`` result) as safe HTML."""
        if hasattr(value, "__html__"):
            value = value.__html__()
        return super().__new__(cls, value)

    def __html__(self) -> Markup:
        """Return the markup itself: it is already safe."""
        return self

    def __add__(self, other: str) -> Markup:
        if not isinstance(other, str):
            return NotImplemented
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Markup:
        if not isinstance(other, str):
            return NotImplemented
        return Markup(str.__add__(escape(other), self))

    def __mul__(self, count: int) -> Markup:
        return Markup(str.__mul__(self, count))

    __rmul__ = __mul__

    def __mod__(self, args: Any) -> Markup:
        if isinstance(args, tuple):
            args = tuple(escape(arg) for arg in args)
        elif isinstance(args, Mapping):
            args = {key: escape(arg) for key, arg in args.items()}
        else:
            args = escape(args)
        return Markup(str.__mod__(self, args))

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"

    def join(self, items: Iterable[Any]) -> Markup:
        """Join ``items``, escaping each one that is not already safe."""
        return Markup(str.join(self, (escape(item) for item in items)))

    def format(self, *args: Any, **kwargs: Any) -> Markup:
        """Format like ``str.format``, escaping every inserted value."""
        return Markup(_EscapingFormatter().vformat(self, args, kwargs))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if hasattr(value, "__html__") and not format_spec:
            return value.__html__()
        return escape(super().format_field(value, format_spec))
