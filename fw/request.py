"""The request, read from the WSGI environ on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

from . import environment
from .exceptions import BadRequest

MAX_BODY = 16 * 1024 * 1024
MAX_PARTS = 1000


Value = TypeVar("Value")


class cached_property(Generic[Value]):
    """Compute an attribute on first use and keep it in the instance.

    PERF: functools.cached_property takes a lock on every first use in
    Python 3.11; a request belongs to one thread, so it needs none.
    """

    def __init__(self, compute: Callable[[Any], Value]) -> None:
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


class UploadedFile:
    """A file sent in a multipart form."""

    def __init__(self, filename: str, content_type: str, data: bytes) -> None:
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


class Request:
    """Read one request's method, path, headers, query, cookies and body."""

    #: The proxies whose X-Forwarded-* headers are believed.
    trusted_proxies: tuple[str, ...] = ()
    #: The largest body read, in bytes.
    max_body: int = MAX_BODY

    def __init__(
        self,
        environ: dict[str, Any],
        trusted_proxies: tuple[str, ...] = (),
        *,
        max_body: int = MAX_BODY,
    ) -> None:
        self.environ = environ
        #: The HTTP method as sent (methods are case-sensitive: GET, POST).
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        # PERF: the usual values stay on the class, not in every request.
        if trusted_proxies:
            self.trusted_proxies = trusted_proxies
        if max_body != MAX_BODY:
            self.max_body = max_body

    @cached_property
    def path(self) -> str:
        """Return the path as text: WSGI's latin-1 bytes read back as UTF-8."""
        raw = self.environ.get("PATH_INFO", "") or "/"
        if raw.isascii():
            return raw
        try:
            return raw.encode("latin-1").decode("utf-8")
        except UnicodeError:
            raise BadRequest("The request path is not valid UTF-8.") from None

    @property
    def query_string(self) -> str:
        """Return the raw query string."""
        return self.environ.get("QUERY_STRING", "")

    @cached_property
    def query(self) -> dict[str, str]:
        """Return the query's values, the last one where a name repeats."""
        return dict(self.query_pairs)

    @cached_property
    def query_pairs(self) -> list[tuple[str, str]]:
        """Return every name and value of the query, in order."""
        return _parse_pairs(self.query_string)

    @cached_property
    def headers(self) -> dict[str, str]:
        """Return the request headers, keyed by lower-case name."""
        found = {
            key[5:].replace("_", "-").lower(): value
            for key, value in self.environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if self.environ.get(key):
                found[key.replace("_", "-").lower()] = self.environ[key]
        return found

    @cached_property
    def cookies(self) -> dict[str, str]:
        """Return the cookies the client sent; a malformed header gives none."""
        header = self.environ.get("HTTP_COOKIE")
        if not header:
            return {}
        from http.cookies import CookieError, SimpleCookie

        jar = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    @cached_property
    def host(self) -> str | None:
        """Return the host name asked for, lowercased, or None when malformed."""
        return environment.host_name(self.environ)

    @property
    def scheme(self) -> str:
        """Return "http" or "https"."""
        return self.environ.get("wsgi.url_scheme", "http")

    @cached_property
    def remote_addr(self) -> str:
        """Return the client's address, as a trusted proxy forwarded it."""
        return environment.client_address(self.environ, self.trusted_proxies)

    @cached_property
    def public_origin(self) -> tuple[str, str]:
        """Return (scheme, host[:port]) as the client addressed this site.

        Behind a trusted proxy, X-Forwarded-Proto and X-Forwarded-Host say
        it; from anyone else those headers are ignored.
        """
        environ = self.environ
        scheme, host = self.scheme, environ.get("HTTP_HOST") or ""
        if environment.from_trusted_proxy(environ, self.trusted_proxies):
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
            forwarded = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
            scheme = proto.lower() if proto.lower() in ("http", "https") else scheme
            host = forwarded or host
        return scheme, host

    @property
    def is_ajax(self) -> bool:
        """Say whether the request came from a script (X-Requested-With)."""
        requested_with = self.environ.get("HTTP_X_REQUESTED_WITH", "")
        return requested_with.lower() == "xmlhttprequest"

    @cached_property
    def is_local(self) -> bool:
        """Say whether the request comes from this machine, for this machine."""
        return environment.is_local_request(self.environ, self.trusted_proxies)

    @cached_property
    def body(self) -> bytes:
        """Return the request body, refusing one larger than the limit."""
        length = self._content_length()
        if length > self.max_body:
            raise BadRequest(f"The request body is larger than {self.max_body} bytes.")
        stream = self.environ.get("wsgi.input")
        return stream.read(length) if stream is not None and length else b""

    def _content_length(self) -> int:
        raw = self.environ.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            raise BadRequest(f"The Content-Length {raw!r} is not a number.") from None
        if length < 0:
            raise BadRequest("The Content-Length is negative.")
        return length

    @cached_property
    def form(self) -> dict[str, str]:
        """Return the posted form's fields (url-encoded or multipart)."""
        return self._parsed_form[0]

    @cached_property
    def files(self) -> dict[str, UploadedFile]:
        """Return the files of a multipart form, by field name."""
        return self._parsed_form[1]

    @cached_property
    def _parsed_form(self) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        content_type = self.environ.get("CONTENT_TYPE", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            return dict(_parse_pairs(self._text_body())), {}
        if content_type.startswith("multipart/form-data"):
            return _parse_multipart(self.environ["CONTENT_TYPE"], self.body)
        return {}, {}

    def _text_body(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The form is not valid UTF-8.") from None

    def json(self) -> Any:
        """Return the body parsed as JSON; BadRequest when it is not JSON."""
        import json

        try:
            return json.loads(self._text_body() or "null")
        except ValueError:
            raise BadRequest("The request body is not valid JSON.") from None


def _parse_pairs(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=1000)
    except ValueError:
        raise BadRequest("The query or form has too many fields.") from None


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    from email.parser import BytesParser
    from email.policy import HTTP

    if body.count(b"\r\n--") > MAX_PARTS:
        raise BadRequest(f"The form has more than {MAX_PARTS} parts.")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head.encode("latin-1") + body)
    if not message.is_multipart():
        raise BadRequest("The multipart form could not be read.")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        _take_part(part, fields, files)
    return fields, files


def _take_part(part: Any, fields: dict, files: dict) -> None:
    name = part.get_param("name", header="content-disposition")
    if not name:
        return
    data = part.get_payload(decode=True) or b""
    filename = part.get_filename()
    if filename is not None:
        files[name] = UploadedFile(filename, part.get_content_type(), data)
        return
    charset = part.get_content_charset() or "utf-8"
    try:
        fields[name] = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        raise BadRequest(f"The form field {name!r} is not valid text.") from None
