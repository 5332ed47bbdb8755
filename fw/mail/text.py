"""Derive a readable plain-text part from the HTML of a mail.

The HTML is parsed into a small tree (html.parser, with the implied end
tags of p, li, td and tr), then written out block by block: headings
underlined, paragraphs wrapped, lists with "- " and "1. ", tables one row a
line, links as numbered references listed at the end.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser

WIDTH = 78

_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
_DROPPED = frozenset("script style head title template noscript svg".split())
_BLOCKS = frozenset(
    """address article aside blockquote body center dd div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav
    ol p pre section table tbody td tfoot th thead tr ul""".split()
)
# NOTE: these close an open <p>, as browsers do; <p> cannot hold a block.
_CLOSES_P = _BLOCKS - {"dd", "dt", "li", "td", "th", "tr", "tbody", "thead"}
_IMPLIED = {
    "li": ({"li"}, {"ul", "ol"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "tbody", "thead", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "tbody": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"tbody", "thead", "tfoot", "tr", "td", "th"}, {"table"}),
}
# NOTE: a <br> becomes this mark, since a newline in the source is just a space.
_BREAK = "\x00"
_SPACE = re.compile(r"[ \t\n\r\f]+")
_UNDERLINES = {"h1": "=", "h2": "-"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


def html_to_text(html: str) -> str:
    """Return the plain-text rendering of `html`, for the text part of a mail."""
    root = _parse(html)

    links = _Links()
    blocks = _blocks(root.children, links)
    if links.urls:
        blocks.append([f"[{number}] {url}" for number, url in enumerate(links.urls, 1)])

    text = "\n\n".join("\n".join(line.rstrip() for line in block) for block in blocks)
    return text.replace("\xa0", " ").strip("\n") + "\n" if text.strip() else ""


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(node)
        if tag not in _VOID:
            self.open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tags = [node.tag for node in self.open]
        if tag in tags[1:]:
            del self.open[len(tags) - 1 - tags[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data.replace(_BREAK, ""))

    def _close_implied(self, tag: str) -> None:
        if tag in _CLOSES_P and self.open[-1].tag == "p":
            self.open.pop()
        closes, scope = _IMPLIED.get(tag, (set(), set()))
        cut = None
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag in scope:
                break
            if self.open[index].tag in closes:
                cut = index
        if cut is not None:
            del self.open[cut:]


def _parse(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


class _Links:
    """Number each distinct link target once, in order of first appearance."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def number(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1


Block = list[str]


def _blocks(children: list[_Node | str], links: _Links) -> list[Block]:
    """Return the blocks of a run of nodes: inline runs become wrapped paragraphs."""
    blocks: list[Block] = []
    inline: list[str] = []
    for child in children:
        if isinstance(child, _Node) and child.tag in _BLOCKS:
            blocks.extend(_paragraph(inline))
            inline = []
            blocks.extend(_block(child, links))
        else:
            inline.append(_inline(child, links))
    blocks.extend(_paragraph(inline))
    return [block for block in blocks if block]


def _paragraph(pieces: list[str]) -> list[Block]:
    lines = []
    for line in "".join(pieces).split(_BREAK):
        text = _SPACE.sub(" ", line).strip()
        lines.extend(_wrap(text) if text else [])
    return [lines] if lines else []


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH - len(indent),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def _inline(node: _Node | str, links: _Links) -> str:
    """Return the text of inline content; `_BREAK` marks a forced line break."""
    if isinstance(node, str):
        return node
    if node.tag in _DROPPED:
        return ""
    if node.tag == "br":
        return _BREAK
    if node.tag == "img":
        return node.attrs.get("alt", "")

    text = "".join(_inline(child, links) for child in node.children)
    if node.tag == "a":
        return _link(text, node.attrs.get("href", "").strip(), links)
    return f" {text} " if node.tag in _BLOCKS else text


