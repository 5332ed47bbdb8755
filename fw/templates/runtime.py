"""What compiled templates call while they render.

Generated code reaches this module as ``_t``; it runs without Python's
builtins, so the few it needs (``enumerate``, ``len``) are offered here
under plain names.

The names a template sees are a ``Names`` dict. A value given as ``Lazy``
is computed when a template first reads it, so that a name such as the
visitor's language costs nothing in the templates that never use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Protocol

from ..exceptions import TemplateError
from .markup import Markup, escape_text

# NOTE: the builtins generated code may use, since it runs without any.
enumerate = enumerate
length = len

TEMPLATE_MARK = "__fw_template__"
_UNSET = object()


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
    """The names of one rendering: a dict that computes its Lazy values on use."""

    # PERF: no __init__, so that making one is dict's own C code.
    __slots__ = ("lazy",)
    lazy: dict[str, Lazy]

    def __missing__(self, key: str) -> Any:
        lazy = self.lazy.get(key)
        if lazy is None:
            raise KeyError(key)
        try:
            value = self[key] = lazy.get()
        except KeyError as exc:
            # NOTE: a KeyError would read as "the name is not defined".
            raise TemplateError(
                f"Computing the value of {key!r} failed with KeyError: {exc}"
            ) from exc
        return value


def names_for(
    base: Mapping[str, Any], context: Mapping[str, object] | None
) -> Names:
    """Return the names of a rendering: ``base`` overridden by ``context``."""
    names = Names(base)
    names.lazy = {}
    if context:
        names.update(context)
        for key, value in context.items():
            if type(value) is Lazy:
                del names[key]
                names.lazy[key] = value
    return names


def scope(names: Names) -> Names:
    """Return a copy of ``names`` for a loop, block or include to change."""
    inner = Names(names)
    inner.lazy = names.lazy
    return inner


class Compiled(Protocol):
    """What Render needs of a template: its origin and its root function."""

    origin: str

    def root(self, ctx: Render, names: dict[str, Any]) -> Iterator[str]:
        """Yield the template's output."""


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
    """The state of one rendering: how to load templates and the blocks in force."""

    __slots__ = ("load", "blocks", "chain")

    def __init__(self, load: Callable[[str], Compiled], origin: str) -> None:
        self.load = load
        self.blocks: dict[str, list[Callable]] = {}
        self.chain = [origin]

    def enter(self, blocks: Mapping[str, Callable]) -> None:
        """Add a template's blocks below those of the templates extending it."""
        for name, function in blocks.items():
            self.blocks.setdefault(name, []).append(function)

    def extend(self, name: Any, names: dict[str, Any]) -> Iterator[str]:
        """Yield the output of the parent template ``name``."""
        template = self.load(_template_name(name, "extends"))
        if template.origin in self.chain:
            cycle = " -> ".join([*self.chain, template.origin])
            raise TemplateError(
                f"Templates extend each other in a circle ({cycle}); "
                "break the circle."
            )
        self.chain.append(template.origin)
        yield from template.root(self, names)

    def include(self, name: Any, names: dict[str, Any]) -> Iterator[str]:
        """Yield the output of template ``name``, seeing the same names."""
        template = self.load(_template_name(name, "include"))
        yield from template.root(Render(self.load, template.origin), scope(names))

    def block(self, name: str, names: dict[str, Any], level: int = 0) -> Iterator[str]:
        """Yield block ``name`` as the most specific template defines it."""
        inner = scope(names)
        inner["super"] = partial(self._super, name, names, level + 1)
        yield from self.blocks[name][level](self, inner)

    def _super(self, name: str, names: dict[str, Any], level: int) -> Markup:
        if level >= len(self.blocks[name]):
            raise TemplateError(
                f"super() was called in the block {name!r}, but no parent template "
                "defines that block; remove the call."
            )
        return Markup("".join(self.block(name, names, level)))


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
