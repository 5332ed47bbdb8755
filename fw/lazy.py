"""Names of a package imported on first use (PEP 562 module __getattr__).

A CGI process starts anew for every request, so a package loads only the
modules its request reads a name from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def exports(
    package: str, modules: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` importing ``modules[name]`` when first read.

    The value is kept in ``namespace`` (the package's globals), so the next
    read finds it without a call.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(import_module(module), name)
        return value

    return __getattr__
