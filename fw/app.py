"""The WSGI application: one request through layers, routing and presenters.

The application is thin: it builds the request's context, asks the router
for a presenter, runs it, and sends the body as the presenter makes it.
Status and headers wait for the first body chunk, so a presenter can
change them until then. Every exception ends in error control.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from . import caches, environment, errors, guard, routing
from .config import Configuration
from .context import Context
from .csrf import SAFE_METHODS
from .exceptions import ConfigError, HTTPError, Redirect
from .finder import Finder, Layer, Listings
from .layers import Layers, Stack
from .modules import ModuleCache
from .pages import status_page
from .presenters import prepare
from .request import Request
from .response import Response, encode_chunks, status_line
from .services import Services

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

# PERF: resolved targets kept in production; hosts and paths with
# parameters are unbounded, so the oldest are dropped past this many.
TARGETS_KEPT = 4096

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")

_LAST_RESORT = (
    b"<!doctype html><title>500 Internal Server Error</title>"
    b"<h1>Internal Server Error</h1><p>Something went wrong.</p>"
)


class Target(NamedTuple):
    """What a request's host and path decide, kept between requests."""

    stack: Stack
    route: routing.Route
    open: bool


class _ThreadState(threading.local):
    """What each thread keeps: connections are not shared between threads."""

    def __init__(self) -> None:
        self.databases: dict[Any, Any] = {}  # NOTE: by configured URL
        self.databases_by_stack: dict[tuple[str, ...], Any] = {}
        self.records: dict[tuple[str, ...], Any] = {}


