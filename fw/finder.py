"""Find files by name through an ordered list of layer folders.

The finder is how fw reaches anything an application is made of. It takes
the layers from the most specific to the most general and a name such as
``config/settings`` or ``presenters/products/list``, and returns the first
file with that name whatever its extension.

Rules, fixed and documented in docs/architecture.md:

- A name is a relative path with ``/`` between parts. A part may not be
  empty, ``.`` or ``..``, may not start with a dot, and may not hold a
  backslash, NUL or any other control character: such names raise
  UnsafeNameError before any folder is touched.
- A file matches a name when it is the name exactly, or the name plus one
  extension (``site`` matches ``site.css``; ``jquery`` does not match
  ``jquery.min.js``, but ``jquery.min`` does).
- A caller may give the extensions it accepts (``("", ".json")``; "" is
  the exact name): then only those match, and within one folder the first
  in the caller's order wins. Without them, the exact name wins, then the
  extensions in alphabetical order.
- A file, or a folder on the way to it, that is a link leading out of its
  layer is never returned.
- A layer's folder may be given lazily, as a callable evaluated on first
  use; a layer whose folder is None or missing is skipped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from . import caches
from .exceptions import UnsafeNameError
from .plain import Plain

FolderSource = str | os.PathLike | Callable[[], "str | os.PathLike | None"] | None

#: How many answers a finder keeps; past it the oldest go first.
RESULTS_KEPT = 4096


class Found(Plain):
    """A file the finder found, with the layer it came from; never changed."""

    __slots__ = ("path", "layer")
    fields = ("path", "layer")

    def __init__(self, path: Path, layer: str) -> None:
        self.path = path
        self.layer = layer

    @property
    def extension(self) -> str:
        """Return the file's extension with its dot, or "" when it has none."""
        return self.path.suffix


class Layer:
    """A named folder in the cascade, resolved on first use when given lazily."""

    _unresolved = object()

    def __init__(self, name: str, folder: FolderSource) -> None:
        self.name = name
        self._source = folder
        self._folder = self._unresolved

    @property
    def folder(self) -> Path | None:
        """Return the layer's real folder, or None when it has none."""
        if self._folder is self._unresolved:
            self._folder = self._resolve()
        return self._folder

    def _resolve(self) -> Path | None:
        source = self._source() if callable(self._source) else self._source
        if source is None:
            return None
        path = Path(os.path.realpath(source))
        return path if path.is_dir() else None

    def __repr__(self) -> str:
        return f"Layer({self.name!r}, {self._source!r})"


def check_name(name: str) -> tuple[str, ...]:
    """Split a relative name into its parts, refusing any that could leave a folder."""
    if not isinstance(name, str) or not name:
        raise UnsafeNameError(
            f"A name to find must be a non-empty string, not {name!r}."
        )
    parts = tuple(name.split("/"))
    for part in parts:
        _check_part(name, part)
    return parts


def _check_part(name: str, part: str) -> None:
    if part in ("", ".", ".."):
        raise UnsafeNameError(f"The name {name!r} has an empty, '.' or '..' part.")
    if part.startswith("."):
        raise UnsafeNameError(f"The name {name!r} reaches a hidden file or folder.")
    if "\\" in part or any(ord(char) < 32 or ord(char) == 127 for char in part):
        raise UnsafeNameError(
            f"The name {name!r} holds a backslash or a control character."
        )


class Listings:
    """Cache directory listings; shared by the finders of one application."""

    def __init__(self, *, watch: bool) -> None:
        self.watch = watch
        self._entries: dict[Path, tuple[int, dict[str, bool]]] = {}

    def entries(self, folder: Path) -> dict[str, bool]:
        """Return {name: is_dir} for a folder's visible entries ({} when absent)."""
        cached = self._entries.get(folder)
        if cached is not None and not self.watch:
            return cached[1]
        try:
            mtime = folder.stat().st_mtime_ns
        except OSError:
            return {}
        if cached is not None and cached[0] == mtime:
            return cached[1]
        found = self._scan(folder)
        self._entries[folder] = (mtime, found)
        return found

    @staticmethod
    def _scan(folder: Path) -> dict[str, bool]:
        found = {}
        try:
            with os.scandir(folder) as scan:
                for entry in scan:
                    if not entry.name.startswith("."):
                        found[entry.name] = entry.is_dir()
        except OSError:
            return {}
        return found

    def clear(self) -> None:
        """Forget every listing, so the next lookups read the disk again."""
        self._entries.clear()


