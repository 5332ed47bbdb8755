"""Services: code reached by name, overridable in any layer.

A service is a factory that gets the request's context and gives the
service's value for that request: a function, an object or a plain value.
Built-in services are registered in code. A file ``services/NAME.py`` in
any layer overrides or adds one; it defines::

    def service(context, base):
        ...

where ``base()`` gives the value of the service it overrides (the same
name in the layers below, then the built-in), so an override can wrap it.
A factory that takes only ``context`` is accepted too. Values are made once
per request, on first use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from pathlib import Path
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from .exceptions import ServiceError
from .finder import Finder, Found
from .modules import ModuleCache

Factory = Callable[..., Any]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VARARGS = 0x04  # NOTE: inspect.CO_VARARGS and CO_VARKEYWORDS, without inspect
_VARKEYWORDS = 0x08


class Services:
    """Hold the built-in services and load the ones the layers define."""

    def __init__(
        self,
        builtins: Mapping[str, Factory] | None = None,
        *,
        modules: ModuleCache | None = None,
    ) -> None:
        self._builtins: dict[str, Factory] = dict(builtins or {})
        self._modules = modules or ModuleCache(watch=True)
        #: The maker of each (finder, name), kept for finders that do not watch.
        self.makers: dict[tuple[Finder, str], Callable[[Any], Any]] = {}

    def register(self, name: str, factory: Factory) -> None:
        """Register a built-in service under ``name``."""
        _check_name(name)
        self._builtins[name] = factory
        self.makers.clear()

    def names(self, finder: Finder) -> set[str]:
        """Return every service name known to the layers of ``finder``."""
        files = {
            Path(entry).stem
            for entry, is_dir in finder.entries("services").items()
            if not is_dir and entry.endswith(".py") and _NAME.match(Path(entry).stem)
        }
        return files | set(self._builtins)

    def chain(self, name: str, finder: Finder) -> list[Factory]:
        """Return the factories for ``name``, most specific first; [] when unknown."""
        _check_name(name)
        found = finder.find_all(f"services/{name}", exts=(".py",))
        chain = [self._load(item) for item in found]
        if name in self._builtins:
            chain.append(self._builtins[name])
        return chain

    def maker(self, name: str, finder: Finder) -> Callable[[Any], Any]:
        """Return the function making service ``name``'s value from a context.

        A finder that does not watch its layers (production) gets the same
        one every time, so it is kept.
        """
        maker = self.makers.get((finder, name))
        if maker is None:
            maker = _maker(name, self.chain(name, finder))
            if not finder.listings.watch:
                self.makers[finder, name] = maker
        return maker

    def make(self, name: str, finder: Finder, context: Any) -> Any:
        """Return the value of service ``name`` for one request's context."""
        return self.maker(name, finder)(context)

    def _load(self, found: Found) -> Factory:
        return _factory_of(self._modules.load(found.path), found.path)


def _maker(name: str, chain: list[Factory]) -> Callable[[Any], Any]:
    if not chain:
        raise ServiceError(
            f"No service is called {name!r}: add services/{name}.py to a layer "
            "or register it in code."
        )
    if not _takes_base(chain[0]):
        return chain[0]
    return partial(_call, chain, 0, name)


def _call(chain: list[Factory], index: int, name: str, context: Any) -> Any:
    if index >= len(chain):
        raise ServiceError(f"The service {name!r} has no base below it to call.")

    factory = chain[index]
    if not _takes_base(factory):
        return factory(context)
    return factory(context, lambda: _call(chain, index + 1, name, context))


def _takes_base(factory: Factory) -> bool:
    # PERF: signatures are read once per factory, not once per request.
    try:
        return _signature_takes_base(factory)
    except TypeError:
        return _signature_takes_base.__wrapped__(factory)


@lru_cache(maxsize=1024)
def _signature_takes_base(factory: Factory) -> bool:
    function = factory.__func__ if type(factory) is MethodType else factory
    if _is_plain_function(function):
        code = function.__code__
        bound = 1 if function is not factory and code.co_argcount else 0
        return _parameter_count(code) - bound >= 2

    import inspect

    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return len(parameters) >= 2


def _is_plain_function(factory: Factory) -> bool:
    """Say whether the code object alone tells the parameters, as inspect would.

    PERF: inspect costs a CGI process milliseconds to import; most factories
    are plain functions and lambdas, whose code object says enough.
    """
    return (
        type(factory) is FunctionType
        and not hasattr(factory, "__wrapped__")
        and not hasattr(factory, "__signature__")
    )


def _parameter_count(code: CodeType) -> int:
    flags = code.co_flags
    starred = bool(flags & _VARARGS) + bool(flags & _VARKEYWORDS)
    return code.co_argcount + code.co_kwonlyargcount + starred


def _factory_of(module: ModuleType, path: Path) -> Factory:
    factory = getattr(module, "service", None)
    if not callable(factory):
        raise ServiceError(
            f"The service file {path} defines no function called 'service'; "
            "define service(context, base) there."
        )
    return factory


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ServiceError(
            f"A service name must be lowercase letters, digits and underscores, "
            f"starting with a letter, not {name!r}."
        )
