"""Cross-site request forgery: a per-session token and an Origin check.

Every request that may change state (any method but GET, HEAD, OPTIONS and
TRACE) must carry the session's token, in the form field ``csrf_token`` or
the header ``X-CSRF-Token``, and must not come from another origin: the
``Origin`` header, or the ``Referer`` when there is no Origin, has to name
the request's own scheme, host and port. Anything else ends in 403 with a
message the visitor can act on. See docs/sessions.md.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .exceptions import Forbidden

if TYPE_CHECKING:
    from .request import Request
    from .templates.markup import Markup

log = logging.getLogger(__name__)

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
KEY = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}

_RELOAD = "Please reload the page and try again."


def token(session: MutableMapping[str, Any]) -> str:
    """Return the session's CSRF token, creating it on first use."""
    found = session.get(KEY)
    if isinstance(found, str) and found:
        return found

    import secrets

    made = secrets.token_urlsafe(32)
    session[KEY] = made
    return made


def field(session: MutableMapping[str, Any]) -> Markup:
    """Return the hidden form field that carries the token, as safe HTML."""
    from .templates.markup import Markup, escape_text

    value = escape_text(token(session))
    return Markup(f'<input type="hidden" name="{FIELD}" value="{value}">')


def check(
    request: Request,
    session: MutableMapping[str, Any],
    *,
    host: str | None = None,
    scheme: str | None = None,
) -> None:
    """Refuse a state-changing request from another origin or without the token.

    ``host`` is the host and port the client addressed ("example.com:8443")
    and ``scheme`` its scheme; by default the request's Host header and
    WSGI scheme (behind a trusted proxy, fw passes what the proxy says).
    Safe methods always pass.
    """
    if request.method in SAFE_METHODS:
        return

    _check_origin(request, host or _request_host(request), scheme or request.scheme)
    _check_token(request, session)


def _check_origin(request: Request, host: str, scheme: str) -> None:
    headers = request.headers
    claimed = headers.get("origin") or None
    which = "Origin"
    if claimed is None and headers.get("referer"):
        claimed, which = headers["referer"], "Referer"
    if claimed is None:
        return

    expected = _origin(f"{scheme}://{host}")
    actual = _origin(claimed)
    if actual is None or actual != expected:
        log.warning("CSRF check refused %s %r for %s.", which, claimed, host)
        raise Forbidden(
            "This request came from another site, so it was not carried out. "
            f"If you sent it yourself, open this site directly. {_RELOAD}"
        )


def _check_token(request: Request, session: MutableMapping[str, Any]) -> None:
    import hmac

    sent = request.form.get(FIELD) or request.headers.get(HEADER.lower()) or ""
    expected = session.get(KEY)
    if not sent:
        raise Forbidden(
            "This form could not be accepted because its security token is "
            f"missing. {_RELOAD}"
        )
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8")
    ):
        raise Forbidden(
            "This form could not be accepted because its security token is out "
            f"of date (your session may have ended). {_RELOAD}"
        )


def _origin(url: str) -> tuple[str, str, int] | None:
    """Return (scheme, host, port) of a URL, or None when it names no origin.

    "null", which browsers send for opaque origins, names none.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None

    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.rstrip("."), port or DEFAULT_PORTS[scheme]


def _request_host(request: Request) -> str:
    environ = request.environ
    if environ.get("HTTP_HOST"):
        return environ["HTTP_HOST"]
    return f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
