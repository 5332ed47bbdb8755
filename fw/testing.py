"""A test client that calls a WSGI application in-process.

    client = Client(fw.application("myapp"))
    page = client.get("/products/42", headers={"Accept-Language": "es"})
    assert page.status == 200 and "Sofa" in page.text

Each request can choose the peer address, the Host and any header, which
is what error control, the Host white list and access rules depend on.
The client keeps the cookies it is given, as a browser does, so a login
holds for the next requests. CSRF checks apply as for a browser: post
``{"csrf_token": client.form_token("/page/with/form")}`` with a form, or
make the client with ``csrf_checks=False`` where CSRF is not the point.
With ``validate=True`` every exchange also passes through
wsgiref.validate, which fails on anything that breaks PEP 3333.
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from http.cookies import SimpleCookie
from urllib.parse import unquote_to_bytes, urlencode
from wsgiref.validate import validator

WSGIApp = Callable[..., Any]

# NOTE: the same key as fw.guard.CSRF_EXEMPT, spelled out so that importing
# the test client does not import the framework's request path.
CSRF_EXEMPT = "fw.csrf_exempt"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')


class TestResponse:
    """What the application answered: status, headers and the whole body."""

    __test__ = False

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status_line = status
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """Return the first value of a header, or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_line} {len(self.body)} bytes>"


class Client:
    """Send requests to a WSGI application without a server."""

    __test__ = False

    def __init__(
        self,
        app: WSGIApp,
        *,
        host: str = "localhost",
        remote_addr: str = "127.0.0.1",
        validate: bool = True,
        csrf_checks: bool = True,
    ) -> None:
        self.app = validator(app) if validate else app
        self.host = host
        self.remote_addr = remote_addr
        self.csrf_checks = csrf_checks
        self.cookies: dict[str, str] = {}

    def form_token(self, path: str, **options: Any) -> str:
        """GET a page and return the CSRF token of its form, as a browser has it."""
        page = self.get(path, **options)
        found = _TOKEN.search(page.text)
        if found is None:
            raise AssertionError(f"{path} ({page.status}) has no csrf_token field.")
        return html.unescape(found.group(1))

    def get(self, path: str, **options: Any) -> TestResponse:
        """Send a GET request."""
        return self.request("GET", path, **options)

    def head(self, path: str, **options: Any) -> TestResponse:
        """Send a HEAD request."""
        return self.request("HEAD", path, **options)

    def post(self, path: str, **options: Any) -> TestResponse:
        """Send a POST request; ``data`` is a form (a mapping) or raw bytes."""
        return self.request("POST", path, **options)

    def request(self, method: str, path: str, **options: Any) -> TestResponse:
        """Send one request and collect the whole answer."""
        started, chunks = self.open(method, path, **options)
        try:
            body = b"".join(chunks)
        finally:
            _close(chunks)
        self._keep_cookies(started[1])
        return TestResponse(started[0], started[1], body)

    def _keep_cookies(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() != "set-cookie":
                continue
            jar = SimpleCookie()
            jar.load(value)
            for key, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value

    def stream(self, method: str, path: str, **options: Any) -> tuple[list, Iterator]:
        """Start a request and return (started, chunks) without reading the body.

        ``started`` is empty until the application starts its response, and
        then holds the status line and the headers.
        """
        started, chunks = self.open(method, path, **options)
        return started, iter(chunks)

    def open(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        host: str | None = None,
        remote_addr: str | None = None,
        data: Mapping[str, str] | bytes | None = None,
        query: Mapping[str, str] | None = None,
        scheme: str = "http",
    ) -> tuple[list, Any]:
        """Call the application; return (status, headers) once started, and the body."""
        headers = dict(headers or {})
        if self.cookies and not any(k.lower() == "cookie" for k in headers):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        environ = build_environ(
            method,
            path,
            headers=headers,
            host=host or self.host,
            remote_addr=remote_addr or self.remote_addr,
            data=data,
            query=query,
            scheme=scheme,
        )
        if not self.csrf_checks:
            environ[CSRF_EXEMPT] = True
        started: list[Any] = []

        def start_response(line: str, pairs: list, exc_info: Any = None) -> Any:
            started[:] = [line, pairs]
            return lambda data: None

        return started, self.app(environ, start_response)


def build_environ(
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    host: str = "localhost",
    remote_addr: str = "127.0.0.1",
    data: Mapping[str, str] | bytes | None = None,
    query: Mapping[str, str] | None = None,
    scheme: str = "http",
) -> dict[str, Any]:
    """Return a WSGI environ for one request, as a server would build it.

    As servers do, the path is percent-decoded into PATH_INFO (as latin-1
    text holding the bytes, per PEP 3333).
    """
    raw_path, _, raw_query = path.partition("?")
    body, content_type = _encode_body(data)
    query_string = raw_query or (urlencode(query) if query else "")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query_string,
        "SERVER_NAME": host.split(":")[0] or "localhost",
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr,
        "HTTP_HOST": host,
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


def _encode_body(data: Mapping[str, str] | bytes | None) -> tuple[bytes, str]:
    if data is None:
        return b"", ""
    if isinstance(data, bytes):
        return data, "application/octet-stream"
    return urlencode(data).encode(), "application/x-www-form-urlencoded"


def _close(chunks: Any) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
