"""Compile a parsed template to Python source, then to a code object.

The code defines ``root(ctx, names, _p)`` and one function per block. Each
appends strings to the list ``_p``, a run of text and outputs as one
f-string, and the caller joins the list once: a rendering is one call, not
a generator resumed per piece. ``names`` is the dict of names the
template's expressions see.

``ctx`` is the rendering's ``_t.Render``. A template that extends and
includes nothing, and whose blocks never call ``super()``, has
``uses_ctx = False``: rendered alone it gets None and calls its own blocks
directly; extended by a child, it gets the child's and calls the child's.

A loop keeps its variables in Python locals (and makes its ``loop`` only
when the body reads it), unless its body sets names, includes a template
or holds a block: then it works on a copy of ``names``, so its variables
and sets end with it. ``_lines`` maps lines of the generated code back to
the template, which is how errors while rendering name the template line.

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
# PERF: the helpers every output calls, as locals of each function.
_HELPERS = "_out, _type, _int = _t.out, _t.type_of, _t.int_type"


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
        self.functions: dict[str, str] = {}
        self.uses_ctx = True

    def module(self, tree: Tree) -> str:
        self.functions = {name: f"block_{n}" for n, name in enumerate(tree.blocks)}
        self.uses_ctx = _uses_ctx(tree)
        self.root(tree)
        for block in tree.blocks.values():
            self.function(self.functions[block.name], block)
        entries = ", ".join(f"{name!r}: {fn}" for name, fn in self.functions.items())
        self.write(f"blocks = {{{entries}}}")
        self.write(f"uses_ctx = {self.uses_ctx!r}")
        self.write(f"_lines = {self.where!r}")
        return "\n".join(self.lines) + "\n"

    def root(self, tree: Tree) -> None:
        self.write("def root(ctx, names, _p):")
        self.indent += 1
        self.write(_HELPERS)
        if tree.extends is None:
            self.suite_body(tree.body)
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
        self.write(f"ctx.extend({parent}, names, _p)", extends)

    def function(self, name: str, block: Block) -> None:
        """Write a block's function, with names of its own if it may change them.

        ``_level`` says which template's version of the block this is, so
        that its ``super()`` renders the next one up.
        """
        self.write(f"def {name}(ctx, names, _p, _level):")
        self.indent += 1
        self.write(_HELPERS)
        if _offers_super(block):
            self.write("_outer, names = names, _t.scope(names)")
            self.write(f"names['super'] = ctx.super_of({block.name!r}, _outer, _level)")
        elif _needs_scope(block.body):
            self.write("names = _t.scope(names)")
        self.suite_body(block.body)
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
        """Append a run of texts and outputs as one string."""
        if not run:
            return
        values = {
            index: self.text_of(node.expr)
            for index, node in enumerate(run)
            if isinstance(node, Output)
        }
        if not values and len(run) == 1:
            self.write(f"_p.append({run[0].value!r})", run[0])
            return
        if not all(_NOT_INLINE.isdisjoint(value) for value in values.values()):
            values = self.temporaries(run, values)
        parts = (
            f"f'{{{values[index]}}}'" if index in values else _f_literal(node.value)
            for index, node in enumerate(run)
        )
        self.write(f"_p.append({' '.join(parts)})", run[0])

    def text_of(self, expr: Expr) -> str:
        """Return the Python source of an output's text."""
        python = self.expr(expr)
        local = python[1:-1]
        if local in self.bound.values():
            # PERF: an int in a loop variable (an id, a count) skips a call.
            return f"({local} if _type({local}) is _int else _out({local}))"
        return f"_out({python})"

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
        if "loop" not in variables and _reads(node.body, "loop"):
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
        if not self.uses_ctx:
            self.write("if ctx is None:")
            self.write(f"    {self.functions[node.name]}(ctx, names, _p, 0)", node)
            self.write("else:")
            self.indent += 1
        self.write(f"ctx.block({node.name!r}, names, _p)", node)
        if not self.uses_ctx:
            self.indent -= 1

    def node_include(self, node: Include) -> None:
        self.write(f"ctx.include({self.expr(node.name)}, names, _p)", node)

    def suite(self, body: list[Node]) -> None:
        self.indent += 1
        self.suite_body(body)
        self.indent -= 1

    def suite_body(self, body: list[Node]) -> None:
        """Write the statements of ``body``, or ``pass`` when it writes none."""
        written = len(self.lines)
        self.nodes(body)
        if len(self.lines) == written:
            self.write("pass")

    def expr(self, expr: Expr) -> str:
        """Return the Python source of a template expression."""
        try:
            python = python_source(
                expr.source,
                origin=self.origin,
                line=expr.line,
                column=expr.column,
                bound=self.bound,
                lookup="_t",
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


def _reads(body: list[Node], name: str) -> bool:
    """Tell whether any expression in ``body`` may read ``name``."""
    for node in _walk(body):
        for expr in _expressions(node):
            try:
                if name in names_used(expr.source):
                    return True
            except ExpressionError:
                return True
    return False


def _uses_ctx(tree: Tree) -> bool:
    """Tell whether a template's code needs its rendering's Render even alone."""
    if tree.extends is not None or any(map(_offers_super, tree.blocks.values())):
        return True
    return any(isinstance(node, Include) for node in _walk(tree.body))


def _offers_super(block: Block) -> bool:
    """Tell whether a block's body may call ``super()``, itself or by an include."""
    return _reads(block.body, "super") or any(
        isinstance(node, Include) for node in _walk(block.body)
    )


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

