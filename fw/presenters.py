"""Run the presenter of a route and turn what it gives into body chunks.

A code presenter is a Python file with functions named for the methods it
answers (``get``, ``post``, ...) or one ``present`` for all; each takes the
request's context. What it returns decides the body:

- ``str``: an HTML fragment, put into the layout where one applies;
- ``bytes``: the body as it is;
- ``dict`` or ``list``: JSON;
- any other iterable (a generator): chunks streamed as they come, inside
  the layout where one applies;
- ``None``: an empty body.

A content presenter is a file: an HTML fragment goes into the layout,
every other file is served with its type, validators and 304 answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from .context import Context
from .exceptions import MethodNotAllowed, ServiceError
from .response import Response
from .routing import Route

HTML = "text/html; charset=utf-8"
FRAGMENT_EXTENSIONS = (".html", ".htm")
CONTENT_METHODS = ("GET", "HEAD")
CODE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CHUNK_SIZE = 64 * 1024
LAYOUT_MARK = "\x00fw-content\x00"

Chunks = Iterable[str | bytes]
#: What a presenter's answer becomes: a complete body, or chunks to stream.
Body = bytes | Chunks

_LAYOUT_MARKUP: Any = None


def prepare(context: Context, route: Route) -> Callable[[Context], Body]:
    """Check that the presenter answers the method; return what runs it.

    A method the presenter does not answer raises MethodNotAllowed here,
    before the checks that need a method it does answer (CSRF) and before
    any of the presenter's own code runs. What runs a code presenter is
    made once per route and method.
    """
    if route.is_code:
        return route.kept.get(context.request.method) or _code_runner(context, route)
    _check_method(context, route)
    _check_content_method(context)
    if route.found.path.suffix in FRAGMENT_EXTENSIONS:
        return partial(_present_fragment, route)
    return partial(_present_file, route)


def _check_method(context: Context, route: Route) -> None:
    allowed = route.settings.get("methods")
    if allowed and context.request.method not in [m.upper() for m in allowed]:
        raise MethodNotAllowed(headers={"Allow": ", ".join(allowed).upper()})


def _present_code(
    route: Route, handler: Any, defaults: Response, context: Context
) -> Body:
    context.take_defaults(defaults)
    result = handler(context)
    return result if type(result) is bytes else _body_of(context, route, result)


def _code_runner(context: Context, route: Route) -> Callable[[Context], Body]:
    """Return what runs the method's function, kept with the route."""
    method = context.request.method
    _check_method(context, route)
    handler = _handler(context.app.modules.load(route.found.path), method)
    runner = partial(_present_code, route, handler, _route_defaults(route, HTML))
    route.kept[method] = runner
    return runner


def _handler(module: Any, method: str) -> Any:
    names = (method.lower(), "get" if method == "HEAD" else "", "present")
    for name in names if method in CODE_METHODS else ():
        handler = getattr(module, name, None) if name else None
        if callable(handler):
            return handler
    allowed = [m for m in CODE_METHODS if callable(getattr(module, m.lower(), None))]
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    raise MethodNotAllowed(headers={"Allow": ", ".join(dict.fromkeys(allowed))})


def _body_of(context: Context, route: Route, result: Any) -> Body:
    if result is None:
        return b""
    if isinstance(result, str):
        if _has_layout(context, route) and not _is_document(result):
            return _in_layout(context, route, result).encode()
        return result.encode()
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    if isinstance(result, (dict, list)):
        context.response.set_header("Content-Type", "application/json")
        return _json(result, route).encode()
    if isinstance(result, Iterable):
        return _stream_in_layout(context, route, iter(result))
    raise TypeError(
        f"The presenter {route.found.path} returned {type(result).__name__}; "
        "return str, bytes, a dict or list, an iterable of chunks, or None."
    )


def _is_document(html: str) -> bool:
    """Say whether HTML is a whole document (it then gets no layout)."""
    start = html.lstrip()[:15].lower()
    return start.startswith("<!doctype") or start.startswith("<html")


def _json(value: Any, route: Route) -> str:
    try:
        return "".join(_encode_json(value, 0))
    except (ValueError, RecursionError) as error:
        why = "it holds itself" if isinstance(error, RecursionError) else error
        raise ValueError(
            f"The presenter {route.found.path} returned data that is not valid "
            f"JSON: {why}."
        ) from None


def _json_encoder() -> Callable[[Any, int], Iterable[str]]:
    """Return the function giving the JSON text of a value, in pieces.

    PERF: each call of the json module's public functions builds a new C
    encoder, which costs a short response more than the encoding itself;
    this one is built once. It keeps no record of the containers it is in
    (that needs one per call), so a value that holds itself ends in a
    RecursionError rather than json's ValueError. Without the C encoder,
    json's own encoder serves.
    """
    encoder = json.encoder
    if encoder.c_make_encoder is not None:
        separators, sort_keys, skip_keys, allow_nan = (": ", ", "), False, False, False
        return encoder.c_make_encoder(
            None, str, encoder.encode_basestring, None, *separators,
            sort_keys, skip_keys, allow_nan,
        )
    public = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str)
    return lambda value, level: (public.encode(value),)


_encode_json = _json_encoder()


