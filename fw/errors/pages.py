"""Render error pages: the full one for developers, the short one for visitors.

Both pages are self-contained HTML with inline CSS. Every value taken from a
record is escaped, so HTML inside an exception message shows as text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fw.errors.record import RELATIONS, safe_text

_CSS = """
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #222;
  background: #f6f6f4; }
header { padding: 20px 28px; background: #8b1a1a; color: #fff; }
header h1 { margin: 0 0 6px; font-size: 22px; }
header .message { margin: 0; white-space: pre-wrap; font-family: monospace; }
main { padding: 8px 28px 28px; }
h2 { font-size: 17px; margin: 26px 0 8px; }
.relation { margin: 18px 0 6px; font-style: italic; color: #555; }
.exception-title { margin: 10px 0 6px; font-family: monospace; font-weight: bold;
  white-space: pre-wrap; }
details.frame { margin: 4px 0; border: 1px solid #ddd; border-radius: 4px;
  background: #fff; }
details.frame summary { padding: 6px 10px; cursor: pointer; font-family: monospace;
  font-size: 13px; }
details.app { border-left: 5px solid #c0392b; }
details.fw, details.library, details.stdlib { color: #777; }
.kind { float: right; font-size: 11px; text-transform: uppercase; color: #999; }
pre.source { margin: 0; padding: 6px 10px; overflow-x: auto; font-size: 13px;
  background: #fbfbf8; border-top: 1px solid #eee; }
pre.source .current { display: block; background: #fde2e2; font-weight: bold; }
.ln { display: inline-block; width: 4em; color: #999; user-select: none; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; vertical-align: top; padding: 4px 10px;
  border-bottom: 1px solid #eee; font-size: 13px; }
th { width: 14em; color: #555; font-weight: normal; }
td { font-family: monospace; word-break: break-all; }
.notes { margin: 4px 0; font-family: monospace; color: #555; }
"""

_PLAIN_CSS = """
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #333;
  background: #f6f6f4; }
main { max-width: 34em; margin: 12vh auto; padding: 0 20px; }
h1 { font-size: 24px; font-weight: normal; }
code { font-size: 14px; background: #eaeae6; padding: 1px 5px; border-radius: 3px; }
"""


def render_developer_page(record: Mapping[str, Any]) -> str:
    """Render an error record as a full HTML page for the developer.

    The page shows the exception first, then every stack trace (innermost
    frame last, application frames open and marked), the request, the
    layer stack and the facts that identify the error.
    """
    exception = _mapping(record.get("exception"))
    title = f"{_text(exception.get('type'))}: {_text(exception.get('message'))}"

    body = "".join(
        [
            _header(exception),
            "<main>",
            _traceback_section(record, exception),
            _request_section(_mapping(record.get("request"))),
            _layers_section(record.get("layers")),
            _facts_section(record),
            "</main>",
        ]
    )
    return _document(title[:200], _CSS, body)


def render_plain_page(error_id: str | None, *, status: int = 500) -> str:
    """Render the short, polite page a visitor sees: no detail, only the id."""
    code, reason = _status(status)

    report = ""
    if error_id:
        report = (
            "<p>If you report this problem, please mention the error id "
            f"<code>{_e(error_id)}</code>.</p>"
        )
    body = (
        "<main><h1>Something went wrong</h1>"
        "<p>Sorry, this page could not be shown. Please try again later.</p>"
        f"{report}</main>"
    )
    return _document(f"{code} {reason}", _PLAIN_CSS, body)


def _document(title: str, css: str, body: str) -> str:
    """Wrap a body in a complete HTML document with inline CSS."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{_e(title)}</title>\n<style>{css}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _header(exception: Mapping[str, Any]) -> str:
    """Show the exception's type and message at the top of the page."""
    return (
        f"<header><h1>{_e(exception.get('type'))}</h1>"
        f'<p class="message">{_e(exception.get("message"))}</p></header>'
    )


def _traceback_section(record: Mapping[str, Any], exception: Mapping[str, Any]) -> str:
    """Show the chain, earliest first, then the raised exception, as Python does."""
    parts = ["<h2>Traceback (most recent call last)</h2>"]

    chain = [_mapping(link) for link in _sequence(record.get("chain"))]
    for link in reversed(chain):
        parts.append(_exception_block(link))
        relation = RELATIONS.get(_text(link.get("relation")), "")
        parts.append(f'<p class="relation">{_e(relation)}</p>')
    parts.append(_exception_block(exception))
    return "".join(parts)


def _exception_block(exception: Mapping[str, Any]) -> str:
    """Show one exception: its frames, then its type, message and notes."""
    parts = [_frame(_mapping(frame)) for frame in _sequence(exception.get("frames"))]

    omitted = exception.get("frames_omitted")
    if omitted:
        parts.insert(len(parts) // 5, f"<p>... {_e(omitted)} frames left out ...</p>")
    title = f"{_text(exception.get('type'))}: {_text(exception.get('message'))}"
    parts.append(f'<p class="exception-title">{_e(title)}</p>')
    for note in _sequence(exception.get("notes")):
        parts.append(f'<p class="notes">{_e(note)}</p>')
    for member in _sequence(exception.get("exceptions")):
        parts.append(f"<blockquote>{_exception_block(_mapping(member))}</blockquote>")
    return "".join(parts)


def _frame(frame: Mapping[str, Any]) -> str:
    """Show one frame; application frames start open, others folded."""
    kind = _text(frame.get("kind")) or "app"
    opened = " open" if kind == "app" else ""

    summary = (
        f'<span class="kind">{_e(kind)}</span>{_e(frame.get("file"))}, '
        f'line {_e(frame.get("line"))}, in {_e(frame.get("function"))}'
    )
    return (
        f'<details class="frame {_e(kind)}"{opened}><summary>{summary}</summary>'
        f"{_source(frame)}</details>"
    )


def _source(frame: Mapping[str, Any]) -> str:
    """Show the numbered source lines around a frame's line, its own marked."""
    current = frame.get("line")
    lines = [_mapping(line) for line in _sequence(frame.get("context"))]
    if not lines:
        return f'<pre class="source">{_e(frame.get("source"))}</pre>'

    rows = []
    for line in lines:
        text = f'<span class="ln">{_e(line.get("line"))}</span>{_e(line.get("text"))}'
        if line.get("line") == current:
            text = f'<span class="current">{text}</span>'
        else:
            text += "\n"
        rows.append(text)
    return f'<pre class="source">{"".join(rows)}</pre>'


def _request_section(request: Mapping[str, Any]) -> str:
    """Show the request: method, path, query, client, headers and form."""
    if not request:
        return "<h2>Request</h2><p>No request was being handled.</p>"

    rows = [
        ("Method", request.get("method")),
        ("Scheme", request.get("scheme")),
        ("Path", request.get("path")),
        ("Query", request.get("query")),
        ("Client", request.get("client")),
    ]
    parts = ["<h2>Request</h2>", _table(rows)]
    for title, key in (("Headers", "headers"), ("Form", "form")):
        fields = _mapping(request.get(key))
        if fields:
            parts.append(f"<h2>{title}</h2>{_table(list(fields.items()))}")
    return "".join(parts)


def _layers_section(layers: Any) -> str:
    """Show the layer stack, first layer first."""
    rows = [
        (_mapping(layer).get("name"), _mapping(layer).get("folder"))
        for layer in _sequence(layers)
    ]
    if not rows:
        return "<h2>Layers</h2><p>No layer stack was given.</p>"
    return f"<h2>Layers</h2>{_table(rows)}"


def _facts_section(record: Mapping[str, Any]) -> str:
    """Show what identifies the error: id, time, environment, process, Python."""
    rows = [
        ("Error id", record.get("id")),
        ("Time (UTC)", record.get("time")),
        ("Environment", record.get("environment_id")),
        ("Process id", record.get("pid")),
        ("Python", record.get("python")),
    ]
    return f"<h2>Error</h2>{_table(rows)}"


def _table(rows: list[tuple[Any, Any]]) -> str:
    """Render name and value pairs as a two-column table."""
    cells = "".join(
        f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in rows
    )
    return f"<table>{cells}</table>"


def _status(status: Any) -> tuple[int, str]:
    """Return a status code and its reason phrase; a bad code becomes 500."""
    try:
        code = int(status)
    except (TypeError, ValueError):
        code = 500

    try:
        return code, HTTPStatus(code).phrase
    except ValueError:
        return code, "Error"


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return the value when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    """Return the value when it is a list, else an empty one."""
    return list(value) if isinstance(value, (list, tuple)) else []


def _text(value: Any) -> str:
    """Return a value as text; a missing value becomes empty."""
    return "" if value is None else safe_text(value, 20_000)


def _e(value: Any) -> str:
    """Return a value as text escaped for HTML, quotes included."""
    return html.escape(_text(value), quote=True)
