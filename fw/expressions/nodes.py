"""The syntax tree of an expression: one small class per construct.

Every node knows the line and column of the token that names it (the
operator, the ``[``, the ``(``, the attribute or filter name) and its
depth: 1 for a literal or a name, else 1 + the depth of its deepest part.
"""

from __future__ import annotations

from typing import Any

from ..plain import Plain


class Node(Plain):
    """Base of the syntax tree nodes; each kind's own fields are its slots."""

    __slots__ = ("line", "column", "depth")
    fields: tuple[str, ...] = __slots__

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.fields = (*Node.fields, *cls.__slots__)

    def __init__(
        self, *, line: int, column: int, depth: int = 1, **given: Any
    ) -> None:
        self.line, self.column, self.depth = line, column, depth
        own = self.fields[len(Node.fields):]
        if set(given) != set(own):
            raise TypeError(
                f"{type(self).__name__} takes the fields {', '.join(own)}, "
                f"not {', '.join(sorted(given)) or 'none'}."
            )
        for name in own:
            setattr(self, name, given[name])

    def parts(self) -> tuple[Node, ...]:
        """Return the nodes this one is made of, in source order."""
        return ()


class Literal(Node):
    """A number, a string, true, false or null."""

    __slots__ = ("value",)
    value: object


class Name(Node):
    """A name read from the names the caller gave."""

    __slots__ = ("name",)
    name: str


class ListOf(Node):
    """A list display: ``[a, b]``."""

    __slots__ = ("items",)
    items: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return self.items


class MapOf(Node):
    """A map display: ``{"k": v}``; keys are string literals."""

    __slots__ = ("keys", "values")
    keys: tuple[str, ...]
    values: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return self.values


class Attribute(Node):
    """Attribute access: ``value.name``."""

    __slots__ = ("value", "name")
    value: Node
    name: str

    def parts(self) -> tuple[Node, ...]:
        return (self.value,)


class Item(Node):
    """Item access: ``value[key]``."""

    __slots__ = ("value", "key")
    value: Node
    key: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.value, self.key)


class Call(Node):
    """A call: ``function(a, b)``."""

    __slots__ = ("function", "args")
    function: Node
    args: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return (self.function, *self.args)


class Filter(Node):
    """A filter: ``value | name(a, b)``, which calls ``name(value, a, b)``."""

    __slots__ = ("value", "name", "args")
    value: Node
    name: str
    args: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return (self.value, *self.args)


class Unary(Node):
    """Unary ``-`` or ``+`` on a number."""

    __slots__ = ("op", "operand")
    op: str
    operand: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.operand,)


class Not(Node):
    """Logical negation: ``not operand``."""

    __slots__ = ("operand",)
    operand: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.operand,)


class Binary(Node):
    """Arithmetic: ``left op right`` with op one of ``+ - * / %``."""

    __slots__ = ("op", "left", "right")
    op: str
    left: Node
    right: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.left, self.right)


class Compare(Node):
    """One comparison: ``== != < <= > >= in`` or ``not in``."""

    __slots__ = ("op", "left", "right")
    op: str
    left: Node
    right: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.left, self.right)


class BoolOp(Node):
    """A chain of ``and`` or of ``or``: ``a and b and c``."""

    __slots__ = ("op", "operands")
    op: str
    operands: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return self.operands


class Conditional(Node):
    """The conditional: ``then if test else otherwise``."""

    __slots__ = ("then", "test", "otherwise")
    then: Node
    test: Node
    otherwise: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.then, self.test, self.otherwise)
