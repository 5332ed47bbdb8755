"""Turn a syntax tree into the source of one Python expression.

The generated expression reads two free variables only: ``names``, the
mapping of names, and ``rt``, the module fw.expressions.runtime. Every
construct becomes a call to a runtime helper, a Python display, or
Python's own ``and``/``or``/``not``/``if``-``else`` (the language's
truthiness is Python's). Each helper call carries its position as a
constant tuple, so a runtime error names the origin, line and column of
the token that failed, wherever the code is embedded.

Every fragment produced is self-delimiting (a call, a display, a literal
or a parenthesised group), so fragments nest without extra care.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from . import nodes, runtime

_BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}
_ORDER = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def generate(
    tree: nodes.Node,
    origin: str,
    bound: Mapping[str, str] | None = None,
    lookup: str = "rt",
) -> str:
    """Return the Python expression source that evaluates ``tree``.

    ``bound`` maps names to the Python variables that hold them (the
    templates engine keeps loop variables in locals); those names and
    filters are read from the variables instead of from ``names``.
    ``lookup`` is the module whose ``name`` and ``pipe`` (called like
    ``rt.name`` and ``rt.pipe``) read the other names from ``names``.
    """
    return _Generator(origin, bound or {}, lookup).emit(tree)


class _Generator:
    """Emit Python source for each node type."""

    def __init__(self, origin: str, bound: Mapping[str, str], lookup: str) -> None:
        self.origin = origin
        self.bound = bound
        self.lookup = lookup

    def emit(self, node: nodes.Node) -> str:
        return _EMITTERS[type(node)](self, node)

    def at(self, node: nodes.Node) -> str:
        return repr((self.origin, node.line, node.column))

    def joined(self, parts: tuple[nodes.Node, ...]) -> str:
        return "".join(f", {self.emit(part)}" for part in parts)

    def literal(self, node: nodes.Literal) -> str:
        return _constant(node.value)

    def name(self, node: nodes.Name) -> str:
        if node.name in self.bound:
            return self.bound[node.name]
        return f"{self.lookup}.name(names, {node.name!r}, {self.at(node)})"

    def list_of(self, node: nodes.ListOf) -> str:
        return "[" + ", ".join(self.emit(item) for item in node.items) + "]"

    def map_of(self, node: nodes.MapOf) -> str:
        entries = zip(node.keys, node.values)
        return "{" + ", ".join(f"{k!r}: {self.emit(v)}" for k, v in entries) + "}"

    def attribute(self, node: nodes.Attribute) -> str:
        value = self.emit(node.value)
        return f"rt.attr({value}, {node.name!r}, {self.at(node)})"

    def item(self, node: nodes.Item) -> str:
        value, key = self.emit(node.value), self.emit(node.key)
        return f"rt.item({value}, {key}, {self.at(node)})"

    def call(self, node: nodes.Call) -> str:
        function = self.emit(node.function)
        return f"rt.call({function}, {self.at(node)}{self.joined(node.args)})"

    def filter(self, node: nodes.Filter) -> str:
        args = self.joined((node.value, *node.args))
        if node.name in self.bound:
            return f"rt.call({self.bound[node.name]}, {self.at(node)}{args})"
        return f"{self.lookup}.pipe(names, {node.name!r}, {self.at(node)}{args})"

    def unary(self, node: nodes.Unary) -> str:
        helper = runtime.neg if node.op == "-" else runtime.pos
        operand = node.operand
        if isinstance(operand, nodes.Literal) and type(operand.value) in (int, float):
            folded = helper(operand.value, (self.origin, node.line, node.column))
            return f"({_constant(folded)})"
        return f"rt.{helper.__name__}({self.emit(operand)}, {self.at(node)})"

    def negation(self, node: nodes.Not) -> str:
        return f"(not {self.emit(node.operand)})"

    def binary(self, node: nodes.Binary) -> str:
        left, right = self.emit(node.left), self.emit(node.right)
        return f"rt.{_BINARY[node.op]}({left}, {right}, {self.at(node)})"

    def compare(self, node: nodes.Compare) -> str:
        left, right = self.emit(node.left), self.emit(node.right)
        if node.op in ("==", "!="):
            test = f"rt.eq({left}, {right})"
        elif node.op in _ORDER:
            return f"rt.{_ORDER[node.op]}({left}, {right}, {self.at(node)})"
        else:
            test = f"rt.is_in({left}, {right}, {self.at(node)})"
        return test if node.op in ("==", "in") else f"(not {test})"

    def bool_op(self, node: nodes.BoolOp) -> str:
        return "(" + f" {node.op} ".join(map(self.emit, node.operands)) + ")"

    def conditional(self, node: nodes.Conditional) -> str:
        then, test = self.emit(node.then), self.emit(node.test)
        return f"({then} if {test} else {self.emit(node.otherwise)})"


def _constant(value: object) -> str:
    """Return the Python literal of a constant; repr() spells infinity 'inf'."""
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    return repr(value)


_EMITTERS: dict[type, Callable[[_Generator, nodes.Node], str]] = {
    nodes.Literal: _Generator.literal,
    nodes.Name: _Generator.name,
    nodes.ListOf: _Generator.list_of,
    nodes.MapOf: _Generator.map_of,
    nodes.Attribute: _Generator.attribute,
    nodes.Item: _Generator.item,
    nodes.Call: _Generator.call,
    nodes.Filter: _Generator.filter,
    nodes.Unary: _Generator.unary,
    nodes.Not: _Generator.negation,
    nodes.Binary: _Generator.binary,
    nodes.Compare: _Generator.compare,
    nodes.BoolOp: _Generator.bool_op,
    nodes.Conditional: _Generator.conditional,
}
