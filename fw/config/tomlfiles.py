"""Read configuration in TOML files: tomllib's data, and the line of every key.

Kept apart from the other readers so that a process whose configuration
holds no TOML file never imports tomllib nor compiles the line patterns.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from ..exceptions import ConfigError
from .merge import has

KeyPath = tuple[str | int, ...]

_TOML_ERROR_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_toml(text: str, *, origin: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """Return the data of a TOML text and the line of each key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(origin, str(error)) from None

    lines = _TomlLines().scan(text)
    return data, {key: line for key, line in lines.items() if has(data, key)}


def _toml_error(origin: str, message: str) -> ConfigError:
    place = _TOML_ERROR_PLACE.search(message)
    line = column = None
    if place:
        message = message[: place.start()]
        line, column = int(place[1]), int(place[2])

    return ConfigError(
        f"The TOML does not parse: {message}. Fix the syntax at this place.",
        origin=origin,
        line=line,
        column=column,
    )


class _TomlLines:
    """Note the line of table headers and keys; tomllib itself keeps no places.

    Lines inside multi-line strings and arrays are skipped; keys inside inline
    tables take the line of the table. The caller drops any path that the
    parsed data does not hold.
    """

    _KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
    _KEY = rf"\s*{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*\s*"
    _HEADER = re.compile(rf"\[(\[)?({_KEY})\]\]?\s*(?:#.*)?$")
    _ASSIGN = re.compile(rf"({_KEY})=\s*(.*)$")
    _PART = re.compile(_KEY_PART)

    def __init__(self) -> None:
        self.lines: dict[KeyPath, int] = {}
        self.arrays: dict[KeyPath, int] = {}
        self.table: KeyPath = ()
        self.closer: str | None = None

    def scan(self, text: str) -> dict[KeyPath, int]:
        for number, line in enumerate(text.splitlines(), start=1):
            self._line(number, line.strip())
        return self.lines

    def _line(self, number: int, line: str) -> None:
        if self.closer:
            if self.closer in line:
                self.closer = None
            return

        header = self._HEADER.match(line)
        if header:
            new_item = bool(header[1])
            self.table = self._resolve(self._keys(header[2]), new_item=new_item)
            self.lines.setdefault(self.table[:-1] if new_item else self.table, number)
            self.lines.setdefault(self.table, number)
            return

        assign = self._ASSIGN.match(line)
        if assign:
            self._assign(number, self._keys(assign[1]), assign[2])

    def _assign(self, number: int, keys: list[str], value: str) -> None:
        for end in range(1, len(keys) + 1):
            self.lines.setdefault(self.table + tuple(keys[:end]), number)

        for quotes in ('"""', "'''"):
            if value.startswith(quotes) and quotes not in value[3:]:
                self.closer = quotes

    def _resolve(self, keys: list[str], *, new_item: bool) -> KeyPath:
        path: KeyPath = ()
        for place, key in enumerate(keys, start=1):
            path += (key,)
            if new_item and place == len(keys):
                index = self.arrays.get(path, 0)
                self.arrays[path] = index + 1
                path += (index,)
            elif path in self.arrays:
                path += (self.arrays[path] - 1,)
        return path

    def _keys(self, text: str) -> list[str]:
        return [self._unquote(part) for part in self._PART.findall(text)]

    @staticmethod
    def _unquote(part: str) -> str:
        if part.startswith("'"):
            return part[1:-1]
        if part.startswith('"'):
            try:
                return json.loads(part)
            except json.JSONDecodeError:
                return part[1:-1]
        return part