class Application:
    """A WSGI callable serving the application folder at ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not (self.root / "common").is_dir():
            raise ConfigError(
                f"{self.root} is not an fw application: it has no common/ folder. "
                "Give the folder that holds common/ (and environments/, servers/...)."
            )
        self._production = environment.is_production(self.root)
        self.watch = not self._production
        self.var = self.root / "var"
        self.modules = ModuleCache(watch=self.watch)
        builtins = {**_builtin_services(), "db": self.records}
        self.services = Services(builtins, modules=self.modules)
        self.environment_id = self._environment_id()
        self.layers = Layers(
            self.root,
            environment_id=self.environment_id,
            production=lambda: self.production,
            listings=Listings(watch=self.watch),
        )
        self._templates: dict[tuple, Any] = {}
        self._schemas: dict[tuple, Any] = {}
        self._access: dict[tuple, Any] = {}
        self.texts: dict[tuple, Any] = {}
        self._proxies: tuple[str, ...] | None = None  # NOTE: kept in production
        self._targets: dict[tuple[str | None, str | None], Target] = {}  # the same
        self._told = False  # NOTE: the "no developers" warning, once a process
        self._thread = _ThreadState()

    def _environment_id(self) -> str:
        common = Finder([Layer("common", self.root / "common")])
        try:
            return _checked_id(self.services.make("environment_id", common, self))
        except Exception as error:
            self._record(None, {}, error)
            log.error("The environment_id service failed; using the built-in id.")
            return _default_environment_id(self)

    @property
    def production(self) -> bool:
        """Say whether the application runs in production (its marker folder).

        A marker that appears while the process runs takes effect at once, so
        no request after it sees a developer page; caching stays as it was
        until a restart.
        """
        if not self._production:
            self._production = environment.is_production(self.root)
        return self._production

    @property
    def errors_folder(self) -> Path:
        """Return the folder where error records are stored."""
        return self.var / "errors"

    def templates_for(self, context: Context) -> Any:
        """Return the template engine over the layers of a request."""
        stack = context.stack or self.layers.base
        key = stack.key
        engine = self._templates.get(key)
        if engine is None:
            from .templates import Templates

            engine = Templates(
                stack.finder,
                prefix="templates",
                cache_dir=self.var / "cache" / "templates",
                auto_reload=self.watch,
            )
            self._templates[key] = engine
        return engine

    def database(self, stack: Stack | None = None) -> Any:
        """Return this thread's connection to the configured database."""
        stack = stack or self.layers.base
        by_stack = self._thread.databases_by_stack
        database = None if self.watch else by_stack.get(stack.key)
        if database is None:
            database = by_stack[stack.key] = self._connection(stack.config)
        return database

    def _connection(self, config: Configuration) -> Any:
        from .db import configured_url, open_database

        url = configured_url(config)
        databases = self._thread.databases
        if url not in databases:
            databases[url] = open_database(config, self.root, url)
        return databases[url]

    def schema(self, stack: Stack | None = None) -> Any:
        """Return the tables described in the layers of ``stack``."""
        from .db import read_schema

        stack = stack or self.layers.base
        schema = None if self.watch else self._schemas.get(stack.key)
        if schema is None:
            schema = read_schema(stack.finder, watch=self.watch)
            self._schemas[stack.key] = schema
        return schema

    def records(self, context: Context) -> Any:
        """Return the records of the request's database, hooks found as services.

        This is the built-in ``db`` service.
        """
        return self._records(context.stack or self.layers.base, context.service)

    def _records(self, stack: Stack, services: Any) -> Any:
        # PERF: in production a stack's connection and schema never change,
        # so each thread keeps records per stack; they serve every request
        # unless the tables' hooks need the request's services.
        kept = self._thread.records
        records = None if self.watch else kept.get(stack.key)
        if records is None:
            from .db.records import Records

            database, schema = self.database(stack), self.schema(stack)
            records = kept[stack.key] = Records(database, schema, root=self.root)
        return records.with_services(services)

    def authenticator(self, context: Context | None = None) -> Any:
        """Return the authenticator over the users table the ``auth`` config names."""
        from .auth import Authenticator

        if context is None:
            stack = self.layers.without_host()
            records = self._records(stack, services=None)
        else:
            stack, records = context.stack or self.layers.base, context.service("db")
        return Authenticator(records, stack.config.load("auth"))

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        context = None
        try:
            proxies = self._proxies
            if proxies is None:
                proxies = self._trusted_proxies()
            context = Context(self, Request(environ, proxies))
            body = self._respond(context)
            if type(body) is bytes:
                return self._send_complete(context, body, start_response)
        except Exception as error:
            return self._fail(context, environ, error, start_response)
        return self._send(context, body, start_response)

    def _trusted_proxies(self) -> tuple[str, ...]:
        settings = self.layers.base.config.shared("settings")
        proxies = tuple(settings.get("trusted_proxies", ()))
        if not self.watch:
            self._proxies = proxies
        return proxies

    def access_list(self, stack: Stack | None = None) -> Any:
        """Return the access list of a stack's layers (configuration ``acl``)."""
        stack = stack or self.layers.base
        access = None if self.watch else self._access.get(stack.key)
        if access is None:
            access = self._access[stack.key] = _load_access_list(stack)
        return access

    def _target(self, request: Request, key: tuple[str | None, str | None]) -> Target:
        """Find the stack and route of a request's host and path.

        They depend on nothing else, so production keeps them for the next
        request with the same Host header and path.
        """
        stack = self.layers.for_host(request.host)
        route = routing.resolve(stack.finder, stack.config, request.path)
        open_to_all = self.access_list(stack).allows_everyone(route.name)
        target = Target(stack, route, open_to_all)
        if not self.watch:
            caches.keep(self._targets, key, target, TARGETS_KEPT)
        return target

    def _respond(self, context: Context) -> bytes | Iterable[str | bytes]:
        request = context.request
        environ = request.environ
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")
        key = (host, environ.get("PATH_INFO"))
        target = self._targets.get(key) or self._target(request, key)
        context.stack, context.route, open_to_all = target
        route = context.route
        if not open_to_all:
            guard.authorize(context, route)

        # PERF: what runs a code presenter is kept with its route per method.
        run = route.kept.get(request.method)
        if run is None:
            run = prepare(context, route)
        if request.method not in SAFE_METHODS:
            guard.check_csrf(context)
        return run(context)

    def _send_complete(
        self, context: Context, body: bytes, start_response: StartResponse
    ) -> list[bytes]:
        """Send a complete body at once, with its Content-Length."""
        if context.loaded_service("session") is not None:
            guard.finish_session(context)

        start_response(*context.start(len(body)))
        return [] if context.request.method == "HEAD" else [body]

    def _send(
        self,
        context: Context,
        body: Iterable[str | bytes],
        start_response: StartResponse,
    ) -> Iterator[bytes]:
        """Stream the body, starting the response when the first chunk is ready."""
        try:
            chunks = encode_chunks(body)
            first = next(chunks, b"")
            guard.finish_session(context)
        except Exception as error:
            environ = context.request.environ
            yield from self._fail(context, environ, error, start_response)
            return
        start_response(*context.start())
        if context.request.method == "HEAD":
            _close(body)
            return
        yield first
        yield from self._rest(context, chunks, body)

    def _rest(
        self, context: Context, chunks: Iterator[bytes], body: Iterator[Any]
    ) -> Iterator[bytes]:
        try:
            yield from chunks
        except Exception as error:
            self._record(context, context.request.environ, error)
        finally:
            _close(body)

    def _fail(
        self,
        context: Context | None,
        environ: dict[str, Any],
        error: Exception,
        start_response: StartResponse,
    ) -> list[bytes]:
        try:
            status, headers, page = self._failure_page(context, environ, error)
        except Exception as inner:
            self._report_failure_of_errors(inner)
            status, headers, page = 500, [], _LAST_RESORT
        headers = [("Content-Type", "text/html; charset=utf-8"), *headers]
        headers.append(("Content-Length", str(len(page))))
        start_response(status_line(status), headers, sys.exc_info())
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [page]

    def _failure_page(
        self, context: Context | None, environ: dict[str, Any], error: Exception
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        context = context or Context(self, Request(environ))
        context.response = Response()
        if isinstance(error, HTTPError):
            log.debug("%s %s: %s", error.status, environ.get("PATH_INFO"), error)
            page = b""
            if not isinstance(error, Redirect):
                page = status_page(context, error.status, detail=error.detail).encode()
            guard.finish_session(context)
            headers = [*error.headers.items(), *context.response.headers]
            return error.status, headers, page
        record = self._record(context, environ, error)
        if not self.production and context.request.is_local:
            page = errors.render_developer_page(record)
        else:
            page = status_page(context, 500, error_id=record.get("id"))
        return 500, [("Cache-Control", "no-store")], page.encode()

    def _record(
        self, context: Context | None, environ: dict[str, Any], error: BaseException
    ) -> dict[str, Any]:
        stack = context.stack if context and context.stack else None
        record = errors.capture(
            error,
            environ=environ,
            environment_id=getattr(self, "environment_id", ""),
            layers=stack.describe() if stack else self._base_layers(),
        )
        path = errors.store(record, self.errors_folder)
        if path is not None:
            log.error("Stored error %s: %s", record.get("id"), _summary(error))
        self._mail_developers(record, environ)
        return record

    def _mail_developers(self, record: dict[str, Any], environ: dict[str, Any]) -> None:
        """In production, report the error by mail; never fail the request for it."""
        if not self.production:
            return
        from .errors import notify

        settings = self._mail_settings()
        if settings is not None and not settings.developers and not self._told:
            self._told = True
            log.warning("config/mail names no developers, so no error is mailed.")
        notify.notify(
            self.root,
            record,
            settings,
            production=True,
            run_once=bool(environ.get("wsgi.run_once")),
        )

    def _mail_settings(self) -> Any:
        from .mail import load_settings

        try:
            return load_settings(self.layers.base.config)
        except Exception:
            log.exception("The mail settings are broken, so no error mail is sent.")
            return None

    def _base_layers(self) -> list[tuple[str, str]]:
        layers = getattr(self, "layers", None)
        return layers.base.describe() if layers else [("common", str(self.root))]

    def _report_failure_of_errors(self, inner: BaseException) -> None:
        try:
            log.critical("Error control failed: %s", _summary(inner))
            print(f"fw: error control failed: {_summary(inner)}", file=sys.stderr)
        except Exception:
            pass


def _load_access_list(stack: Stack) -> Any:
    from .access import AccessList

    access = AccessList.load(stack.config)
    found = None if access.configured else stack.finder.find("config/acl")
    if found is not None:
        log.warning(
            "The access list %s holds no sections, so every page is open.", found.path
        )
    return access


def _summary(error: BaseException) -> str:
    """Return "Type: message" for one log line, whatever the exception does."""
    try:
        text = str(error)
    except Exception:
        text = object.__repr__(error)
    flat = " ".join(text.split())
    return f"{type(error).__name__}: {flat[:500]}"


def _close(body: Any) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _builtin_services() -> dict[str, Callable[..., Any]]:
    return {
        "environment_id": _default_environment_id,
        "request": lambda context: context.request,
        "clock": lambda context: datetime.now(),
        "uid": lambda context: _new_uid,
        "config": lambda context: context.config,
        "metadata": lambda context: lambda name: _metadata(context, name),
        "session": guard.load_session,
        "user": guard.current_user,
        "roles": lambda context: getattr(context.service("user"), "roles", frozenset()),
        "auth": lambda context: context.app.authenticator(context),
        "menu": guard.reachable,
        "texts": lambda context: _language().make_texts(context),
        "language": lambda context: _language().choose_language(context),
    }


def _new_uid() -> str:
    # PERF: uuid imports platform; a request that makes no id does not pay.
    from uuid import uuid4

    return uuid4().hex


def _checked_id(value: Any) -> str:
    if not isinstance(value, str) or not _SAFE_ID.match(value):
        raise ConfigError(
            f"The environment_id service gave {value!r}; an environment id must be "
            "letters, digits, '.', '_' or '-', not starting with '.'."
        )
    return value


def _language() -> Any:
    from . import language

    return language


def _default_environment_id(app: Application) -> str:
    return environment.environment_id(environment.operating_system_user(), app.root)


def _metadata(context: Context, name: str) -> dict[str, Any]:
    config = (context.stack or context.app.layers.base).config
    return routing.metadata(context.finder, name, config=config)


def application(path: str | Path) -> Application:
    """Return the WSGI callable of the fw application folder at ``path``."""
    return Application(path)
