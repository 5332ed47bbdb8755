"""The template engine of one application: find, compile, cache, render.

Templates are found through the finder under ``templates/`` with the
extension ``.html``, compiled once, kept in memory and, when a cache folder
is given, on disk as marshalled code, so a process that starts fresh for
every request (CGI) does not compile again.

A cache file is named from the template's path, fw's version and Python's
bytecode version; its header holds the source's modification time and size.
A file whose header does not match, or that cannot be read, is ignored and
written again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import marshal
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import CodeType
from typing import Any, Protocol

import fw

from ..exceptions import ExpressionError, FwError, TemplateError, UnsafeNameError
from ..expressions import runtime as expression_runtime
from . import runtime
from .filters import BUILTIN

logger = logging.getLogger(__name__)

EXTENSION = ".html"
CACHE_FORMAT = "fw-templates-3"


class FinderLike(Protocol):
    """Anything with fw.finder.Finder's ``find``."""

    def find(self, name: str, *, exts: Sequence[str] | None = None) -> Any:
        """Return an object with ``.path`` for file ``name``, or None."""


class Template:
    """A compiled template, ready to render with a context."""

    def __init__(
        self, code: CodeType, *, name: str, origin: str, engine: Templates
    ) -> None:
        namespace: dict[str, Any] = {
            "__builtins__": {},
            runtime.TEMPLATE_MARK: origin,
            "_t": runtime,
            "rt": expression_runtime,
        }
        exec(code, namespace)
        self.name = name
        self.origin = origin
        self.root: Callable[..., None] = namespace["root"]
        self.blocks = {name: (fn,) for name, fn in namespace["blocks"].items()}
        self.uses_ctx: bool = namespace["uses_ctx"]
        self._engine = engine

    def generate(self, context: Mapping[str, object] | None = None) -> Iterator[str]:
        """Yield the rendered text in pieces, once all of it is rendered."""
        yield from self._pieces(context)

    def render(self, context: Mapping[str, object] | None = None) -> str:
        """Return the rendered text."""
        return "".join(self._pieces(context))

    def _pieces(
        self,
        context: Mapping[str, object] | None,
        behind: Mapping[str, object] | None = None,
    ) -> list[str]:
        """Return the rendered text as the list of pieces the code appended."""
        base = self._engine.names if behind is None else behind
        names = runtime.names_for(base, context)
        ctx = runtime.Render(self._engine.get, self) if self.uses_ctx else None
        pieces: list[str] = []
        try:
            self.root(ctx, names, pieces)
        except Exception as exc:
            error = _template_error(exc)
            if error is exc:
                raise
            raise error from exc
        return pieces

    def __repr__(self) -> str:
        return f"<Template {self.name!r} from {self.origin}>"


def _template_error(exc: Exception) -> Exception:
    """Return the error to raise for ``exc``, naming the template line."""
    if isinstance(exc, TemplateError) and exc.origin:
        return exc
    if isinstance(exc, (TemplateError, ExpressionError)):
        if exc.origin:
            where = {"origin": exc.origin, "line": exc.line, "column": exc.column}
            return TemplateError(exc.message, **where)
        return runtime.locate(exc, exc.message)
    if isinstance(exc, FwError):
        return exc
    return runtime.locate(exc, f"Rendering failed with {type(exc).__name__}: {exc}")


