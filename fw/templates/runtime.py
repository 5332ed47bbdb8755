"""What compiled templates call while they render.

Generated code reaches this module as ``_t``; it runs without Python's
builtins, so the few it needs (``enumerate``, ``len``, ``type``, ``int``)
are offered here under plain names.

The names a template sees are a ``Names`` dict: the values the rendering
was given, in front of the engine's filters and globals. A value given as
``Lazy`` is computed when a template first reads it, so that a name such
as the visitor's language costs nothing in the templates that never use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Protocol

from ..exceptions import TemplateError
from ..expressions import runtime as expression_runtime
from .markup import Markup, escape_text

# NOTE: the builtins generated code may use, since it runs without any.
enumerate = enumerate
length = len
type_of = type
int_type = int

TEMPLATE_MARK = "__fw_template__"
_UNSET = object()
_NOTHING: Mapping[str, Any] = {}


class Lazy:
    """A template name's value, computed by ``function()`` when first read."""

    __slots__ = ("function", "value")

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.value: Any = _UNSET

    def get(self) -> Any:
        """Return the value, computing it the first time only."""
        if self.value is _UNSET:
            self.value = self.function()
        return self.value

    def __repr__(self) -> str:
        return f"<Lazy {self.function!r}>"


class Names(dict):
    """The names of one rendering, in front of the engine's ``base`` names.

    PERF: the base names (filters and globals) are not copied into every
    rendering's dict; the first read of one keeps it here.
    """

    __slots__ = ("base",)
    base: Mapping[str, Any]

    def __missing__(self, key: str) -> Any:
        value = self[key] = self.base[key]
        return value


def names_for(
    base: Mapping[str, Any], context: Mapping[str, object] | None
) -> Names:
    """Return the names of a rendering: ``context`` in front of ``base``."""
    names = Names(context or _NOTHING)
    names.base = base
    return names


def scope(names: Names) -> Names:
    """Return a copy of ``names`` for a loop, block or include to change."""
    inner = Names(names)
    inner.base = names.base
    return inner


def name(names: Names, key: str, at: tuple[str, int, int]) -> Any:
    """Return the name ``key``, computing it first when it is Lazy."""
    try:
        value = names[key]
    except KeyError:
        return expression_runtime.name(names, key, at)
    if type(value) is Lazy:
        return _computed(names, key, value)
    return value


def pipe(names: Names, key: str, at: tuple[str, int, int], *args: Any) -> Any:
    """Apply filter ``key``, read like any name: ``value | f(a)`` is ``f(value, a)``."""
    return expression_runtime.call(name(names, key, at), at, *args)


def _computed(names: Names, key: str, lazy: Lazy) -> Any:
    try:
        value = names[key] = lazy.get()
    except KeyError as exc:
        # NOTE: a bare KeyError would name the missing key, not the name.
        raise TemplateError(
            f"Computing the value of {key!r} failed with KeyError: {exc}"
        ) from exc
    return value


class Compiled(Protocol):
    """What Render needs of a template: its origin and its root function."""

    origin: str
    blocks: Mapping[str, tuple[Callable, ...]]
    uses_ctx: bool

    def root(self, ctx: Render | None, names: Names, out: list[str]) -> None:
        """Append the template's output to ``out``."""


def out(value: Any) -> str:
    """Return ``value`` as HTML text: escaped unless it is Markup, None as ''."""
    if type(value) is str:
        # PERF: escape_text inlined; this runs for nearly every output.
        if "&" in value:
            value = value.replace("&", "&amp;")
        if "<" in value:
            value = value.replace("<", "&lt;")
        if ">" in value:
            value = value.replace(">", "&gt;")
        if '"' in value:
            value = value.replace('"', "&#34;")
        if "'" in value:
            value = value.replace("'", "&#39;")
        return value
    if type(value) is int:
        return str(value)
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        # NOTE: a plain str, so that joining it to text escapes nothing.
        return str(value.__html__())
    return escape_text(str(value))


