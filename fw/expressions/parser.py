"""Parse expression text into a syntax tree, one function per grammar rule.

The grammar, its precedence table and its limits are in
docs/expressions.md; the functions below follow its rules in order.
Chains (``a or b or c``, ``1 + 2 + 3``, ``not not x``, ``- - x`` and
``a if b else c if d else e``) are read in loops, so only brackets make
the parser recurse, and :data:`MAX_NESTING` bounds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

from . import nodes
from .errors import fail
from .tokenizer import Token, tokenize

#: The deepest tree accepted (see nodes.Node.depth).
MAX_DEPTH = 64

#: The most brackets ( [ { that may be open at once.
MAX_NESTING = 32

_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})

N = TypeVar("N", bound=nodes.Node)


def parse(source: str, origin: str, line: int = 1, column: int = 1) -> nodes.Node:
    """Return the syntax tree of ``source``; raise ExpressionError if it is wrong."""
    return _Parser(tokenize(source, origin, line, column), origin).run()


class _Parser:
    """Read a token list with one token of look-ahead."""

    def __init__(self, tokens: list[Token], origin: str) -> None:
        self.tokens = tokens
        self.origin = origin
        self.index = 0
        self.nesting = 0

    def run(self) -> nodes.Node:
        tree = self._expression()

        token = self._peek()
        if token.kind != "end":
            self._unexpected(token, "an operator or the end of the expression")
        return tree

    # Reading tokens

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def _next(self) -> Token:
        token = self._peek()
        self.index += 1
        return token

    def _accept(self, text: str) -> Token | None:
        token = self._peek()
        if token.kind in ("symbol", "keyword") and token.text == text:
            self.index += 1
            return token
        return None

    def _expect(self, text: str, expected: str) -> Token:
        token = self._accept(text)
        if token is None:
            self._unexpected(self._peek(), expected)
        return token

    def _unexpected(self, token: Token, expected: str) -> NoReturn:
        found = "the end of the expression" if token.kind == "end" else repr(token.text)
        fail("syntax", f"Found {found} where {expected} was expected.", self._at(token))

    def _at(self, token: Token) -> tuple[str, int, int]:
        return (self.origin, token.line, token.column)

    def _build(self, cls: type[N], token: Token, **fields: object) -> N:
        node = cls(line=token.line, column=token.column, **fields)
        node.depth = 1 + max((part.depth for part in node.parts()), default=0)
        if node.depth > MAX_DEPTH:
            fail("limit", f"The expression nests deeper than {MAX_DEPTH} levels; "
                 "split it, or compute part of it in code.", self._at(token))
        return node

    # Grammar rules, from the loosest binding to the tightest

    def _expression(self) -> nodes.Node:
        branches: list[tuple[nodes.Node, Token, nodes.Node]] = []
        value = self._or()
        while token := self._accept("if"):
            test = self._or()
            self._expect("else", "'else' and the value for a false condition")
            branches.append((value, token, test))
            value = self._or()

        for then, token, test in reversed(branches):
            value = self._build(
                nodes.Conditional, token, then=then, test=test, otherwise=value
            )
        return value

    def _or(self) -> nodes.Node:
        return self._chain("or", self._and)

    def _and(self) -> nodes.Node:
        return self._chain("and", self._not)

    def _chain(self, word: str, operand: Callable[[], nodes.Node]) -> nodes.Node:
        first = operand()
        operands = [first]
        token = None
        while found := self._accept(word):
            token = token or found
            operands.append(operand())

        if token is None:
            return first
        return self._build(nodes.BoolOp, token, op=word, operands=tuple(operands))

    def _not(self) -> nodes.Node:
        tokens = []
        while token := self._accept("not"):
            tokens.append(token)

        node = self._comparison()
        for token in reversed(tokens):
            node = self._build(nodes.Not, token, operand=node)
        return node

    def _comparison(self) -> nodes.Node:
        left = self._sum()
        token, op = self._comparison_operator()
        if op is None:
            return left

        right = self._sum()
        following = self._peek()
        if self._comparison_operator()[1] is not None:
            fail("syntax", "Comparisons cannot be chained; join them with and, as "
                 "in a < b and b < c.", self._at(following))
        return self._build(nodes.Compare, token, op=op, left=left, right=right)

    def _comparison_operator(self) -> tuple[Token, str | None]:
        token = self._peek()
        if token.kind == "symbol" and token.text in _COMPARISONS:
            return self._next(), token.text
        if token.kind == "keyword" and token.text == "in":
            return self._next(), "in"
        if token.kind == "keyword" and token.text == "not":
            following = self._peek(1)
            if following.kind == "keyword" and following.text == "in":
                self.index += 2
                return token, "not in"
        return token, None

    def _sum(self) -> nodes.Node:
        return self._binary(("+", "-"), self._product)

    def _product(self) -> nodes.Node:
        return self._binary(("*", "/", "%"), self._unary)

    def _binary(
        self, ops: tuple[str, ...], operand: Callable[[], nodes.Node]
    ) -> nodes.Node:
        node = operand()
        while (token := self._peek()).kind == "symbol" and token.text in ops:
            self.index += 1
            right = operand()
            node = self._build(
                nodes.Binary, token, op=token.text, left=node, right=right
            )
        return node

    def _unary(self) -> nodes.Node:
        tokens = []
        while (token := self._peek()).kind == "symbol" and token.text in ("-", "+"):
            tokens.append(self._next())

        node = self._postfix()
        for token in reversed(tokens):
            node = self._build(nodes.Unary, token, op=token.text, operand=node)
        return node

    def _postfix(self) -> nodes.Node:
        node = self._primary()
        while (token := self._peek()).kind == "symbol":
            if token.text == ".":
                node = self._attribute(node)
            elif token.text == "[":
                node = self._item(node)
            elif token.text == "(":
                node = self._call(node)
            elif token.text == "|":
                node = self._filter(node)
            else:
                break
        return node

    def _attribute(self, value: nodes.Node) -> nodes.Node:
        self.index += 1
        token = self._name("an attribute name after '.'", "attribute")
        return self._build(nodes.Attribute, token, value=value, name=token.text)

    def _item(self, value: nodes.Node) -> nodes.Node:
        token = self._open()
        key = self._expression()
        self._close("]")
        return self._build(nodes.Item, token, value=value, key=key)

    def _call(self, function: nodes.Node) -> nodes.Node:
        token = self._peek()
        args = self._sequence(")", self._expression)
        return self._build(nodes.Call, token, function=function, args=args)

    def _filter(self, value: nodes.Node) -> nodes.Node:
        self.index += 1
        token = self._name("a filter name after '|'", "name")
        args: tuple[nodes.Node, ...] = ()
        if self._peek().text == "(":
            args = self._sequence(")", self._expression)
        return self._build(nodes.Filter, token, value=value, name=token.text, args=args)

    def _name(self, expected: str, kind: str) -> Token:
        token = self._peek()
        if token.kind != "name":
            self._unexpected(token, expected)
        if token.text.startswith("_"):
            fail(kind, f"The name {token.text!r} starts with '_'; such names are "
                 "private and cannot be reached from an expression.", self._at(token))

        self.index += 1
        return token

    def _primary(self) -> nodes.Node:
        token = self._peek()
        if token.kind in ("number", "string"):
            self.index += 1
            return self._build(nodes.Literal, token, value=token.value)
        if token.kind == "keyword" and token.text in _CONSTANTS:
            self.index += 1
            return self._build(nodes.Literal, token, value=_CONSTANTS[token.text])
        if token.kind == "name":
            self._name("a name", "name")
            return self._build(nodes.Name, token, name=token.text)
        if token.kind == "symbol" and token.text in _DISPLAYS:
            return _DISPLAYS[token.text](self)
        self._unexpected(token, "a value (a name, number, string, list, map or '(')")

    def _group(self) -> nodes.Node:
        self._open()
        node = self._expression()
        self._close(")")
        return node

    def _list(self) -> nodes.Node:
        token = self._peek()
        items = self._sequence("]", self._expression)
        return self._build(nodes.ListOf, token, items=items)

    def _map(self) -> nodes.Node:
        token = self._peek()
        entries = self._sequence("}", self._entry)
        keys = tuple(key for key, _ in entries)
        values = tuple(value for _, value in entries)
        return self._build(nodes.MapOf, token, keys=keys, values=values)

    def _entry(self) -> tuple[str, nodes.Node]:
        token = self._peek()
        if token.kind != "string":
            self._unexpected(token, "a quoted string as map key")

        self.index += 1
        self._expect(":", "':' between a map key and its value")
        return token.value, self._expression()

    def _sequence(self, close: str, item: Callable[[], object]) -> tuple:
        self._open()
        items = []
        while not self._accept(close):
            items.append(item())
            if not self._accept(","):
                self._expect(close, f"',' or {close!r}")
                break

        self.nesting -= 1
        return tuple(items)

    def _open(self) -> Token:
        token = self._next()
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            fail("limit", f"More than {MAX_NESTING} brackets are open at once; "
                 "simplify the expression.", self._at(token))
        return token

    def _close(self, close: str) -> None:
        self._expect(close, repr(close))
        self.nesting -= 1


_CONSTANTS = {"true": True, "false": False, "null": None}

_DISPLAYS = {"(": _Parser._group, "[": _Parser._list, "{": _Parser._map}