def _has_layout(context: Context, route: Route) -> bool:
    """Say whether the body goes into the layout.

    GET and HEAD pages do, Ajax requests and other methods do not, unless
    the presenter set ``context.use_layout`` (a form page answering its own
    POST with errors sets it to True).
    """
    # PERF: the route's setting first: most answers without a layout stop here.
    if not route.settings.get("layout"):
        return False

    wanted = context.use_layout
    if wanted is None:
        request = context.request
        wanted = request.method in CONTENT_METHODS and not request.is_ajax
    content_type = context.response.get_header("Content-Type") or ""
    return bool(wanted and content_type.startswith("text/html"))


def _in_layout(context: Context, route: Route, fragment: str) -> str:
    head, tail = _layout_parts(context, route)
    return "".join((head, fragment, tail))


def _stream_in_layout(context: Context, route: Route, chunks: Chunks) -> Chunks:
    first = next(chunks, None)
    if (
        not isinstance(first, str)
        or not _has_layout(context, route)
        or _is_document(first)
    ):
        yield from ([] if first is None else [first])
        yield from chunks
        return
    head, tail = _layout_parts(context, route)
    yield "".join((head, first))
    yield from chunks
    yield tail


def _layout_parts(context: Context, route: Route) -> tuple[str, str]:
    title = context.title or route.settings.get("title")
    names = {"content": _layout_mark(), "route": route, "title": title}
    page = context.render(str(route.settings["layout"]), names)
    head, mark, tail = page.partition(LAYOUT_MARK)
    if not mark:
        return page, ""
    return head, tail


def _layout_mark() -> Any:
    """Return the marker the layout is rendered with, as Markup, made once."""
    global _LAYOUT_MARKUP
    if _LAYOUT_MARKUP is None:
        # PERF: the engine is imported when a layout is first rendered, not
        # with this module (a plain-text answer never loads it).
        from .templates import Markup

        _LAYOUT_MARKUP = Markup(LAYOUT_MARK)
    return _LAYOUT_MARKUP


def _present_fragment(route: Route, context: Context) -> Body:
    context.take_defaults(_route_defaults(route, HTML))
    text = _preprocess(context, route, route.found.path.read_bytes()).decode("utf-8")
    if _has_layout(context, route) and not _is_document(text):
        return _in_layout(context, route, text).encode()
    return text.encode()


def _present_file(route: Route, context: Context) -> Body:
    path = route.found.path
    context.take_defaults(_route_defaults(route, content_type(path)))
    if route.settings.get("preprocessors"):
        data = _preprocess(context, route, path.read_bytes())
        return data.encode() if isinstance(data, str) else bytes(data)
    return send_file(context, path)


def content_type(path: Any) -> str:
    """Return the Content-Type a file is served with, by its extension."""
    import mimetypes

    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript",):
        guessed += "; charset=utf-8"
    return guessed


def send_file(context: Context, path: Any) -> Chunks:
    """Answer with a file: ETag, Last-Modified, 304 when unchanged, streamed.

    A code presenter that serves files (from outside the layers, say)
    calls this after choosing the file and its Content-Type.
    """
    stat = path.stat()
    if _not_modified(context, stat.st_mtime, _etag(stat)):
        return iter(())
    context.response.set_header("Content-Length", str(stat.st_size))
    return _read_file(path)


def _check_content_method(context: Context) -> None:
    if context.request.method not in CONTENT_METHODS:
        raise MethodNotAllowed(headers={"Allow": ", ".join(CONTENT_METHODS)})


def _route_defaults(route: Route, default_type: str) -> Response:
    """Return the status and headers a route's settings give, worked out once."""
    key = ("defaults", default_type)
    defaults = route.kept.get(key)
    if defaults is None:
        settings = route.settings
        defaults = Response(int(settings.get("status") or 200))
        defaults.set_header("Content-Type", settings.get("type") or default_type)
        cache = settings.get("cache")
        if cache is not None:
            defaults.set_header("Cache-Control", _cache_control(cache))
        route.kept[key] = defaults
    return defaults


def _cache_control(cache: Any) -> str:
    if isinstance(cache, bool) or not isinstance(cache, (int, str)):
        raise ValueError(
            f"The cache setting must be seconds or a string, not {cache!r}."
        )
    if isinstance(cache, str) and not cache.isdigit():
        return cache
    seconds = int(cache)
    return f"max-age={seconds}" if seconds > 0 else "no-cache"


def _etag(stat: Any) -> str:
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def _not_modified(context: Context, mtime: float, etag: str) -> bool:
    import email.utils

    response, request = context.response, context.request
    response.set_header("ETag", etag)
    response.set_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        unchanged = etag in tags or if_none_match.strip() == "*"
    else:
        unchanged = _unchanged_since(request.headers.get("if-modified-since"), mtime)
    if unchanged:
        response.status = 304
        response.delete_header("Content-Type")
    return unchanged


def _unchanged_since(header: str | None, mtime: float) -> bool:
    if not header:
        return False
    import email.utils

    try:
        since = email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return int(mtime) <= since <= time.time()


def _read_file(path: Any) -> Chunks:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


def _preprocess(context: Context, route: Route, data: bytes) -> bytes:
    for name in route.settings.get("preprocessors") or []:
        try:
            step = context.service(f"preprocess_{name}")
        except ServiceError as error:
            raise ServiceError(
                f"The route {route.path} names the preprocessor {name!r}, but no "
                f"service preprocess_{name} exists. {error}"
            ) from None
        data = step(data, route.found.path)
    return data