def iterable(value: Any) -> Sequence[Any]:
    """Return what a {% for %} loops over, with a length for ``loop.last``."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple, range, str)):
        return value
    if isinstance(value, Mapping):
        return list(value)
    try:
        return list(value)
    except TypeError:
        raise TemplateError(
            f"{{% for %}} cannot loop over a value of type {type(value).__name__}; "
            "give it a list, a mapping or another iterable."
        ) from None


class Loop:
    """The ``loop`` variable of a {% for %}: where the loop stands."""

    __slots__ = ("index0", "length")

    def __init__(self, length: int) -> None:
        self.index0 = 0
        self.length = length

    @property
    def index(self) -> int:
        """Return the 1-based number of the current item."""
        return self.index0 + 1

    @property
    def first(self) -> bool:
        """Tell whether the current item is the first."""
        return self.index0 == 0

    @property
    def last(self) -> bool:
        """Tell whether the current item is the last."""
        return self.index0 == self.length - 1

    @property
    def revindex(self) -> int:
        """Return how many items remain, the current one included."""
        return self.length - self.index0

    def __repr__(self) -> str:
        return f"<Loop {self.index} of {self.length}>"


class Render:
    """The state of one rendering: how to load templates and the blocks in force.

    ``blocks`` maps a block's name to its functions, the most specific
    template's first; ``chain`` holds the origins of the templates extended
    so far.
    """

    __slots__ = ("load", "blocks", "chain")

    def __init__(self, load: Callable[[str], Compiled], template: Compiled) -> None:
        self.load = load
        self.blocks = template.blocks
        self.chain = (template.origin,)

    def extend(self, name: Any, names: Names, out: list[str]) -> None:
        """Append the output of the parent template ``name``."""
        template = self.load(_template_name(name, "extends"))
        if template.origin in self.chain:
            cycle = " -> ".join([*self.chain, template.origin])
            raise TemplateError(
                f"Templates extend each other in a circle ({cycle}); "
                "break the circle."
            )
        self.chain = (*self.chain, template.origin)
        self.blocks = _below(self.blocks, template.blocks)
        template.root(self, names, out)

    def include(self, name: Any, names: Names, out: list[str]) -> None:
        """Append the output of template ``name``, seeing the same names."""
        template = self.load(_template_name(name, "include"))
        ctx = Render(self.load, template) if template.uses_ctx else None
        template.root(ctx, scope(names), out)

    def block(self, name: str, names: Names, out: list[str], level: int = 0) -> None:
        """Append block ``name`` as the ``level``-th most specific template has it."""
        self.blocks[name][level](self, names, out, level)

    def super_of(self, name: str, names: Names, level: int) -> Callable[[], Markup]:
        """Return the ``super()`` of a block: the next less specific version."""
        return partial(self._super, name, names, level + 1)

    def _super(self, name: str, names: Names, level: int) -> Markup:
        if level >= len(self.blocks[name]):
            raise TemplateError(
                f"super() was called in the block {name!r}, but no parent template "
                "defines that block; remove the call."
            )
        out: list[str] = []
        self.block(name, names, out, level)
        return Markup("".join(out))


def _below(
    upper: Mapping[str, tuple[Callable, ...]], lower: Mapping[str, tuple[Callable, ...]]
) -> dict[str, tuple[Callable, ...]]:
    """Return the blocks of ``upper`` with a parent's ``lower`` ones after them."""
    merged = dict(upper)
    for name, functions in lower.items():
        merged[name] = upper.get(name, ()) + functions
    return merged


def _template_name(name: Any, tag: str) -> str:
    if not isinstance(name, str):
        raise TemplateError(
            f"{{% {tag} %}} needs a template name (a string), "
            f"not a {type(name).__name__}."
        )
    return name


def locate(exc: BaseException, message: str) -> TemplateError:
    """Return a TemplateError naming the template line where ``exc`` arose."""
    origin, line, column = None, None, None
    trace: TracebackType | None = exc.__traceback__
    while trace is not None:
        namespace = trace.tb_frame.f_globals
        if TEMPLATE_MARK in namespace:
            origin = namespace[TEMPLATE_MARK]
            line, column = namespace["_lines"].get(trace.tb_lineno, (None, None))
        trace = trace.tb_next
    return TemplateError(message, origin=origin, line=line, column=column)