class Templates:
    """Find, compile, cache and render the templates of one application."""

    def __init__(
        self,
        finder: FinderLike,
        *,
        cache_dir: Path | None = None,
        auto_reload: bool = False,
        filters: Mapping[str, Callable[..., Any]] | None = None,
        globals: Mapping[str, object] | None = None,
        prefix: str = "",
    ) -> None:
        self.finder = finder
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.auto_reload = auto_reload
        self.names: dict[str, Any] = {**BUILTIN, **(filters or {}), **(globals or {})}
        self.compile_count = 0
        self._by_name: dict[str, Template] = {}
        self._by_path: dict[str, tuple[tuple[int, int], Template]] = {}

    def get(self, name: str) -> Template:
        """Return the compiled template ``name`` (without extension)."""
        template = None if self.auto_reload else self._by_name.get(name)
        if template is None:
            template = self._load(name, self._find(name))
            self._by_name[name] = template
        return template

    def exists(self, name: str) -> bool:
        """Tell whether a template called ``name`` can be found."""
        try:
            return self._found(name) is not None
        except UnsafeNameError:
            return False

    def render(
        self,
        name: str,
        context: Mapping[str, object] | None = None,
        *,
        behind: Mapping[str, object] | None = None,
    ) -> str:
        """Return template ``name`` rendered with ``context``.

        ``behind`` is read for the names ``context`` lacks, in place of the
        engine's filters and globals (``names``), which it should end in:
        how a request offers its own names without making any in advance.
        """
        # PERF: one call less than get(name).render(context).
        return "".join(self.get(name)._pieces(context, behind))

    def from_string(self, source: str, *, origin: str = "<string>") -> Template:
        """Compile template text that does not come from a file (not cached)."""
        code = self._compile(source, origin)
        return Template(code, name=origin, origin=origin, engine=self)

    def _find(self, name: str) -> Path:
        try:
            found = self._found(name)
        except UnsafeNameError as exc:
            message = f"The template name {name!r} is refused: {exc}"
            raise TemplateError(message) from exc
        if found is None:
            raise TemplateError(
                f"No template called {name!r} was found; add {name}{EXTENSION} "
                "to the templates/ folder of one of the application's layers."
            )
        return Path(found.path)

    def _found(self, name: str) -> Any:
        return self.finder.find(self.prefix + name, exts=(EXTENSION,))

    def _load(self, name: str, path: Path) -> Template:
        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size)
        cached = self._by_path.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]
        code = self._cached_code(path, signature)
        template = Template(code, name=name, origin=str(path), engine=self)
        self._by_path[str(path)] = (signature, template)
        return template

    def _cached_code(self, path: Path, signature: tuple[int, int]) -> CodeType:
        """Return the template's code from the disk cache, compiling on a miss."""
        cache = None
        if self.cache_dir is not None:
            cache = _DiskCache(self.cache_dir, path, signature)
        code = cache.read() if cache else None
        if code is None:
            code = self._compile(path.read_text(encoding="utf-8"), str(path))
            if cache:
                cache.write(code)
        return code

    def _compile(self, source: str, origin: str) -> CodeType:
        from .compiler import compile_template

        logger.debug("Compiling template %s", origin)
        self.compile_count += 1
        return compile_template(source, origin)


class _DiskCache:
    """One template's compiled code in the cache folder."""

    def __init__(self, folder: Path, path: Path, signature: tuple[int, int]) -> None:
        version = getattr(fw, "__version__", "unknown")
        magic = importlib.util.MAGIC_NUMBER.hex()
        key = "\0".join((CACHE_FORMAT, version, magic, str(path)))
        self.file = folder / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".code")
        self.header = f"{CACHE_FORMAT} {magic} {signature[0]} {signature[1]}\n".encode()

    def read(self) -> CodeType | None:
        """Return the cached code, or None when it is missing, stale or damaged."""
        try:
            data = self.file.read_bytes()
        except OSError:
            return None
        if not data.startswith(self.header):
            return None
        try:
            code = marshal.loads(data[len(self.header) :])
        except (EOFError, ValueError, TypeError):
            logger.warning("Ignoring damaged template cache file %s", self.file)
            return None
        return code if isinstance(code, CodeType) else None

    def write(self, code: CodeType) -> None:
        """Store the code atomically; a failure is logged, never raised."""
        temporary = None
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.file.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(self.header + marshal.dumps(code))
            os.replace(temporary, self.file)
        except OSError as exc:
            logger.warning("Cannot write template cache file %s: %s", self.file, exc)
            _remove(temporary)


def _remove(path: str | None) -> None:
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass
