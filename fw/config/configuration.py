"""Load configuration by name through the layers, merged, cached and explained."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..exceptions import ConfigError
from ..plain import Plain
from . import environ as variables
from .merge import copy, has, leaves, merge
from .readers import Document, KeyPath, read_file

logger = logging.getLogger(__name__)

EXTENSIONS = (".json", ".toml", ".ini", ".xml", ".yaml", ".yml")

Stamp = tuple[int, int]


class Finder(Protocol):
    """What configuration needs of the finder (see fw.finder.Finder)."""

    def find_all(self, name: str, *, exts: Sequence[str] | None = None) -> list[Any]:
        """Return one found file (with .path and .layer) per layer, specific first."""


class Origin(Plain):
    """Say where one value of a loaded configuration came from.

    ``written`` is the text as the file has it, when environment variables
    changed it; ``explain`` shows that rather than the secret it became.
    """

    __slots__ = ("key", "value", "layer", "path", "line", "written")
    fields = ("key", "value", "layer", "path", "line", "written")

    def __init__(
        self,
        key: KeyPath,
        value: Any,
        layer: str,
        path: Path,
        line: int | None,
        written: str | None = None,
    ) -> None:
        self.key = key
        self.value = value
        self.layer = layer
        self.path = path
        self.line = line
        self.written = written

    @property
    def dotted(self) -> str:
        """Return the key path as text: ``database.hosts[0]``."""
        return dotted(self.key)


class _Link:
    """One file of a merged chain: its layer, stamp and document."""

    __slots__ = ("layer", "stamp", "document")

    def __init__(self, layer: str, stamp: Stamp, document: Document) -> None:
        self.layer = layer
        self.stamp = stamp
        self.document = document


class _Loaded:
    """A merged result: the chain it came from, its data, the texts as written."""

    __slots__ = ("chain", "data", "written")

    def __init__(
        self,
        chain: tuple[_Link, ...],
        data: dict[str, Any],
        written: dict[KeyPath, str],
    ) -> None:
        self.chain = chain
        self.data = data
        self.written = written

    @property
    def stamps(self) -> tuple[tuple[Path, Stamp], ...]:
        return _stamps(self.chain)

    def link_of(self, key: KeyPath) -> _Link:
        """Return the most specific file of the chain that holds `key`."""
        return next(link for link in self.chain if has(link.document.data, key))


class Configuration:
    """Load configuration files by name, merged over the layers that extend.

    ``load("settings")`` asks the finder for ``config/settings`` with any of
    ``exts`` (in that order of preference within one folder) and returns the
    most specific file's data; when that file says ``extends``, it is merged
    over the same name in the layers below, and so on down while each lower
    file extends too.

    Parsed files are cached by path, modification time and size, and merged
    results by name until one of their files changes. With ``watch=False``
    (production) a loaded name is never looked at on disk again. ``folder``
    names the layers' sub-folder that holds the files (table descriptions
    are read the same way from ``schema/``). With ``merge_all`` every file
    merges over the layers below as if it said ``extends`` (texts do: an
    application's texts lie over fw's own).
    """

    def __init__(
        self,
        finder: Finder,
        *,
        environ: Mapping[str, str] | None = None,
        exts: Sequence[str] = EXTENSIONS,
        watch: bool = True,
        folder: str = "config",
        merge_all: bool = False,
    ) -> None:
        self.finder = finder
        self.folder = folder
        self.merge_all = merge_all
        self.environ = os.environ if environ is None else environ
        self.exts = tuple(exts)
        self.watch = watch
        # NOTE: counts files read and parsed, so tests can see cache hits.
        self.reads = 0
        self._files: dict[Path, tuple[Stamp, Document]] = {}
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.RLock()

    def load(self, name: str) -> dict[str, Any]:
        """Return the merged data of ``config/<name>``; {} when no layer has it."""
        return copy(self._load(name).data)

    def read(self, path: Path) -> Document:
        """Return one file's document, read again only when it changed."""
        with self._lock:
            return self._link("", Path(path)).document

    def shared(self, name: str) -> Mapping[str, Any]:
        """Return the merged data without copying it: read it, never change it.

        For readers on the per-request path (texts), where a copy per
        lookup would cost more than the lookup.
        """
        return self._load(name).data

    def explain(self, name: str) -> list[Origin]:
        """Return where each value of ``config/<name>`` came from, in key order."""
        loaded = self._load(name)
        return [self._origin(loaded, key, value) for key, value in leaves(loaded.data)]

    def format_explain(self, name: str) -> str:
        """Return `explain` as text for ``python -m fw config explain``."""
        origins = self.explain(name)
        if not origins:
            return f"{self.folder}/{name}: no layer has this file.\n"

        rows = [(f"{o.dotted} = {_show(o)}", _place(o)) for o in origins]
        width = max(len(left) for left, _ in rows)
        body = "".join(f"{left:<{width}}  <- {right}\n" for left, right in rows)

        return f"{self.folder}/{name}\n{body}"

    def clear(self) -> None:
        """Forget every cached file and result, so the next load reads again."""
        with self._lock:
            self._files.clear()
            self._loaded.clear()

    def _load(self, name: str) -> _Loaded:
        with self._lock:
            cached = self._loaded.get(name)
            if cached is not None and not self.watch:
                return cached

            chain = self._chain(name)
            if cached is not None and cached.stamps == _stamps(chain):
                return cached

            loaded = self._merge(chain)
            self._loaded[name] = loaded
            return loaded

    def _chain(self, name: str) -> tuple[_Link, ...]:
        chain = []
        for found in self.finder.find_all(f"{self.folder}/{name}", exts=self.exts):
            link = self._link(found.layer, Path(found.path))
            chain.append(link)
            if not (link.document.extends or self.merge_all):
                break
        return tuple(chain)

    def _link(self, layer: str, path: Path) -> _Link:
        stamp = _stamp(path)

        cached = self._files.get(path)
        if cached is not None and cached[0] == stamp:
            return _Link(layer, stamp, cached[1])

        document = read_file(path)
        self.reads += 1
        self._files[path] = (stamp, document)
        return _Link(layer, stamp, document)

    def _merge(self, chain: tuple[_Link, ...]) -> _Loaded:
        data: dict[str, Any] = {}
        for link in reversed(chain):
            data = merge(data, link.document.data)

        partial = _Loaded(chain, data, {})

        def locate(key: KeyPath, error: ValueError) -> ConfigError:
            document = partial.link_of(key).document
            return ConfigError(
                f"The value of {dotted(key)!r} {error}",
                origin=str(document.path),
                line=document.line_of(key),
            )

        data, written = variables.expand_all(data, self.environ, locate)
        return _Loaded(chain, data, written)

    @staticmethod
    def _origin(loaded: _Loaded, key: KeyPath, value: Any) -> Origin:
        link = loaded.link_of(key)
        return Origin(
            key=key,
            value=value,
            layer=link.layer,
            path=link.document.path,
            line=link.document.line_of(key),
            written=loaded.written.get(key),
        )


def dotted(key: KeyPath) -> str:
    """Return a key path as text: ``("database", "hosts", 0)`` is database.hosts[0]."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _stamps(chain: tuple[_Link, ...]) -> tuple[tuple[Path, Stamp], ...]:
    return tuple((link.document.path, link.stamp) for link in chain)


def _stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError as error:
        raise ConfigError(
            f"The configuration file cannot be read ({error.strerror}). "
            "Check that it still exists and that the process may read it.",
            origin=str(path),
        ) from None
    return status.st_mtime_ns, status.st_size


def _show(origin: Origin) -> str:
    if origin.written is not None:
        return json.dumps(origin.written, ensure_ascii=False)
    return json.dumps(origin.value, ensure_ascii=False)


def _place(origin: Origin) -> str:
    line = f":{origin.line}" if origin.line is not None else ""
    return f"{origin.layer}: {origin.path}{line}"
