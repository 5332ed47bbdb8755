"""The access step of a request: session, user, access list, CSRF.

Routing asks this module before any presenter runs. The session is loaded
from its cookie only when something reads it; the user comes from the
session's user key; the access list decides on the resolved presenter's
name. A denied anonymous visitor is sent to the login page with a safe
``next``; a denied user gets 403. Every state-changing request must carry
the session's CSRF token and come from this site's origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from . import csrf
from .exceptions import AuthError, Forbidden, Redirect
from .redirects import local_path
from .sessions import COOKIE, Session, SessionStore

if TYPE_CHECKING:
    from .context import Context
    from .routing import Route

LOGIN = "/login"
LOGIN_PRESENTER = "login"
_PATH_KEPT = "/!$&'()*+,;=:@~"
# NOTE: a WSGI environ key, which no HTTP client can set; fw.testing's
# Client(csrf_checks=False) sets it, as Django's test client does.
CSRF_EXEMPT = "fw.csrf_exempt"
USER_KEY = "user"


def authorize(context: Context, route: Route) -> None:
    """Let the request through, or raise Redirect (to log in) or Forbidden."""
    access = context.app.access_list(context.stack)
    if access.allows(route.name, context.services):
        return
    if context.service("user") is None and route.name != LOGIN_PRESENTER:
        raise Redirect(login_url(context))
    raise Forbidden("Your account may not open this page.")


def login_url(context: Context) -> str:
    """Return the login page's URL, with the requested page as a safe ``next``."""
    request = context.request
    path = quote(request.path, safe=_PATH_KEPT)
    wanted = path + (f"?{request.query_string}" if request.query_string else "")
    return f"{LOGIN}?{urlencode({'next': local_path(wanted)})}"


def check_csrf(context: Context) -> None:
    """Refuse a state-changing request without the session's token (403)."""
    request = context.request
    if request.method in csrf.SAFE_METHODS or request.environ.get(CSRF_EXEMPT):
        return
    scheme, host = request.public_origin
    session = context.service("session")
    csrf.check(request, session, host=host or None, scheme=scheme)


def store(context: Context) -> SessionStore:
    """Return a session store over this thread's database connection."""
    return SessionStore(context.app.database(context.stack))


def load_session(context: Context) -> Session:
    """Return the request's session (a fresh one when the cookie names none)."""
    cookie = context.request.cookies.get(COOKIE)
    if not cookie:
        return Session()
    return store(context).load(cookie)


def finish_session(context: Context) -> None:
    """Save the session, if the request read it, and set or clear its cookie."""
    session = context.loaded_service("session")
    if session is not None and not session.is_blank:
        store(context).finish(
            session, context.response, production=context.app.production
        )


def current_user(context: Context) -> Any:
    """Return the logged-in user, or None; anonymous visitors cost no query."""
    cookie = context.request.cookies.get(COOKIE)
    if not cookie:
        return None
    key = context.service("session").get(USER_KEY)
    if key is None:
        return None
    return context.service("auth").load(key)


def log_in(context: Context, user: Any) -> None:
    """Start a logged-in session for ``user``, under a new session id."""
    session = context.service("session")
    store(context).rotate(session)
    session[USER_KEY] = user.key
    context.forget_service("user")


def log_out(context: Context) -> None:
    """End the session's login; the next request gets a new session id."""
    session = context.service("session")
    store(context).rotate(session)
    session.clear()
    context.forget_service("user")


def reachable(context: Context) -> list[dict[str, Any]]:
    """Return the pages the visitor may open, with each one's menu metadata.

    Pages with a ``[parameter]`` in their name are left out: a menu cannot
    link to them without a value.
    """
    from .routing import list_presenters, metadata

    finder = context.finder
    pages = [
        (url, name) for url, name, _ in list_presenters(finder) if "[" not in name
    ]
    allowed = set(
        context.app.access_list(context.stack).reachable(
            [name for _, name in pages], context.services
        )
    )
    return [
        {"url": url, "name": name, "menu": metadata(finder, f"presenters/{name}").get(
            "menu", {}
        )}
        for url, name in pages
        if name in allowed
    ]


def explain(
    app: Any, login: str, presenter: str, *, host: str | None = None
) -> tuple[bool, str]:
    """Say whether the user ``login`` ("-": anonymous) may open ``presenter``.

    The services are this moment's (the clock is now), as for a request to
    ``host``; the text names the section that allowed it, or why none did.
    """
    from .context import Context
    from .request import Request
    from .testing import build_environ

    stack = app.layers.for_host(host) if host else app.layers.without_host()
    request = Request(build_environ("GET", "/", host=host or "localhost"))
    context = Context(app, request, stack)
    context.provide("user", None if login == "-" else _user(app, login))
    access = app.access_list(stack)
    decision = access.decide(presenter, context.services)
    return decision.allowed, access.explain(presenter, context.services)


def _user(app: Any, login: str) -> Any:
    user = app.authenticator().find_user(login)
    if user is None:
        raise AuthError(f"No user has the login {login!r}.")
    return user
