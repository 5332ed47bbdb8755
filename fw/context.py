"""What one request needs, passed to presenters and services."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .exceptions import ServiceError, TemplateError
from .request import Request
from .response import Response

if TYPE_CHECKING:
    from .app import Application
    from .layers import Stack
    from .routing import Route


class Context:
    """The request, the response, its layers and the services, for one request."""

    #: The route being answered, once routing found it.
    route: Route | None = None
    #: The page title a presenter gives the layout.
    title: str | None = None
    #: True or False to force the layout on or off; None lets fw decide.
    use_layout: bool | None = None

    def __init__(
        self, app: Application, request: Request, stack: Stack | None = None
    ) -> None:
        self.app = app
        self.request = request
        self.stack = stack
        self._services: dict[str, Any] = {}

    # PERF: the response is made on first use; an answer that never reads or
    # changes its status and headers sends the route's own, made once.
    _response: Response | None = None
    _defaults: Response | None = None
    _started = False

    @property
    def response(self) -> Response:
        """Return the status and headers of the answer, made on first use."""
        response = self._response
        if response is None:
            response = self._response = Response()
            if self._defaults is not None:
                response.update(self._defaults)
            # NOTE: made after the route's own went out, it cannot change.
            response.sent = self._started
        return response

    @response.setter
    def response(self, response: Response) -> None:
        self._response = response

    def take_defaults(self, defaults: Response) -> None:
        """Take a route's status and headers, which the response starts from."""
        if self._response is None:
            self._defaults = defaults
        else:
            self._response.update(defaults)

    def start(self, content_length: int | None = None) -> tuple[str, list]:
        """Close status and headers for changes; return them for start_response."""
        if self._response is None and self._defaults is not None:
            self._started = True
            return self._defaults.start_copy(content_length)
        return self.response.start(content_length)

    @property
    def params(self) -> dict[str, str]:
        """Return the path parameters of the route, such as {"id": "42"}."""
        return dict(self.route.params) if self.route else {}

    @property
    def finder(self):
        """Return the finder over this request's layers."""
        return (self.stack or self.app.layers.base).finder

    def config(self, name: str) -> dict[str, Any]:
        """Return the merged configuration called ``name`` for this request."""
        return (self.stack or self.app.layers.base).config.load(name)

    @property
    def settings(self) -> Mapping[str, Any]:
        """Return the ``settings`` configuration, read-only and not copied."""
        config = (self.stack or self.app.layers.base).config
        return MappingProxyType(config.shared("settings"))

    def service(self, name: str) -> Any:
        """Return the value of a service for this request, made on first use."""
        services = self._services
        if name in services:
            return services[name]

        # PERF: Services.make inlined: a kept maker is called straight away.
        finder = (self.stack or self.app.layers.base).finder
        known = self.app.services
        maker = known.makers.get((finder, name)) or known.maker(name, finder)
        value = services[name] = maker(self)
        return value

    def loaded_service(self, name: str) -> Any:
        """Return a service's value if this request made it already, else None."""
        return self._services.get(name)

    def provide(self, name: str, value: Any) -> None:
        """Give a service's value for this request, instead of making it."""
        self._services[name] = value

    def forget_service(self, name: str) -> None:
        """Drop a service's value, so the next use makes it again."""
        self._services.pop(name, None)

    @property
    def services(self) -> ServiceNames:
        """Return the services as a mapping of names, for expressions."""
        return ServiceNames(self)

    def render(self, template: str, values: Mapping[str, Any] | None = None) -> str:
        """Render a template found through this request's layers.

        Besides ``values``, every template reads the request's own names
        (``request``, ``params``, ``settings``, ``csrf_token``, ``csrf_field``,
        ``t``, ``plural``, ``language``, ``title``, ``user``), each made
        when a template first reads it.
        """
        engine = self.app.templates_for(self)
        behind = _RequestNames(self, engine.names)
        return engine.render(template, values, behind=behind)

    def _plural(self, key: str, count: Any, values: Any = None) -> str:
        texts = self.service("texts")
        return texts.plural(self.service("language"), key, count, values)

    def _csrf_token(self) -> str:
        from . import csrf

        return csrf.token(self.service("session"))

    def _csrf_field(self) -> Any:
        from . import csrf

        return csrf.field(self.service("session"))

    def text(self, key: str, values: Any = None) -> str:
        """Return the text ``key`` in the visitor's language, filled by name."""
        return self.service("texts").text(self.service("language"), key, values)

    def redirect(self, location: str, status: int = 303) -> bytes:
        """Send the client to ``location``; return the (empty) body."""
        self.response.status = status
        self.response.set_header("Location", location)
        return b""


class _RequestNames:
    """The names every template of a request may read, made on first read.

    PERF: a rendering pays only for the names its templates read, and the
    engine's filters and globals are read behind them, never copied.
    """

    __slots__ = ("context", "engine_names")

    def __init__(self, context: Context, engine_names: Mapping[str, Any]) -> None:
        self.context = context
        self.engine_names = engine_names

    def __getitem__(self, name: str) -> Any:
        make = _REQUEST_NAMES.get(name)
        if make is None:
            return self.engine_names[name]
        try:
            return make(self.context)
        except KeyError as error:
            # NOTE: a KeyError let through would read as a name not defined.
            raise TemplateError(
                f"Computing the value of {name!r} failed with KeyError: {error}"
            ) from error


_REQUEST_NAMES: dict[str, Callable[[Context], Any]] = {
    "request": attrgetter("request"),
    "params": attrgetter("params"),
    "settings": attrgetter("settings"),
    "csrf_token": attrgetter("_csrf_token"),
    "csrf_field": attrgetter("_csrf_field"),
    "t": attrgetter("text"),
    "plural": attrgetter("_plural"),
    "language": lambda context: context.service("language"),
    "title": attrgetter("title"),
    "user": lambda context: context.service("user"),
}


class ServiceNames(Mapping[str, Any]):
    """Give expressions the request's services by name, made lazily."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def __getitem__(self, name: str) -> Any:
        try:
            return self._context.service(name)
        except ServiceError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._context.app.services.names(self._context.finder)))

    def __len__(self) -> int:
        return len(self._context.app.services.names(self._context.finder))
