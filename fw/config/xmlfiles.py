"""Read and write configuration in XML files, refusing DTDs and entities.

The rules, the same for reading and writing:

- the root element (``<config>`` by convention) is the top-level map; its
  only attribute is ``extends="true"`` or ``extends="false"``;
- a child element is a key; one with child elements is a map, one with only
  text is a value, converted as `fw.config.scalars` describes;
- an element whose children are all ``<item>`` is a list of them, and
  sibling elements repeating one name are a list too;
- ``type="list"`` or ``type="map"`` says what an element is when it cannot
  tell by itself: an empty list, an empty map, a map whose keys are "item";
- a document with a ``<!DOCTYPE`` or ``<!ENTITY`` declaration is refused
  before it is parsed, and the parser refuses them again if one slips past.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from ..exceptions import ConfigError
from . import scalars

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element as _XmlElement

KeyPath = tuple[str | int, ...]

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ITEM = "item"
_TYPES = ("list", "map")


class _Element:
    """One parsed element, its line, children and text pieces."""

    __slots__ = ("tag", "attrib", "line", "children", "text")

    def __init__(self, tag: str, attrib: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrib = attrib
        self.line = line
        self.children: list[_Element] = []
        self.text: list[str] = []


def read_xml(raw: bytes, *, origin: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """Return the data of an XML document and the line of each key path."""
    _refuse_declarations(raw, origin)
    root = _parse(raw, origin)
    lines: dict[KeyPath, int] = {}

    data = _Converter(origin, lines).root(root)

    return data, lines


def _refuse_declarations(raw: bytes, origin: str) -> None:
    found = _DECLARATION.search(raw)
    if found:
        raise _declaration_error(
            found[1].decode().upper(), origin, raw.count(b"\n", 0, found.start()) + 1
        )


def _declaration_error(kind: str, origin: str, line: int | None) -> ConfigError:
    return ConfigError(
        f"The XML holds a {kind} declaration, which fw refuses: document type "
        "definitions and entities can read local files or expand without end. "
        "Remove the declaration and write the values out.",
        origin=origin,
        line=line,
    )


def _parse(raw: bytes, origin: str) -> _Element:
    builder = _Builder(origin)

    try:
        builder.parser.Parse(raw, True)
    except expat.ExpatError as error:
        raise ConfigError(
            f"The XML does not parse: {expat.ErrorString(error.code)}. "
            "Fix the markup at this place.",
            origin=origin,
            line=error.lineno,
            column=error.offset + 1,
        ) from None

    return builder.stack[0].children[0]


class _Builder:
    """Collect elements and their lines from expat, refusing any declaration."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.stack = [_Element("", {}, 0)]

        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        self.parser = parser

    def _refuse_doctype(self, *_args: Any) -> None:
        raise _declaration_error("DOCTYPE", self.origin, self.parser.CurrentLineNumber)

    def _refuse_entity(self, *_args: Any) -> None:
        raise _declaration_error("ENTITY", self.origin, self.parser.CurrentLineNumber)

    def _start(self, tag: str, attrib: dict[str, str]) -> None:
        element = _Element(tag, attrib, self.parser.CurrentLineNumber)
        self.stack[-1].children.append(element)
        self.stack.append(element)

    def _end(self, _tag: str) -> None:
        self.stack.pop()

    def _text(self, text: str) -> None:
        self.stack[-1].text.append(text)


