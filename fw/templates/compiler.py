"""Compile a parsed template to Python source, then to a code object.

The code defines ``root(ctx, names)`` and one generator per block; each
yields strings. ``names`` is the dict of names the template's expressions
see; a loop works on a copy, so its variables and sets end with it.
``_lines`` maps lines of the generated code back to the template, which is
how errors while rendering name the template line.

The generated code reaches nothing but ``_t`` (fw.templates.runtime), ``rt``
(fw.expressions.runtime) and the names it is given: it runs without
Python's builtins.
"""

from __future__ import annotations

from types import CodeType

from ..exceptions import ExpressionError, TemplateError
from ..expressions import python_source
from .lexer import Source
from .parser import (
    Block,
    Expr,
    Extends,
    For,
    If,
    Include,
    Node,
    Output,
    Set,
    Text,
    Tree,
    parse,
)

_INDENT = "    "


def compile_template(text: str, origin: str) -> CodeType:
    """Return the code object of template ``text`` read from ``origin``."""
    python = translate(text, origin)
    return compile(python, f"<template {origin}>", "exec")


def translate(text: str, origin: str) -> str:
    """Return the Python module source that template ``text`` compiles to."""
    tree = parse(Source(text, origin))
    return _Writer(origin).module(tree)


class _Writer:
    """Write the Python source of one template, keeping the line map."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.lines: list[str] = []
        self.where: dict[int, tuple[int, int]] = {}
        self.indent = 0
        self.depth = 0

    def module(self, tree: Tree) -> str:
        self.root(tree)
        functions = {}
        for number, block in enumerate(tree.blocks.values()):
            functions[block.name] = f"block_{number}"
            self.function(functions[block.name], block.body)
        entries = ", ".join(f"{name!r}: {fn}" for name, fn in functions.items())
        self.write(f"blocks = {{{entries}}}")
        self.write(f"_lines = {self.where!r}")
        return "\n".join(self.lines) + "\n"

    def root(self, tree: Tree) -> None:
        self.write("def root(ctx, names):")
        self.indent += 1
        self.write("ctx.enter(blocks)")
        self.write("yield from ()")
        if tree.extends is None:
            self.nodes(tree.body)
        else:
            self.child_body(tree.body, tree.extends)
        self.indent -= 1

    def child_body(self, body: list[Node], extends: Extends) -> None:
        """Write a child template's top level: its sets, then its parent."""
        for node in body:
            if isinstance(node, Set):
                self.node(node)
            elif not _ignorable(node):
                raise self.error(
                    "Content outside {% block %} in a template that uses "
                    "{% extends %} is never shown; move it into a block.",
                    node,
                )
        parent = self.expr(extends.parent)
        self.write(f"yield from ctx.extend({parent}, names)", extends)

    def function(self, name: str, body: list[Node]) -> None:
        self.write(f"def {name}(ctx, names):")
        self.indent += 1
        self.write("yield from ()")
        self.nodes(body)
        self.indent -= 1

    def nodes(self, nodes: list[Node]) -> None:
        run: list[Node] = []
        for node in nodes:
            if isinstance(node, (Text, Output)):
                run.append(node)
                continue
            self.output(run)
            run = []
            self.node(node)
        self.output(run)

    def output(self, run: list[Node]) -> None:
        """Yield a run of texts and outputs as one string."""
        if not run:
            return
        parts = [self.piece(node) for node in run]
        if len(parts) == 1:
            self.write(f"yield {parts[0]}", run[0])
            return
        self.write("yield (", run[0])
        for index, (node, part) in enumerate(zip(run, parts)):
            self.write(f"{_INDENT}{'+ ' if index else ''}{part}", node)
        self.write(")")

    def piece(self, node: Node) -> str:
        if isinstance(node, Text):
            return repr(node.value)
        return f"_t.out({self.expr(node.expr)})"

    def node(self, node: Node) -> None:
        getattr(self, f"node_{type(node).__name__.lower()}")(node)

    def node_if(self, node: If) -> None:
        keyword = "if"
        for condition, body in node.branches:
            if condition is None:
                self.write("else:")
            else:
                self.write(f"{keyword} {self.expr(condition)}:", condition)
            keyword = "elif"
            self.suite(body)

    def node_for(self, node: For) -> None:
        self.depth += 1
        saved, items, loop = (f"_{kind}{self.depth}" for kind in "sql")
        targets = ", ".join(f"names[{name!r}]" for name in node.targets)
        targets = f"({targets})" if len(node.targets) > 1 else targets
        self.write(f"{items} = _t.iterable({self.expr(node.iterable)})", node)
        self.write(f"if {items}:")
        self.indent += 1
        self.write(f"{saved} = names")
        self.write(f"names = _t.scope({saved})")
        self.write(f"names['loop'] = {loop} = _t.Loop(_t.length({items}))")
        self.write(f"for {loop}.index0, {targets} in _t.enumerate({items}):", node)
        self.suite(node.body)
        self.write(f"names = {saved}")
        self.indent -= 1
        if node.otherwise:
            self.write("else:")
            self.suite(node.otherwise)
        self.depth -= 1

    def node_set(self, node: Set) -> None:
        self.write(f"names[{node.name!r}] = {self.expr(node.value)}", node)

    def node_block(self, node: Block) -> None:
        self.write(f"yield from ctx.block({node.name!r}, names)", node)

    def node_include(self, node: Include) -> None:
        self.write(f"yield from ctx.include({self.expr(node.name)}, names)", node)

    def suite(self, body: list[Node]) -> None:
        self.indent += 1
        if not body:
            self.write("pass")
        self.nodes(body)
        self.indent -= 1

    def expr(self, expr: Expr) -> str:
        """Return the Python source of a template expression."""
        try:
            python = python_source(
                expr.source, origin=self.origin, line=expr.line, column=expr.column
            )
        except ExpressionError as exc:
            raise TemplateError(
                exc.message,
                origin=exc.origin or self.origin,
                line=exc.line or expr.line,
                column=exc.column or expr.column,
            ) from exc
        return f"({python})"

    def write(self, text: str, node: Node | Expr | None = None) -> None:
        for physical in (_INDENT * self.indent + text).split("\n"):
            self.lines.append(physical)
            if node is not None:
                self.where[len(self.lines)] = (node.line, node.column)

    def error(self, message: str, node: Node) -> TemplateError:
        return TemplateError(
            message, origin=self.origin, line=node.line, column=node.column
        )


def _ignorable(node: Node) -> bool:
    """Tell whether a child template's top-level node may be left out."""
    if isinstance(node, Text):
        return not node.value.strip()
    return isinstance(node, (Block, Extends))

