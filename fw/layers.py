"""Build the stack of layers that serves one request.

The stack is, from the most specific: the requested domain, the server,
the environment, common, and last fw's own layer (fw/layer/: the sessions
table, the login and logout presenters), which an application overrides
like any other. Only common and the environment are known at
start-up; the environment's configuration names the server, and the
server's configuration holds the white list of domains, so the rest is
built per host and kept for the next request to the same host.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from . import caches, environment
from .config import Configuration, write_new
from .exceptions import BadRequest, ConfigError
from .finder import Finder, Layer, Listings

log = logging.getLogger(__name__)

BUILTIN_LAYER = Path(__file__).resolve().parent / "layer"
#: How many Host names are remembered; past it the oldest are looked up again.
HOSTS_KEPT = 1024
ENVIRONMENT_CONFIG = "environment"
SERVER_CONFIG = "server"


class Stack:
    """The layers serving a host, and the finder and configuration over them.

    Hosts served by the same layers (every host without a domain folder)
    share one stack in production, with its caches.
    """

    __slots__ = ("server", "layers", "finder", "config", "key")

    def __init__(
        self,
        server: str | None,
        layers: tuple[Layer, ...],
        finder: Finder,
        config: Configuration,
    ) -> None:
        self.server = server
        self.layers = layers
        self.finder = finder
        self.config = config
        # PERF: the folders identify the stack in the application's caches,
        # as text, whose hash Python keeps (a Path computes it in Python).
        self.key = tuple(str(layer.folder) for layer in layers)

    def __repr__(self) -> str:
        return f"Stack({[layer.name for layer in self.layers]})"

    def describe(self) -> list[tuple[str, str]]:
        """Return (layer, folder) pairs, most specific first, for records and pages."""
        return [(layer.name, str(layer.folder)) for layer in self.layers]


class Layers:
    """Make and keep the layer stack of each host an application serves."""

    def __init__(
        self,
        root: Path,
        *,
        environment_id: str,
        production: Callable[[], bool],
        listings: Listings,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.environment_id = environment_id
        self.production = production
        self.listings = listings
        self.environ = environ
        self.common = Layer("common", root / "common")
        self.builtin = Layer("fw", BUILTIN_LAYER)
        self._by_host: dict[str, Stack] = {}
        # NOTE: by server and layer folders, which only the disk can add to.
        self._by_folders: dict[tuple, Stack] = {}
        self._reset_environment()

    def _reset_environment(self) -> None:
        folder = self.root / "environments" / self.environment_id
        self.environment = Layer("environment", folder)
        layers = (self.environment, self.common, self.builtin)
        self._by_host.clear()
        self._by_folders.clear()
        self._base = self._stack(None, layers)

    @property
    def base(self) -> Stack:
        """Return the stack of environment and common, known before any request."""
        return self._base

    def for_host(self, host: str | None) -> Stack:
        """Return the stack for a request's host; BadRequest when it is not served."""
        if host is None:
            raise BadRequest("The request's Host header is missing or malformed.")
        stack = self._by_host.get(host)
        if stack is None or self.listings.watch:
            stack = self._build(host)
            if not self.listings.watch:
                caches.keep(self._by_host, host, stack, HOSTS_KEPT)
        return stack

    def without_host(self) -> Stack:
        """Return the stack for work outside a request: the configured server only."""
        server = self._configured_server()
        return self._with_server(server, None)

    def _build(self, host: str) -> Stack:
        configured = self._configured_server()
        server = configured or environment.base_domain(host)
        stack = self._with_server(server, None)
        if not self._accepts(stack, host):
            raise BadRequest(f"The host {host!r} is not served by this application.")
        if configured is None:
            self._write_environment(server)
            server = self._configured_server() or server
            if server != stack.server:
                return self._build(host)
        domain = self._layer("domain", self.root / "domains" / host)
        return self._with_server(server, domain)

    def _configured_server(self) -> str | None:
        server = self._base.config.load(ENVIRONMENT_CONFIG).get("server")
        if server is None:
            return None
        if not isinstance(server, str) or not _is_plain_name(server):
            raise ConfigError(
                f"The environment's server must be a plain host name, not {server!r}.",
                origin=self._environment_file(),
            )
        return server.lower()

    def _accepts(self, stack: Stack, host: str) -> bool:
        if not self.production() and environment.is_loopback_host(host):
            return True
        domains = stack.config.load(SERVER_CONFIG).get("domains", [])
        if isinstance(domains, str):
            domains = domains.split()
        return environment.host_allowed(host, domains)

    def _write_environment(self, server: str) -> None:
        folder = self.root / "environments" / self.environment_id / "config"
        target = folder / f"{ENVIRONMENT_CONFIG}.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if write_new(target, {"server": server}):
                log.info("Wrote %s for a new environment (server %s).", target, server)
        except OSError as error:
            log.warning("Cannot write %s (%s); serving as %s.", target, error, server)
        self.listings.clear()
        self._reset_environment()

    def _environment_file(self) -> str:
        found = self._base.finder.find(f"config/{ENVIRONMENT_CONFIG}")
        return str(found.path) if found else ENVIRONMENT_CONFIG

    def _with_server(self, server: str | None, domain: Layer | None) -> Stack:
        server_layer = None
        if server:
            server_layer = self._layer("server", self.root / "servers" / server)
        chosen = (domain, server_layer, self.environment, self.common, self.builtin)
        return self._stack(server, tuple(layer for layer in chosen if layer))

    def _layer(self, name: str, folder: Path) -> Layer | None:
        layer = Layer(name, folder)
        return layer if layer.folder is not None else None

    def _stack(self, server: str | None, layers: tuple[Layer, ...]) -> Stack:
        key = (server, *(layer.folder for layer in layers))
        watch = self.listings.watch
        stack = None if watch else self._by_folders.get(key)
        if stack is None:
            finder = Finder(layers, listings=self.listings)
            config = Configuration(finder, environ=self.environ, watch=watch)
            stack = Stack(server, layers, finder, config)
            if not watch:
                self._by_folders[key] = stack
        return stack


def _is_plain_name(name: str) -> bool:
    return environment.host_name({"HTTP_HOST": name}) == name.lower()
