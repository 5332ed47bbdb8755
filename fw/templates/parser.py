"""Turn template tokens into a tree of nodes.

The tree is small: text, output, if, for, set, block, extends, include.
Expressions stay as source text with their position; the compiler hands
them to fw's expression language, so its errors point into the template.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from ..exceptions import TemplateError
from .lexer import Source, Token, tokenize

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FOR = re.compile(r"(?P<targets>[^=]*?)\s+in\s+(?P<iterable>.*)", re.DOTALL)
_SET = re.compile(r"(?P<name>[^=]*?)\s*=(?!=)\s*(?P<value>.*)", re.DOTALL)
_ENDINGS = {
    "if": ("elif", "else", "endif"),
    "for": ("else", "endfor"),
    "block": ("endblock",),
}
_CLOSERS = frozenset(name for names in _ENDINGS.values() for name in names)


@dataclass(frozen=True)
class Expr:
    """Expression source and where it starts in the template."""

    source: str
    line: int
    column: int


@dataclass
class Node:
    """A piece of a template, with the line and column it starts at."""

    line: int
    column: int


@dataclass
class Text(Node):
    """Literal text, output as it is."""

    value: str


@dataclass
class Output(Node):
    """``{{ expr }}``: a value, escaped when output."""

    expr: Expr


@dataclass
class If(Node):
    """``{% if %}`` with its ``elif`` and ``else`` branches (condition None)."""

    branches: list[tuple[Expr | None, list[Node]]]


@dataclass
class For(Node):
    """``{% for targets in iterable %}`` with its ``else`` part."""

    targets: tuple[str, ...]
    iterable: Expr
    body: list[Node]
    otherwise: list[Node]


@dataclass
class Set(Node):
    """``{% set name = value %}``."""

    name: str
    value: Expr


@dataclass
class Block(Node):
    """``{% block name %}``: a part a child template may replace."""

    name: str
    body: list[Node]


@dataclass
class Extends(Node):
    """``{% extends parent %}``."""

    parent: Expr


@dataclass
class Include(Node):
    """``{% include name %}``."""

    name: Expr


@dataclass
class Tree:
    """A parsed template: its top-level nodes and every block by name."""

    body: list[Node]
    blocks: dict[str, Block] = field(default_factory=dict)
    extends: Extends | None = None


def parse(source: Source) -> Tree:
    """Parse template ``source`` into a Tree, raising TemplateError on mistakes."""
    return _Parser(source).parse()


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0
        self.tree = Tree(body=[])

    def parse(self) -> Tree:
        body, end = self.body()
        if end is not None:
            name = _tag_name(end)
            raise self.error(f"{{% {name} %}} has no opening tag to close.", end)
        self.tree.body = body
        return self.tree

    def body(self) -> tuple[list[Node], Token | None]:
        """Read nodes until a closing tag such as endif (or the end of source)."""
        nodes: list[Node] = []
        self.depth += 1
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            if token.kind == "tag" and _tag_name(token) in _CLOSERS:
                self.depth -= 1
                return nodes, token
            nodes.append(self.node(token))
        self.depth -= 1
        return nodes, None

    def node(self, token: Token) -> Node:
        if token.kind == "text":
            return Text(token.line, token.column, token.value)
        if token.kind == "output":
            return Output(token.line, token.column, Expr(token.value, *_at(token)))
        name = _tag_name(token)
        handler = getattr(self, f"tag_{name}", None)
        if handler is None:
            raise self.unknown(token, name)
        return handler(token)

    def tag_if(self, token: Token) -> If:
        branches = []
        condition: Expr | None = self.expr(token)
        while True:
            body, end = self.body()
            branches.append((condition, body))
            ending = self.ending(token, end, _ENDINGS["if"])
            if ending == "endif":
                return If(token.line, token.column, branches)
            if condition is None:
                raise self.error("Only {% endif %} may follow {% else %}.", end)
            condition = self.else_or_elif(end, ending)

    def else_or_elif(self, token: Token, ending: str) -> Expr | None:
        if ending == "elif":
            return self.expr(token)
        self.no_arguments(token)
        return None

    def tag_for(self, token: Token) -> For:
        args, offset = _arguments(token)
        match = _FOR.fullmatch(args)
        if match is None:
            raise self.error(
                f"{{% for %}} expects 'name in expression', not {args!r}.", token
            )
        targets = tuple(part.strip() for part in match["targets"].split(","))
        self.check_names(token, targets, "for")
        where = _at(token, offset + match.start("iterable"))
        iterable = Expr(match["iterable"], *where)
        body, end = self.body()
        otherwise: list[Node] = []
        if self.ending(token, end, _ENDINGS["for"]) == "else":
            self.no_arguments(end)
            otherwise, end = self.body()
            self.ending(token, end, ("endfor",))
        return For(token.line, token.column, targets, iterable, body, otherwise)

    def tag_set(self, token: Token) -> Set:
        args, offset = _arguments(token)
        match = _SET.fullmatch(args)
        if match is None:
            raise self.error(
                f"{{% set %}} expects 'name = expression', not {args!r}.", token
            )
        name = match["name"].strip()
        self.check_names(token, (name,), "set")
        value = Expr(match["value"], *_at(token, offset + match.start("value")))
        return Set(token.line, token.column, name, value)

    def tag_block(self, token: Token) -> Block:
        name = _arguments(token)[0]
        self.check_names(token, (name,), "block")
        if name in self.tree.blocks:
            raise self.error(f"The block {name!r} is defined twice; rename one.", token)
        block = Block(token.line, token.column, name, [])
        self.tree.blocks[name] = block
        block.body, end = self.body()
        self.ending(token, end, _ENDINGS["block"])
        closing = _arguments(end)[0]
        if closing and closing != name:
            raise self.error(
                f"{{% endblock {closing} %}} closes the block {name!r}; "
                f"write {{% endblock {name} %}} or {{% endblock %}}.",
                end,
            )
        return block

    def tag_extends(self, token: Token) -> Extends:
        if self.tree.extends is not None:
            raise self.error("A template may extend only one other template.", token)
        if self.depth > 1:
            raise self.error(
                "{% extends %} must stand at the top level, outside other tags.", token
            )
        self.tree.extends = Extends(token.line, token.column, self.expr(token))
        return self.tree.extends

    def tag_include(self, token: Token) -> Include:
        return Include(token.line, token.column, self.expr(token))

    def expr(self, token: Token) -> Expr:
        """Return the expression that follows a tag's name."""
        args, offset = _arguments(token)
        if not args:
            tag = _tag_name(token)
            raise self.error(f"{{% {tag} %}} needs an expression after it.", token)
        return Expr(args, *_at(token, offset))

    def ending(
        self, opening: Token, end: Token | None, allowed: tuple[str, ...]
    ) -> str:
        """Return the name of the tag that ends a body, if ``opening`` allows it."""
        name = _tag_name(end) if end is not None else None
        if name in allowed:
            return name
        found = "" if end is None else f" before the {{% {name} %}} on line {end.line}"
        raise self.error(
            f"The {{% {_tag_name(opening)} %}} opened here is never closed; "
            f"add {{% {allowed[-1]} %}}{found}.",
            opening,
        )

    def no_arguments(self, token: Token) -> None:
        if _arguments(token)[0]:
            tag = _tag_name(token)
            raise self.error(f"{{% {tag} %}} takes nothing after it.", token)

    def check_names(self, token: Token, names: tuple[str, ...], tag: str) -> None:
        for name in names:
            if not _NAME.fullmatch(name) or keyword.iskeyword(name):
                raise self.error(
                    f"{{% {tag} %}} needs a plain name here, not {name!r}: "
                    "use letters, digits and underscores.",
                    token,
                )

    def unknown(self, token: Token, name: str) -> Exception:
        known = "if, for, set, block, extends, include, raw"
        return self.error(f"Unknown tag {{% {name} %}}; the tags are: {known}.", token)

    def error(self, message: str, token: Token) -> Exception:
        return TemplateError(
            message, origin=self.source.origin, line=token.line, column=token.column
        )


def _tag_name(token: Token) -> str:
    match = _NAME.match(token.value)
    return match.group() if match else token.value[:1]


def _arguments(token: Token) -> tuple[str, int]:
    """Return what follows a tag's name, and its offset in the token."""
    skip = len(_tag_name(token))
    rest = token.value[skip:]
    lead = len(rest) - len(rest.lstrip())
    return rest.strip(), skip + lead


def _at(token: Token, offset: int = 0) -> tuple[int, int]:
    """Return the line and column ``offset`` characters into a token's value."""
    before = token.value[:offset]
    newlines = before.count("\n")
    if not newlines:
        return token.line, token.column + offset
    return token.line + newlines, offset - before.rfind("\n")
