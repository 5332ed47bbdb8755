"""Redirect targets that stay on this site."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

_UNSAFE = set("\\\x00\r\n\t")
# NOTE: what a URL may hold as it is; everything else (spaces, non-ASCII)
# is percent-encoded, so the result can go into a Location header.
_KEPT = "/?#[]@!$&'()*+,;=%:~"


def local_path(value: str | None, default: str = "/") -> str:
    """Return ``value``, percent-encoded, when it is a path on this site.

    Anything else gives ``default``.

    Only an absolute path is accepted: no scheme, no host, no ``//`` or
    ``/\\`` that browsers read as another host, no control characters,
    before or after percent-decoding.
    """
    if not value or not isinstance(value, str):
        return default
    for text in (value, unquote(value)):
        if not _is_local(text):
            return default
    return quote(value, safe=_KEPT)


def _is_local(text: str) -> bool:
    if not text.startswith("/") or text.startswith(("//", "/\\")):
        return False
    if any(char in _UNSAFE or ord(char) < 32 or ord(char) == 127 for char in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc
