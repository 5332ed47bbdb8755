"""Map a URL path to a presenter file found through the layers.

``/`` is ``presenters/index``, ``/a/b`` is ``presenters/a/b``, and a
folder answers with its ``index``. A file or folder named ``[name]``
matches any one path segment and hands it to the presenter as the
parameter ``name``; a real name always wins over a parameter. Python files
are code presenters; every other file is content. Source files and
metadata files are never served as content.

Route settings (layout, status, content type, caching, preprocessors,
methods) come from the ``routes`` configuration, whose keys are URL
patterns (``/css/*``), and then from the presenter's own metadata file
beside it (``about.meta.json`` for ``about.html``), which wins.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from .config import Configuration, read_file
from .exceptions import ConfigError, NotFound, UnsafeNameError
from .finder import Finder, Found, check_name

PRESENTERS = "presenters"
INDEX = "index"
CODE_EXTENSION = ".py"
METADATA_MARK = ".meta"
METADATA_EXTS = (".json", ".toml", ".ini", ".xml")
MAX_SEGMENTS = 32

DEFAULT_SETTINGS: dict[str, Any] = {
    "layout": "layout",
    "status": 200,
    "type": None,
    "cache": None,
    "preprocessors": [],
    "methods": None,
}


class Route:
    """The presenter that answers a path, its parameters and its settings."""

    __slots__ = ("path", "name", "found", "params", "settings", "is_code", "kept")

    def __init__(
        self,
        path: str,
        name: str,
        found: Found,
        params: dict[str, str] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.name = name
        self.found = found
        self.params = params or {}
        self.settings = settings or {}
        #: Whether the presenter is Python code (else it is content).
        self.is_code = found.path.suffix == CODE_EXTENSION
        #: What presenters work out once per route (its handler per method...).
        self.kept: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"Route({self.path!r} -> {self.name!r}, params={self.params!r})"


def resolve(finder: Finder, config: Configuration, path: str) -> Route:
    """Return the route for a URL path; NotFound when nothing answers it."""
    segments = _segments(path)
    match = _match(finder, [], segments, {}, implied=path.endswith("/"))
    if match is None:
        raise NotFound(f"No presenter answers {path!r}.")
    name, found, params = match
    settings = route_settings(finder, config, path, name)
    return Route(path, name, found, params, settings)


def _segments(path: str) -> list[str]:
    if not path.startswith("/"):
        raise NotFound("A path must start with '/'.")
    segments = path[1:].split("/")
    if len(segments) > MAX_SEGMENTS:
        raise NotFound(f"The path has more than {MAX_SEGMENTS} parts.")
    if segments[-1] == "":
        segments[-1] = INDEX
    try:
        check_name("/".join(segments))
    except UnsafeNameError as error:
        raise NotFound(str(error)) from None
    if any(_is_hidden_file(segment) for segment in segments):
        raise NotFound("Source and metadata files are not served.")
    return segments


def _is_hidden_file(segment: str) -> bool:
    return segment.endswith(CODE_EXTENSION) or _is_metadata(segment)


def _is_metadata(filename: str) -> bool:
    return METADATA_MARK + "." in filename + "."


def _match(
    finder: Finder,
    done: list[str],
    rest: list[str],
    params: dict[str, str],
    *,
    implied: bool = False,
) -> tuple[str, Found, dict[str, str]] | None:
    segment, rest = rest[0], rest[1:]
    entries = finder.entries(_folder(done))
    candidates = _candidates(entries, segment, implied=implied and not rest)
    for entry, value in candidates:
        merged = {**params, **value}
        found = _follow(finder, done + [entry], rest, merged, implied=implied)
        if found is not None:
            return found
    return None


def _candidates(
    entries: Mapping[str, bool], segment: str, *, implied: bool
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield the entries a segment may match: itself, then the parameters.

    A segment written like a parameter (``[id]``) matches no file as it is,
    and the ``index`` a folder URL implies fills no parameter.
    """
    if not _is_parameter(segment):
        yield segment, {}
    if implied:
        return
    for entry in sorted(entries):
        stem = entry.split(".", 1)[0] if not entries[entry] else entry
        if _is_parameter(stem):
            yield stem, {stem[1:-1]: segment}


def _is_parameter(name: str) -> bool:
    return len(name) > 2 and name[0] == "[" and name[-1] == "]"


def _follow(
    finder: Finder,
    done: list[str],
    rest: list[str],
    params: dict[str, str],
    *,
    implied: bool,
) -> tuple[str, Found, dict[str, str]] | None:
    if rest:
        return _match(finder, done, rest, params, implied=implied)
    found = _find_presenter(finder, "/".join(done))
    if found is not None:
        return _name(done[:-1], _stem(found.path.name), found), found, params
    if finder.find_folders(_folder(done)):
        return _match(finder, done, [INDEX], params, implied=True)
    return None


def _folder(parts: list[str]) -> str:
    return "/".join([PRESENTERS, *parts])


def _find_presenter(finder: Finder, name: str) -> Found | None:
    found = finder.find(f"{PRESENTERS}/{name}")
    if found is None or _is_metadata(found.path.name):
        return None
    return found


def route_settings(
    finder: Finder, config: Configuration, path: str, name: str
) -> dict[str, Any]:
    """Merge the default, configured and per-file settings of one route."""
    settings = dict(DEFAULT_SETTINGS)
    for _, values in _matching_patterns(config.load("routes"), path):
        settings.update(values)
    settings.update(metadata(finder, f"{PRESENTERS}/{name}", config=config))
    return settings


def _matching_patterns(
    routes: Mapping[str, Any], path: str
) -> list[tuple[str, Mapping[str, Any]]]:
    matching = []
    for pattern, values in routes.items():
        if not isinstance(values, Mapping):
            raise ConfigError(
                f"The route {pattern!r} must map to a table of settings, "
                f"not {values!r}."
            )
        if fnmatch.fnmatchcase(path, pattern):
            matching.append((pattern, values))
    return sorted(matching, key=lambda item: len(item[0].replace("*", "")))


def metadata(
    finder: Finder, name: str, *, config: Configuration | None = None
) -> dict[str, Any]:
    """Return the metadata of the file called ``name`` (``NAME.meta.json``), or {}.

    The metadata file is found through the layers like the file itself, so
    a layer that overrides a page inherits its metadata unless it writes
    its own.
    """
    base = name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name
    found = finder.find(base + METADATA_MARK, exts=METADATA_EXTS)
    if found is None:
        return {}
    document = config.read(found.path) if config else read_file(found.path)
    return dict(document.data)


def _stem(filename: str) -> str:
    return filename.rsplit(".", 1)[0] if "." in filename else filename


def list_routes(finder: Finder) -> list[tuple[str, Found]]:
    """Return (URL pattern, file) for every presenter the layers hold, sorted."""
    return [(url, found) for url, _, found in list_presenters(finder)]


def list_presenters(finder: Finder) -> list[tuple[str, str, Found]]:
    """Return (URL pattern, presenter name, file) for every presenter, by URL."""
    routes: dict[str, tuple[str, Found]] = {}
    _walk(finder, [], routes)
    return [(url, name, found) for url, (name, found) in sorted(routes.items())]


def _walk(
    finder: Finder, parts: list[str], routes: dict[str, tuple[str, Found]]
) -> None:
    for entry, is_dir in finder.entries(_folder(parts)).items():
        if is_dir:
            if _is_safe(parts + [entry]):
                _walk(finder, parts + [entry], routes)
            continue
        stem = _stem(entry)
        if _is_metadata(entry) or not _is_safe(parts + [stem]):
            continue
        found = _find_presenter(finder, "/".join(parts + [stem]))
        if found is not None:
            name = _name(parts, stem, found)
            routes.setdefault(_url(parts, stem, found), (name, found))


def _is_safe(parts: list[str]) -> bool:
    try:
        check_name("/".join(parts))
    except UnsafeNameError:
        return False
    return True


def _name(parts: list[str], stem: str, found: Found) -> str:
    """Return the presenter's one name, however the URL spelled it.

    Pages (code and HTML) are named without their extension, other files
    with it: ``/about`` and ``/about.html`` are both ``about``, and
    ``/data`` and ``/data.txt`` both ``data.txt``. Access lists decide on
    this name.
    """
    if found.path.suffix not in (CODE_EXTENSION, ".html", ".htm"):
        stem = found.path.name
    return "/".join(parts + [stem])


def _url(parts: list[str], stem: str, found: Found) -> str:
    """Return the URL a presenter is listed under: pages without extension."""
    if found.path.suffix not in (CODE_EXTENSION, ".html", ".htm"):
        stem = found.path.name
    return "/" + "/".join(parts if stem == INDEX else parts + [stem])
