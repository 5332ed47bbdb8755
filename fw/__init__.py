"""fw: a web framework for Python that needs nothing but Python.

An application is a folder of layers (common, environment, server,
domain); everything it is made of is found through them, from the most
specific to the most general. ``application(path)`` gives its WSGI
callable.

The names below are imported on first use, so that a CGI process, which
starts anew for every request, loads only what its request needs.
"""

from .lazy import exports

__version__ = "0.1.0"

_EXPORTS = {
    "Application": "fw.app",
    "BadRequest": "fw.exceptions",
    "ConfigError": "fw.exceptions",
    "Context": "fw.context",
    "Forbidden": "fw.exceptions",
    "FwError": "fw.exceptions",
    "HTTPError": "fw.exceptions",
    "MethodNotAllowed": "fw.exceptions",
    "NotFound": "fw.exceptions",
    "Redirect": "fw.exceptions",
    "application": "fw.app",
}

__all__ = sorted(_EXPORTS)


__getattr__ = exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