class Finder:
    """Find files through an ordered list of layers, most specific first."""

    def __init__(
        self,
        layers: Iterable[Layer],
        *,
        watch: bool = False,
        listings: Listings | None = None,
    ) -> None:
        self.layers = tuple(layers)
        self.listings = listings or Listings(watch=watch)
        self._results: dict[tuple, tuple[Found, ...]] = {}

    def _keep(self, key: tuple, found: tuple[Found, ...]) -> None:
        # NOTE: the names asked for are unbounded (every made-up URL is
        # looked up), so the oldest answers go.
        caches.keep(self._results, key, found, RESULTS_KEPT)

    def find(self, name: str, *, exts: Sequence[str] | None = None) -> Found | None:
        """Return the most specific file called ``name``, or None."""
        found = self.find_all(name, exts=exts)
        return found[0] if found else None

    def find_all(
        self, name: str, *, exts: Sequence[str] | None = None
    ) -> list[Found]:
        """Return the file called ``name`` in each layer holding one, specific first."""
        key = (name, tuple(exts or ()))
        cached = self._results.get(key)
        if cached is None or self.listings.watch:
            cached = tuple(self._search(check_name(name), key[1]))
            self._keep(key, cached)
        return list(cached)

    def find_folders(self, name: str) -> list[Found]:
        """Return the folder called ``name`` in each layer that has one."""
        key = ("folders", name)
        cached = self._results.get(key)
        if cached is None or self.listings.watch:
            parts = check_name(name)
            cached = tuple(
                Found(path, layer.name)
                for layer in self.layers
                if (path := self._folder_in(layer, parts)) is not None
            )
            self._keep(key, cached)
        return list(cached)

    def entries(self, name: str) -> dict[str, bool]:
        """Return {entry: is_dir} of folder ``name`` merged over every layer."""
        merged: dict[str, bool] = {}
        for found in reversed(self.find_folders(name)):
            merged.update(self.listings.entries(found.path))
        return merged

    def _search(self, parts: tuple[str, ...], exts: tuple[str, ...]) -> Iterable[Found]:
        for layer in self.layers:
            folder = self._folder_in(layer, parts[:-1])
            if folder is None:
                continue
            filename = self._pick(folder, parts[-1], exts)
            if filename is not None:
                path = self._contained(layer, folder / filename, want_dir=False)
                if path is not None:
                    yield Found(path, layer.name)

    def _folder_in(self, layer: Layer, parts: Sequence[str]) -> Path | None:
        root = layer.folder
        if root is None:
            return None
        folder = root
        for part in parts:
            if not self.listings.entries(folder).get(part):
                return None
            folder = folder / part
        return self._contained(layer, folder, want_dir=True)

    def _pick(self, folder: Path, base: str, exts: tuple[str, ...]) -> str | None:
        entries = self.listings.entries(folder)
        if exts:
            names = (base + ext for ext in exts)
            return next((name for name in names if entries.get(name) is False), None)
        if entries.get(base) is False:
            return base
        prefix = base + "."
        candidates = sorted(
            name
            for name, is_dir in entries.items()
            if not is_dir and name.startswith(prefix) and "." not in name[len(prefix):]
        )
        return candidates[0] if candidates else None

    @staticmethod
    def _contained(layer: Layer, path: Path, *, want_dir: bool) -> Path | None:
        real = Path(os.path.realpath(path))
        if real != layer.folder and layer.folder not in real.parents:
            return None
        try:
            is_dir = stat.S_ISDIR(real.stat().st_mode)
        except OSError:
            return None
        return path if is_dir == want_dir else None
