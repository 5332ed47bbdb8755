"""The filters every template has: ``{{ name | upper }}``, ``{{ list | join(", ") }}``.

A filter is a plain function whose first argument is the value before the
bar. Filters that return Markup keep their result from being escaped again.
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode as _urlencode

from .markup import Markup, escape

_SCRIPT_SAFE = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
}


def _keep_markup(method: Callable[[str], str]) -> Callable[[Any], str]:
    """Apply a str method, keeping Markup safe."""

    def apply(value: Any) -> str:
        if isinstance(value, Markup):
            return Markup(method(value))
        return method(str(value))

    apply.__name__ = method.__name__
    apply.__doc__ = f"Return the value with str.{method.__name__} applied."
    return apply


upper = _keep_markup(str.upper)
lower = _keep_markup(str.lower)
title = _keep_markup(str.title)
trim = _keep_markup(str.strip)


def length(value: Any) -> int:
    """Return how many items (or characters) the value has."""
    return len(value)


def default(value: Any, fallback: Any = "", boolean: bool = False) -> Any:
    """Return ``fallback`` when the value is None (or falsy, with ``boolean``)."""
    if value is None or boolean and not value:
        return fallback
    return value


def join(value: Iterable[Any], separator: str = "") -> Markup:
    """Join the items with ``separator``, escaping each that is not Markup."""
    return escape(separator).join(value)


def raw(value: Any) -> Markup:
    """Mark the value as safe HTML, so it is output without escaping."""
    return Markup("" if value is None else value)


def urlencode(value: Any) -> str:
    """Quote a string for a URL, or encode a mapping or pairs as a query."""
    if isinstance(value, Mapping):
        return _urlencode(list(value.items()), doseq=True)
    if isinstance(value, (list, tuple)):
        return _urlencode(list(value), doseq=True)
    return quote(str(value), safe="/")


def json(value: Any, indent: int | None = None) -> Markup:
    """Return the value as JSON that is safe inside <script> and '-quoted attributes."""
    text = _json.dumps(value, indent=indent)
    return Markup(text.translate(_SCRIPT_SAFE))


def items(value: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Return a mapping's (key, value) pairs, for ``{% for k, v in m | items %}``."""
    return list(value.items())


BUILTIN: dict[str, Callable[..., Any]] = {
    "default": default,
    "escape": escape,
    "items": items,
    "join": join,
    "json": json,
    "length": length,
    "lower": lower,
    "raw": raw,
    "title": title,
    "trim": trim,
    "upper": upper,
    "urlencode": urlencode,
}