class _Converter:
    """Turn parsed elements into data, noting the line of each key path."""

    def __init__(self, origin: str, lines: dict[KeyPath, int]) -> None:
        self.origin = origin
        self.lines = lines

    def root(self, root: _Element) -> dict[str, Any]:
        self._check_root(root)

        data = self._map(root, ())
        if "extends" in root.attrib:
            data["extends"] = self._scalar(root.attrib["extends"], root, ("extends",))
            self.lines[("extends",)] = root.line
        return data

    def _check_root(self, root: _Element) -> None:
        extra = set(root.attrib) - {"extends"}
        if extra:
            raise self._error(
                f"The root element has the attribute {sorted(extra)[0]!r}; "
                "it may only have extends=\"true\" or extends=\"false\".",
                root,
            )
        if "".join(root.text).strip():
            raise self._error(
                "The root element holds text; it must hold only child elements, "
                "one for each key.",
                root,
            )
        if any(child.tag == "extends" for child in root.children):
            raise self._error(
                "An <extends> element is not how XML says it extends: write "
                'the attribute <config extends="true"> on the root instead.',
                root,
            )

    def _value(self, element: _Element, key: KeyPath) -> Any:
        kind = self._kind(element)
        self.lines[key] = element.line

        if kind == "list":
            return self._list(element, key)
        if kind == "map":
            return self._map(element, key)
        return self._scalar("".join(element.text), element, key)

    def _kind(self, element: _Element) -> str:
        extra = set(element.attrib) - {"type"}
        kind = element.attrib.get("type")
        if extra or kind not in (None, *_TYPES):
            raise self._error(
                f"The element <{element.tag}> has attributes fw does not read "
                f"({' '.join(sorted(element.attrib))}). Only type=\"list\" or "
                'type="map" is allowed; write values as child elements.',
                element,
            )

        text = "".join(element.text).strip()
        if text and (element.children or kind):
            raise self._error(
                f"The element <{element.tag}> mixes text with child elements or a "
                "type. Give it either a value or child elements.",
                element,
            )

        if kind:
            return kind
        if not element.children:
            return "value"
        return "list" if all(c.tag == _ITEM for c in element.children) else "map"

    def _list(self, element: _Element, key: KeyPath) -> list[Any]:
        items = []
        for index, child in enumerate(element.children):
            if child.tag != _ITEM:
                raise self._error(
                    f"The list <{element.tag}> holds <{child.tag}>; every entry of "
                    "a list must be an <item> element.",
                    child,
                )
            items.append(self._value(child, key + (index,)))
        return items

    def _map(self, element: _Element, key: KeyPath) -> dict[str, Any]:
        groups: dict[str, list[_Element]] = {}
        for child in element.children:
            groups.setdefault(child.tag, []).append(child)

        data: dict[str, Any] = {}
        for tag, group in groups.items():
            if len(group) == 1:
                data[tag] = self._value(group[0], key + (tag,))
                continue
            self.lines[key + (tag,)] = group[0].line
            data[tag] = [
                self._value(child, key + (tag, index))
                for index, child in enumerate(group)
            ]
        return data

    def _scalar(self, text: str, element: _Element, key: KeyPath) -> Any:
        try:
            return scalars.convert(text)
        except ValueError as error:
            raise self._error(
                f"The value of {'.'.join(map(str, key))!r} is wrong: {error}", element
            ) from None

    def _error(self, message: str, element: _Element) -> ConfigError:
        return ConfigError(message, origin=self.origin, line=element.line)


def write_xml(data: dict[str, Any], *, origin: str) -> str:
    """Return an XML document that `read_xml` reads back as `data`."""
    # PERF: ElementTree only writes; reading needs expat alone, and a CGI
    # process that reads an XML file is spared ElementTree's import.
    from xml.etree import ElementTree

    root = ElementTree.Element("config")
    extends = data.get("extends")
    if isinstance(extends, bool):
        root.set("extends", "true" if extends else "false")

    body = {key: value for key, value in data.items() if key != "extends"}
    _Writer(origin).fill(root, body, ())
    ElementTree.indent(root)

    text = ElementTree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{text}\n'


class _Writer:
    """Build elements for data, in the form `read_xml` reads back unchanged."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fill(self, element: _XmlElement, value: Any, key: KeyPath) -> None:
        if isinstance(value, dict):
            self._fill_map(element, value, key)
        elif isinstance(value, list):
            self._fill_list(element, value, key)
        else:
            where = ".".join(map(str, key))
            element.text = scalars.render(value, origin=self.origin, key=where)

    def _fill_map(self, element: _XmlElement, value: dict, key: KeyPath) -> None:
        if key and (not value or set(value) == {_ITEM}):
            element.set("type", "map")

        for name, inner in value.items():
            self._check_name(name, key)
            self.fill(_sub_element(element, name), inner, key + (name,))

    def _fill_list(self, element: _XmlElement, value: list, key: KeyPath) -> None:
        if not value:
            element.set("type", "list")

        for index, inner in enumerate(value):
            self.fill(_sub_element(element, _ITEM), inner, key + (index,))

    def _check_name(self, name: Any, key: KeyPath) -> None:
        valid = isinstance(name, str) and _NAME.fullmatch(name)
        if not valid or name.lower().startswith("xml"):
            where = ".".join(map(str, key + (name,)))
            raise ConfigError(
                f"The key {where!r} cannot be an XML element name: use letters, "
                "digits, '_', '-' and '.', starting with a letter or '_' and not "
                "with 'xml'. Rename it or write JSON.",
                origin=self.origin,
            )


def _sub_element(parent: _XmlElement, tag: str) -> _XmlElement:
    from xml.etree import ElementTree

    return ElementTree.SubElement(parent, tag)
