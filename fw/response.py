"""The response: status and headers held until the first body chunk goes out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from http import HTTPStatus
from http.cookies import SimpleCookie

from .exceptions import HeadersSentError


def status_line(status: int) -> str:
    """Return the WSGI status line for a code, such as "404 Not Found"."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class Response:
    """Status and headers a presenter may change until the body starts."""

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
        return next((v for k, v in self._headers if k.lower() == wanted), None)

    def set_header(self, name: str, value: str) -> None:
        """Set a header, replacing any value it had."""
        self.delete_header(name)
        self.add_header(name, value)

    def add_header(self, name: str, value: str) -> None:
        """Add a header, keeping values it already had (Set-Cookie, Link)."""
        self._check_open(f"the header {name}")
        _check_header(name, str(value))
        self._headers.append((name, str(value)))

    def delete_header(self, name: str) -> None:
        """Remove every value of a header."""
        self._check_open(f"the header {name}")
        wanted = name.lower()
        self._headers = [(k, v) for k, v in self._headers if k.lower() != wanted]

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

    def start(self) -> tuple[str, list[tuple[str, str]]]:
        """Close status and headers for changes; return them for start_response."""
        self.sent = True
        return status_line(self._status), list(self._headers)

    def _check_open(self, what: str) -> None:
        if self.sent:
            raise HeadersSentError(
                f"Cannot change {what}: the response body has started, so status "
                "and headers were sent. Set them before the first chunk."
            )


def _check_header(name: str, value: str) -> None:
    if not name or any(c in name for c in ":\r\n ") or not name.isascii():
        raise ValueError(f"{name!r} is not a valid header name.")
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"The value of header {name} holds a line break or NUL.")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"The value of header {name} holds characters HTTP headers cannot "
            "carry; percent-encode it (urllib.parse.quote) or use ASCII."
        ) from None


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
