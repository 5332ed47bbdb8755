"""The syntax tree of an expression: one small class per construct.

Every node knows the line and column of the token that names it (the
operator, the ``[``, the ``(``, the attribute or filter name) and its
depth: 1 for a literal or a name, else 1 + the depth of its deepest part.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, kw_only=True)
class Node:
    """Base of the syntax tree nodes."""

    line: int
    column: int
    depth: int = 1

    def parts(self) -> tuple[Node, ...]:
        """Return the nodes this one is made of, in source order."""
        return ()


@dataclass(slots=True, kw_only=True)
class Literal(Node):
    """A number, a string, true, false or null."""

    value: object


@dataclass(slots=True, kw_only=True)
class Name(Node):
    """A name read from the names the caller gave."""

    name: str


@dataclass(slots=True, kw_only=True)
class ListOf(Node):
    """A list display: ``[a, b]``."""

    items: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return self.items


@dataclass(slots=True, kw_only=True)
class MapOf(Node):
    """A map display: ``{"k": v}``; keys are string literals."""

    keys: tuple[str, ...]
    values: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return self.values


@dataclass(slots=True, kw_only=True)
class Attribute(Node):
    """Attribute access: ``value.name``."""

    value: Node
    name: str

    def parts(self) -> tuple[Node, ...]:
        return (self.value,)


@dataclass(slots=True, kw_only=True)
class Item(Node):
    """Item access: ``value[key]``."""

    value: Node
    key: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.value, self.key)


@dataclass(slots=True, kw_only=True)
class Call(Node):
    """A call: ``function(a, b)``."""

    function: Node
    args: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return (self.function, *self.args)


@dataclass(slots=True, kw_only=True)
class Filter(Node):
    """A filter: ``value | name(a, b)``, which calls ``name(value, a, b)``."""

    value: Node
    name: str
    args: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return (self.value, *self.args)


@dataclass(slots=True, kw_only=True)
class Unary(Node):
    """Unary ``-`` or ``+`` on a number."""

    op: str
    operand: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(slots=True, kw_only=True)
class Not(Node):
    """Logical negation: ``not operand``."""

    operand: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(slots=True, kw_only=True)
class Binary(Node):
    """Arithmetic: ``left op right`` with op one of ``+ - * / %``."""

    op: str
    left: Node
    right: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(slots=True, kw_only=True)
class Compare(Node):
    """One comparison: ``== != < <= > >= in`` or ``not in``."""

    op: str
    left: Node
    right: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(slots=True, kw_only=True)
class BoolOp(Node):
    """A chain of ``and`` or of ``or``: ``a and b and c``."""

    op: str
    operands: tuple[Node, ...]

    def parts(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(slots=True, kw_only=True)
class Conditional(Node):
    """The conditional: ``then if test else otherwise``."""

    then: Node
    test: Node
    otherwise: Node

    def parts(self) -> tuple[Node, ...]:
        return (self.then, self.test, self.otherwise)
