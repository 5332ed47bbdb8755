"""Pages for failed requests: 4xx and 500, overridable through the layers.

An application restyles the page for a status by adding the template
``errors/<status>`` (``errors/404.html``) to a layer; ``errors/4xx`` and
``errors/5xx`` answer for a whole class. The template gets ``status``,
``reason``, ``detail`` (4xx only) and ``error_id`` (500 only). Without an
override, or when the override itself fails, fw's own page answers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .response import status_line

if TYPE_CHECKING:
    from .context import Context

log = logging.getLogger(__name__)


def status_page(
    context: Context, status: int, *, detail: str = "", error_id: str | None = None
) -> str:
    """Return the page for a failed request, from the cascade when it has one."""
    reason = status_line(status).split(" ", 1)[1]
    values = {
        "status": status,
        "reason": reason,
        "detail": detail,
        "error_id": error_id,
        "title": f"{status} {reason}",
        "content": "",
    }
    for name in (f"errors/{status}", f"errors/{status // 100}xx"):
        page = _render_override(context, name, values)
        if page is not None:
            return page
    if status >= 500:
        from .errors import render_plain_page

        return render_plain_page(error_id, status=status)
    return _builtin_page(status, reason, detail)


def _render_override(context: Context, name: str, values: dict[str, Any]) -> str | None:
    try:
        if context.finder.find(f"templates/{name}", exts=(".html",)) is None:
            return None
        return context.render(name, values)
    except Exception:
        log.exception("The error page template %s failed; fw's own page answers.", name)
        return None


def _builtin_page(status: int, reason: str, detail: str) -> str:
    import html

    title = html.escape(f"{status} {reason}")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n"
        f"<p>{html.escape(detail)}</p></body></html>\n"
    )
