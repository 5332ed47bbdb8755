"""Read and write configuration in INI files (configparser, no interpolation).

The rules, the same for reading and writing:

- keys before the first section are top-level keys (``extends = true`` too);
- a section is a map; a dotted name nests, so ``[database.pool]`` is the map
  ``pool`` inside ``database``; option names are kept as written (case too);
- ``key = value`` only; ``:`` is not a separator, and ``#`` or ``;`` start a
  comment only at the start of a line;
- values convert as `fw.config.scalars` describes, and a value that starts
  with ``[`` is a list written as a JSON array: ``hosts = ["a", "b"]``.
"""

from __future__ import annotations

import configparser
import json
import re
from typing import Any

from ..exceptions import ConfigError
from . import scalars

KeyPath = tuple[str | int, ...]

_TOP = "\x00top-level"
_NO_DEFAULTS = "\x00no-defaults"
_OPTION = re.compile(r"(?P<key>[^=]*?)\s*=")
_BAD_KEY = re.compile(r"^[\[#;]|[=\n\r]|^\s|\s$")


def read_ini(text: str, *, origin: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """Return the data of an INI text and the line of each key path."""
    parser = _parse(text, origin)
    lines = _scan_lines(text)
    data: dict[str, Any] = {}

    for section in parser.sections():
        path = _section_path(section, origin)
        line = lines.get(path)
        node = _descend(data, path, origin=origin, line=line)
        for key, raw in parser.items(section, raw=True):
            line = lines.get(path + (key,))
            _put(node, key, _value(raw, key, origin=origin, line=line), origin, line)

    return data, lines


def _new_parser() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        delimiters=("=",),
        interpolation=None,
        default_section=_NO_DEFAULTS,
        empty_lines_in_values=False,
        strict=True,
    )
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    return parser


def _parse(text: str, origin: str) -> configparser.ConfigParser:
    parser = _new_parser()

    try:
        # NOTE: configparser wants a section before any key; a hidden first
        # section holds the top-level keys, so every line number is one more.
        parser.read_string(f"[{_TOP}]\n{text}", source=origin)
    except configparser.Error as error:
        raise _parse_error(error, origin) from None

    return parser


def _parse_error(error: configparser.Error, origin: str) -> ConfigError:
    if isinstance(error, configparser.ParsingError):
        line, text = error.errors[0]
        return ConfigError(
            f"The line {text} is neither 'key = value', a [section] header, a "
            "comment nor an indented continuation. Fix or remove it.",
            origin=origin,
            line=line - 1,
        )

    if isinstance(error, configparser.DuplicateOptionError):
        return ConfigError(
            f"The key {error.option!r} appears twice in the same section. "
            "Keep one of them.",
            origin=origin,
            line=error.lineno - 1,
        )

    if isinstance(error, configparser.DuplicateSectionError):
        return ConfigError(
            f"The section [{error.section}] appears twice. Merge the two into one.",
            origin=origin,
            line=error.lineno - 1,
        )

    return ConfigError(f"The INI text does not parse: {error}.", origin=origin)


def _scan_lines(text: str) -> dict[KeyPath, int]:
    lines: dict[KeyPath, int] = {}
    section: KeyPath = ()
    in_value = False

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            in_value = in_value and bool(stripped)
            continue
        if in_value and line[0].isspace():
            continue

        header = configparser.ConfigParser.SECTCRE.match(stripped)
        option = _OPTION.match(stripped)
        if header:
            section = tuple(part.strip() for part in header["header"].split("."))
            lines.setdefault(section, number)
        elif option:
            lines[section + (option["key"],)] = number
        in_value = not header

    return lines


def _section_path(section: str, origin: str) -> KeyPath:
    if section == _TOP:
        return ()

    path = tuple(part.strip() for part in section.split("."))
    if not all(path):
        raise ConfigError(
            f"The section name [{section}] has an empty part between dots. "
            "Write nested sections as [outer.inner].",
            origin=origin,
        )

    return path


def _descend(data: dict, path: KeyPath, *, origin: str, line: int | None) -> dict:
    node = data
    for depth, part in enumerate(path, start=1):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(
                f"The section [{'.'.join(map(str, path))}] needs "
                f"{'.'.join(map(str, path[:depth]))!r} to be a map, but it is "
                "already a value. Rename the key or the section.",
                origin=origin,
                line=line,
            )
    return node


def _put(node: dict, key: str, value: Any, origin: str, line: int | None) -> None:
    if key in node:
        raise ConfigError(
            f"The key {key!r} is both a value and a nested [section]. "
            "Rename one of them.",
            origin=origin,
            line=line,
        )
    node[key] = value


def _value(raw: str, key: str, *, origin: str, line: int | None) -> Any:
    raw = raw.strip()

    try:
        if raw.startswith("["):
            return _json_list(raw)
        return scalars.convert(raw)
    except ValueError as error:
        raise ConfigError(
            f"The value of {key!r} is wrong: {error}", origin=origin, line=line
        ) from None


def _json_list(raw: str) -> list:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"it starts with '[' but is not a JSON array ({error.msg}). "
            'Write lists as JSON arrays, for example ["a", "b"], or quote the text.'
        ) from None

    if not isinstance(value, list):
        raise ValueError("it starts with '[' but is not a list. Quote the text.")
    return value


def write_ini(data: dict[str, Any], *, origin: str) -> str:
    """Return INI text that `read_ini` reads back as `data`."""
    out: list[str] = []

    _write_options(out, data, (), origin)
    _write_sections(out, data, (), origin)

    return "\n".join(out).strip("\n") + "\n"


def _write_options(out: list[str], node: dict, path: KeyPath, origin: str) -> None:
    for key, value in node.items():
        if isinstance(value, dict):
            continue
        _check_key(key, path, origin)
        out.append(f"{key} = {_render(value, path + (key,), origin)}".rstrip())


def _write_sections(out: list[str], node: dict, path: KeyPath, origin: str) -> None:
    for key, value in node.items():
        if not isinstance(value, dict):
            continue
        _check_key(key, path, origin, section=True)
        inner = path + (key,)

        if not value or any(not isinstance(item, dict) for item in value.values()):
            out.extend(["", f"[{'.'.join(inner)}]"])
            _write_options(out, value, inner, origin)
        _write_sections(out, value, inner, origin)


def _check_key(key: Any, path: KeyPath, origin: str, *, section: bool = False) -> None:
    bad = not isinstance(key, str) or not key or _BAD_KEY.search(key)
    if section and not bad:
        bad = any(char in key for char in ".[]")

    if bad:
        where = ".".join(map(str, path + (key,)))
        raise ConfigError(
            f"The key {where!r} cannot be written to INI: keys must be non-empty "
            "text without '=', line breaks or surrounding spaces, and section "
            "names also without '.', '[' or ']'. Rename it or write JSON.",
            origin=origin,
        )


def _render(value: Any, path: KeyPath, origin: str) -> str:
    where = ".".join(map(str, path))
    if not isinstance(value, list):
        return scalars.render(value, origin=origin, key=where)

    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"The list {where!r} cannot be written as a JSON array ({error}). "
            "Use text, numbers, true/false, lists and maps only.",
            origin=origin,
        ) from None
