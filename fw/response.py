"""The response: status and headers held until the first body chunk goes out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from http import HTTPStatus

from .exceptions import HeadersSentError

_STATUS_LINES = {code.value: f"{code.value} {code.phrase}" for code in HTTPStatus}
# PERF: header names fw and presenters set again and again, checked once.
_CHECKED_NAMES: set[str] = set()
_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def status_line(status: int) -> str:
    """Return the WSGI status line for a code, such as "404 Not Found"."""
    return _STATUS_LINES.get(status) or f"{status} Unknown"


class Response:
    """Status and headers a presenter may change until the body starts."""

    __slots__ = ("_status", "_headers", "sent")

    def __init__(self, status: int = 200) -> None:
        self._status = status
        self._headers: list[tuple[str, str]] = []
        self.sent = False

    @property
    def status(self) -> int:
        """Return the status code."""
        return self._status

    @status.setter
    def status(self, value: int) -> None:
        self._check_open("status")
        if not isinstance(value, int) or not 100 <= value <= 599:
            raise ValueError(f"A status must be a code from 100 to 599, not {value!r}.")
        self._status = value

    @property
    def headers(self) -> list[tuple[str, str]]:
        """Return a copy of the headers as (name, value) pairs."""
        return list(self._headers)

    def get_header(self, name: str) -> str | None:
        """Return the first value of a header, or None."""
        wanted = name.lower()
        for key, value in self._headers:
            if key.lower() == wanted:
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        """Set a header, replacing any value it had."""
        if self.sent:
            self._check_open(f"the header {name}")
        # PERF: a known name with printable ASCII text needs no other check.
        plain = type(value) is str and value.isascii() and value.isprintable()
        if not (plain and name in _CHECKED_NAMES):
            value = _checked_header(name, value)
        wanted, headers = name.lower(), self._headers

        for index, (key, _) in enumerate(headers):
            if key.lower() == wanted:
                headers[index] = (name, value)
                later = headers[index + 1:]
                if later:
                    headers[index + 1:] = [h for h in later if h[0].lower() != wanted]
                return
        headers.append((name, value))

    def add_header(self, name: str, value: str) -> None:
        """Add a header, keeping values it already had (Set-Cookie, Link)."""
        if self.sent:
            self._check_open(f"the header {name}")
        self._headers.append((name, _checked_header(name, value)))

    def delete_header(self, name: str) -> None:
        """Remove every value of a header."""
        self._check_open(f"the header {name}")
        wanted = name.lower()
        kept = [(key, value) for key, value in self._headers if key.lower() != wanted]
        if len(kept) != len(self._headers):
            self._headers = kept

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        max_age: int | None = None,
        path: str = "/",
        secure: bool = False,
        http_only: bool = True,
        same_site: str = "Lax",
    ) -> None:
        """Add a Set-Cookie header; HttpOnly and SameSite=Lax unless told otherwise."""
        from http.cookies import SimpleCookie

        jar = SimpleCookie()
        jar[name] = value
        morsel = jar[name]
        morsel["path"] = path
        morsel["samesite"] = same_site
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        morsel["httponly"] = http_only
        morsel["secure"] = secure
        self.add_header("Set-Cookie", morsel.OutputString())

    def update(self, other: Response) -> None:
        """Take another response's status and headers (a route's defaults).

        A header set on both keeps the other's values only.
        """
        if self.sent:
            self._check_open("status")
        self._status = other._status
        if not self._headers:
            self._headers = other._headers.copy()
            return
        for name in {name for name, _ in other._headers}:
            self.delete_header(name)
        self._headers.extend(other._headers)

    def start(
        self, content_length: int | None = None
    ) -> tuple[str, list[tuple[str, str]]]:
        """Close status and headers for changes; return them for start_response.

        ``content_length``, the size of a complete body, is sent as the
        Content-Length, unless one is set or the status has no body.
        """
        # NOTE: once sent, the headers cannot change, so they go out as they are.
        self.sent = True
        return self._start(self._headers, content_length)

    def start_copy(
        self, content_length: int | None = None
    ) -> tuple[str, list[tuple[str, str]]]:
        """Return what ``start`` would, leaving this response open and unchanged.

        A route's status and headers, shared by its requests, are sent so.
        """
        return self._start(self._headers.copy(), content_length)

    def _start(
        self, headers: list[tuple[str, str]], content_length: int | None
    ) -> tuple[str, list[tuple[str, str]]]:
        status = self._status
        if content_length is not None and status != 204 and status != 304:
            for name, _ in headers:
                if name.lower() == "content-length":
                    break
            else:
                headers.append(("Content-Length", str(content_length)))
        return _STATUS_LINES.get(status) or status_line(status), headers

    def _check_open(self, what: str) -> None:
        if self.sent:
            raise HeadersSentError(
                f"Cannot change {what}: the response body has started, so status "
                "and headers were sent. Set them before the first chunk."
            )


def _checked_header(name: str, value: str) -> str:
    """Return a header's value as text, refusing what HTTP cannot carry."""
    if name not in _CHECKED_NAMES:
        _check_name(name)
    if type(value) is not str:
        value = str(value)
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"The value of header {name} holds a line break or NUL.")
    if value.isascii():
        return value
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"The value of header {name} holds characters HTTP headers cannot "
            "carry; percent-encode it (urllib.parse.quote) or use ASCII."
        ) from None
    return value


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid header name.")
    if len(_CHECKED_NAMES) < 1024:
        _CHECKED_NAMES.add(name)


def encode_chunks(
    chunks: Iterable[str | bytes], encoding: str = "utf-8"
) -> Iterator[bytes]:
    """Yield body chunks as bytes, skipping empty ones; refuse anything else."""
    for chunk in chunks:
        if isinstance(chunk, str):
            data = chunk.encode(encoding)
        elif isinstance(chunk, (bytes, bytearray, memoryview)):
            data = bytes(chunk)
        else:
            raise TypeError(
                f"A body chunk must be str or bytes, not {type(chunk).__name__}."
            )
        if data:
            yield data
