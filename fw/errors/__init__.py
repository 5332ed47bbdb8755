"""Control errors: record each one in a file of its own, and show it.

The WSGI layer calls :func:`capture` with the exception and the request,
:func:`store` to keep the record, and one of the pages to answer: the
developer page where it is safe, else the plain page with the error id.
``python -m fw errors ...`` runs :func:`run_command`.
"""

from fw.errors.record import capture
from fw.errors.store import list_errors, load_error, prune, store
from fw.lazy import exports

# PERF: the pages and the commands load on first use, since a request that
# succeeds (a CGI process answers one) needs neither.
_LAZY = {
    "render_developer_page": "fw.errors.pages",
    "render_plain_page": "fw.errors.pages",
    "run_command": "fw.errors.commands",
}

__all__ = [
    "capture",
    "list_errors",
    "load_error",
    "prune",
    "render_developer_page",
    "render_plain_page",
    "run_command",
    "store",
]


__getattr__ = exports(__name__, _LAZY, globals())
