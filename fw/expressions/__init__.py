"""fw's expression language: parse once, compile to Python, evaluate often.

One language serves access lists, validation rules and templates, and a
JavaScript twin implements the same grammar (docs/expressions.md) and
passes the same vectors (tests/vectors/expressions.json)::

    expr = compile_expression("user.age >= 18 and 'admin' in user.roles")
    expr.evaluate({"user": {"age": 30, "roles": ["admin"]}})  # True

An expression is turned into the source of ONE Python expression (see
:func:`python_source`) whose only free variables are ``names``, the
mapping of names, and ``rt``, the module :mod:`fw.expressions.runtime`.
Runtime errors keep their place without any wrapping: the generated code
passes each helper the constant tuple (origin, line, column) of its token,
and a helper reads it only to raise. So the templates engine can embed the
source anywhere and still get errors that point into the template.

Every error raised on purpose is an :class:`fw.exceptions.ExpressionError`
whose ``kind`` attribute is one of :data:`fw.expressions.errors.KINDS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from . import nodes, runtime
from .compiler import generate
from .errors import KINDS
from .parser import parse

__all__ = ["KINDS", "Expression", "compile_expression", "names_used", "python_source"]

_DEFAULT_ORIGIN = "<expression>"

#: The only globals compiled expressions see: no builtins at all.
_GLOBALS = {"__builtins__": {}, "rt": runtime}


class Expression:
    """A compiled expression: evaluate it with a mapping of names."""

    __slots__ = ("source", "origin", "line", "column", "names_used", "_function")

    def __init__(
        self,
        source: str,
        function: Callable[[Mapping[str, Any]], Any],
        *,
        names_used: frozenset[str],
        origin: str,
        line: int,
        column: int,
    ) -> None:
        self.source = source
        self.origin = origin
        self.line = line
        self.column = column
        self.names_used = names_used
        self._function = function

    def evaluate(self, names: Mapping[str, Any]) -> Any:
        """Return the value of the expression with ``names`` as its names."""
        return self._function(names)

    def __repr__(self) -> str:
        return f"<Expression {self.source!r} from {self.origin}>"


def compile_expression(
    source: str, *, origin: str = _DEFAULT_ORIGIN, line: int = 1, column: int = 1
) -> Expression:
    """Return ``source`` compiled; the same text at the same place compiles once."""
    return _compile(source, str(origin), line, column)


def python_source(
    source: str,
    *,
    origin: str = _DEFAULT_ORIGIN,
    line: int = 1,
    column: int = 1,
    bound: Mapping[str, str] | None = None,
    lookup: str = "rt",
) -> str:
    """Return one Python expression that computes ``source`` from names and rt.

    ``bound`` maps names to Python variables of the code the expression is
    embedded in; those names are read from the variables, not ``names``.
    ``lookup`` names the module whose ``name`` and ``pipe``, called like
    ``rt.name`` and ``rt.pipe``, read the other names (the templates engine
    gives its own).
    """
    tree = parse(source, str(origin), line, column)
    return generate(tree, str(origin), bound, lookup)


def names_used(source: str) -> set[str]:
    """Return the names ``source`` reads, filter names included."""
    return _names_in(parse(source, _DEFAULT_ORIGIN))


@functools.lru_cache(maxsize=1024)
def _compile(source: str, origin: str, line: int, column: int) -> Expression:
    tree = parse(source, origin, line, column)

    code = compile(f"lambda names: {generate(tree, origin)}", origin, "eval")
    function = eval(code, dict(_GLOBALS))
    return Expression(
        source,
        function,
        names_used=frozenset(_names_in(tree)),
        origin=origin,
        line=line,
        column=column,
    )


def _names_in(tree: nodes.Node) -> set[str]:
    found = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (nodes.Name, nodes.Filter)):
            found.add(node.name)
        pending.extend(node.parts())
    return found
