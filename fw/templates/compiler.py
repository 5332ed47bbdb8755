"""Compile a parsed template to Python source, then to a code object.

The code defines ``root(ctx, names)`` and one generator per block; each
yields strings, a run of text and outputs as one f-string. ``names`` is the
dict of names the template's expressions see. A loop keeps its variables in
Python locals (and makes its ``loop`` only when the body reads it), unless
its body sets names, includes a template or holds a block: then it works on
a copy of ``names``, so its variables and sets end with it. ``_lines`` maps
lines of the generated code back to the template, which is how errors while
rendering name the template line.

The generated code reaches nothing but ``_t`` (fw.templates.runtime), ``rt``
(fw.expressions.runtime) and the names it is given: it runs without
Python's builtins.
"""

from __future__ import annotations

from types import CodeType

from ..exceptions import ExpressionError, TemplateError
from ..expressions import names_used, python_source
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
# NOTE: Python source that cannot stand inside an f-string's braces in 3.11.
_NOT_INLINE = frozenset("'\"\\{}#")


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
        self.bound: dict[str, str] = {}

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
        values = {
            index: f"_t.out({self.expr(node.expr)})"
            for index, node in enumerate(run)
            if isinstance(node, Output)
        }
        if len(run) == 1:
            self.write(f"yield {values.get(0) or repr(run[0].value)}", run[0])
            return
        if not all(_NOT_INLINE.isdisjoint(value) for value in values.values()):
            values = self.temporaries(run, values)
        parts = (
            f"f'{{{values[index]}}}'" if index in values else _f_literal(node.value)
            for index, node in enumerate(run)
        )
        self.write(f"yield {' '.join(parts)}", run[0])

    def temporaries(self, run: list[Node], values: dict[int, str]) -> dict[int, str]:
        """Compute each output of a run into a local, on a line of its own."""
        names = {}
        for index, value in values.items():
            names[index] = f"_o{index}"
            self.write(f"{names[index]} = {value}", run[index])
        return names

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
        items = f"_q{self.depth}"
        self.write(f"{items} = _t.iterable({self.expr(node.iterable)})", node)
        self.write(f"if {items}:")
        self.indent += 1
        outer = self.bound
        if _needs_scope(node.body):
            self.scoped_loop(node, items)
        else:
            self.local_loop(node, items)
        self.bound = outer
        self.indent -= 1
        if node.otherwise:
            self.write("else:")
            self.suite(node.otherwise)
        self.depth -= 1

    def local_loop(self, node: For, items: str) -> None:
        """Write a loop whose variables are locals; its body changes no names."""
        variables = {name: f"_v{self.depth}_{name}" for name in node.targets}
        targets = ", ".join(variables.values())
        iterable = items
        if "loop" not in variables and _reads_loop(node.body):
            loop = variables["loop"] = f"_l{self.depth}"
            self.write(f"{loop} = _t.Loop(_t.length({items}))")
            targets = f"{loop}.index0, ({targets})"
            iterable = f"_t.enumerate({items})"
        self.bound = {**self.bound, **variables}
        self.write(f"for {targets} in {iterable}:", node)
        self.suite(node.body)

    def scoped_loop(self, node: For, items: str) -> None:
        """Write a loop whose variables and sets live in a copy of names."""
        saved, loop = f"_s{self.depth}", f"_l{self.depth}"
        hidden = {*node.targets, "loop"}
        self.bound = {k: v for k, v in self.bound.items() if k not in hidden}
        targets = ", ".join(f"names[{name!r}]" for name in node.targets)
        targets = f"({targets})" if len(node.targets) > 1 else targets
        self.write(f"{saved} = names")
        self.write(f"names = _t.scope({saved})")
        self.write(f"names['loop'] = {loop} = _t.Loop(_t.length({items}))")
        self.write(f"for {loop}.index0, {targets} in _t.enumerate({items}):", node)
        self.suite(node.body)
        self.write(f"names = {saved}")

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
                expr.source,
                origin=self.origin,
                line=expr.line,
                column=expr.column,
                bound=self.bound,
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


def _f_literal(text: str) -> str:
    """Return ``text`` as an f-string literal with no replacement fields."""
    return "f" + repr(text).replace("{", "{{").replace("}", "}}")


def _children(node: Node) -> list[Node]:
    """Return the nodes directly inside ``node``."""
    if isinstance(node, If):
        return [child for _, body in node.branches for child in body]
    if isinstance(node, For):
        return [*node.body, *node.otherwise]
    if isinstance(node, Block):
        return node.body
    return []


def _walk(nodes: list[Node]) -> list[Node]:
    """Return ``nodes`` and every node inside them."""
    found, pending = [], list(nodes)
    while pending:
        node = pending.pop()
        found.append(node)
        pending.extend(_children(node))
    return found


def _needs_scope(body: list[Node]) -> bool:
    """Tell whether a loop body sets names, includes or has a block.

    Those read or change the dict of names, so the loop variables must be
    in it and the changes must end with the loop.
    """
    return any(isinstance(node, (Set, Include, Block)) for node in _walk(body))


def _reads_loop(body: list[Node]) -> bool:
    """Tell whether any expression in a loop body may read ``loop``."""
    for node in _walk(body):
        for expr in _expressions(node):
            try:
                if "loop" in names_used(expr.source):
                    return True
            except ExpressionError:
                return True
    return False


def _expressions(node: Node) -> list[Expr]:
    if isinstance(node, Output):
        return [node.expr]
    if isinstance(node, If):
        return [condition for condition, _ in node.branches if condition is not None]
    if isinstance(node, For):
        return [node.iterable]
    if isinstance(node, Set):
        return [node.value]
    if isinstance(node, Include):
        return [node.name]
    return []


def _ignorable(node: Node) -> bool:
    """Tell whether a child template's top-level node may be left out."""
    if isinstance(node, Text):
        return not node.value.strip()
    return isinstance(node, (Block, Extends))