def _link(text: str, href: str, links: _Links) -> str:
    shown = _SPACE.sub(" ", text).strip()
    if not href or href.startswith(("#", "javascript:")):
        return text
    if not shown:
        return href
    if shown in (href, href.removeprefix("mailto:")):
        return text
    return f"{text} [{links.number(href)}]"


def _flat(node: _Node, links: _Links) -> str:
    """Return all the text of `node` on one line."""
    text = "".join(_inline(child, links) for child in node.children)
    return _SPACE.sub(" ", text.replace(_BREAK, " ")).strip()


def _block(node: _Node, links: _Links) -> list[Block]:
    tag = node.tag
    if tag in _DROPPED:
        return []
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return [_heading(tag, _flat(node, links))]
    if tag in ("ul", "ol"):
        return [_list(node, links)]
    if tag == "table":
        return [_table(node, links)]
    if tag == "pre":
        return [_pre(node)]
    if tag == "hr":
        return [["-" * 20]]
    if tag == "blockquote":
        return [_prefixed(_blocks(node.children, links), "> ")]
    if tag == "dd":
        return [_prefixed(_blocks(node.children, links), "    ", "    ")]
    return _blocks(node.children, links)


def _heading(tag: str, text: str) -> Block:
    if not text:
        return []
    if tag in _UNDERLINES:
        return [text, _UNDERLINES[tag] * len(text)]
    return [text.upper()]


def _list(node: _Node, links: _Links) -> Block:
    lines: Block = []
    number = _start(node)
    for item in node.children:
        if not isinstance(item, _Node) or item.tag != "li":
            continue
        marker = f"{number}. " if node.tag == "ol" else "- "
        item_lines = [line for block in _blocks(item.children, links) for line in block]
        lines.extend(_prefixed([item_lines or [""]], marker, " " * len(marker)))
        number += 1
    return lines


def _start(node: _Node) -> int:
    try:
        return int(node.attrs.get("start", "1"))
    except ValueError:
        return 1


def _prefixed(blocks: list[Block], first: str, rest: str | None = None) -> Block:
    """Return the blocks as one, the first line after `first`, the others indented."""
    rest = first if rest is None else rest
    lines: Block = []
    for block in blocks:
        if lines:
            lines.append("")
        lines.extend(block)
    return [(first if index == 0 else rest) + line for index, line in enumerate(lines)]


def _table(node: _Node, links: _Links) -> Block:
    rows = [
        [_flat(cell, links) for cell in row.children if _is_cell(cell)]
        for row in _rows(node)
    ]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []

    columns = range(max(map(len, rows)))
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in columns]
    if sum(widths) + 3 * (len(widths) - 1) > WIDTH:
        return [" | ".join(row) for row in rows]

    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths))
        for row in rows
    ]
    if _header_row(node):
        lines.insert(1, "-+-".join("-" * width for width in widths))
    return lines


def _rows(node: _Node) -> list[_Node]:
    """Return the rows of a table, through thead, tbody and tfoot, not nested tables."""
    rows = []
    for child in node.children:
        if isinstance(child, _Node) and child.tag == "tr":
            rows.append(child)
        elif isinstance(child, _Node) and child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(_rows(child))
    return rows


def _is_cell(node: _Node | str) -> bool:
    return isinstance(node, _Node) and node.tag in ("td", "th")


def _header_row(table: _Node) -> bool:
    rows = _rows(table)
    cells = [cell for cell in rows[0].children if _is_cell(cell)] if rows else []
    return len(rows) > 1 and bool(cells) and all(cell.tag == "th" for cell in cells)


def _pre(node: _Node) -> Block:
    text = "".join(_raw(child) for child in node.children).strip("\n")
    return text.split("\n") if text else []


def _raw(node: _Node | str) -> str:
    if isinstance(node, str):
        return node
    return "\n" if node.tag == "br" else "".join(_raw(child) for child in node.children)
