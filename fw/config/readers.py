"""Read configuration files by extension into data and the line of every key.

Every reader returns a `Document`: the data as nested dicts, lists and scalars,
and ``lines``, which maps each key path (a tuple of keys and list indexes) to
the line it was written on, so that errors and ``explain`` can point at it.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
from json.decoder import scanstring
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ..plain import Plain

logger = logging.getLogger(__name__)

KeyPath = tuple[str | int, ...]

EXTENDS = "extends"


class Document(Plain):
    """Hold one configuration file's data and where each key was written.

    Read-only once made.
    """

    __slots__ = ("path", "data", "lines", "extends")
    fields = ("path", "data", "lines", "extends")

    def __init__(
        self,
        path: Path,
        data: dict[str, Any],
        lines: dict[KeyPath, int] | None = None,
        extends: bool = False,
    ) -> None:
        self.path = path
        self.data = data
        self.lines = {} if lines is None else lines
        self.extends = extends

    def line_of(self, key: KeyPath) -> int | None:
        """Return the line of `key`, or of the nearest enclosing key known."""
        for end in range(len(key), 0, -1):
            line = self.lines.get(key[:end])
            if line is not None:
                return line
        return None


def read_file(path: str | Path) -> Document:
    """Read the configuration file at `path` with the reader for its extension."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(
            f"No reader knows the extension {path.suffix!r}. "
            f"Use one of {', '.join(sorted(_READERS))}.",
            origin=str(path),
        )

    logger.debug("Reading configuration file %s", path)
    data, lines = reader(path)

    return _split_extends(path, data, lines)


def _split_extends(path: Path, data: dict, lines: dict) -> Document:
    extends = data.pop(EXTENDS, False)
    if not isinstance(extends, bool):
        raise ConfigError(
            f"The reserved key 'extends' is {extends!r}, but it must be true or "
            "false. Set it to true to merge this file over the layers below.",
            origin=str(path),
            line=lines.get((EXTENDS,)),
        )

    lines = {key: line for key, line in lines.items() if key[:1] != (EXTENDS,)}
    return Document(path=path, data=data, lines=lines, extends=extends)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"The configuration file cannot be read ({error.strerror}). "
            "Check that it exists and that the process may read it.",
            origin=str(path),
        ) from None


def _read_text(path: Path) -> str:
    raw = _read_bytes(path)

    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"The file is not valid UTF-8 (byte {raw[error.start]:#04x}). "
            "Save it with UTF-8 encoding.",
            origin=str(path),
            line=line,
        ) from None


def _need_map(path: Path, data: Any) -> dict:
    if not isinstance(data, dict):
        raise ConfigError(
            f"The file holds a {type(data).__name__} at the top, but a configuration "
            "file must hold a map of keys (a JSON object).",
            origin=str(path),
            line=1,
        )
    return data


def _read_json(path: Path) -> tuple[dict, dict]:
    text = _read_text(path)

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"The JSON does not parse: {error.msg}. Fix the syntax at this place.",
            origin=str(path),
            line=error.lineno,
            column=error.colno,
        ) from None

    return _need_map(path, data), _JsonLines(text).scan()


class _JsonLines:
    """Walk a JSON text already known to be valid, noting the line of each key."""

    _SPACE = re.compile(r"[ \t\r\n]*")
    _LITERAL = re.compile(r"[^ \t\r\n,\]}]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: dict[KeyPath, int] = {}
        self._starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def scan(self) -> dict[KeyPath, int]:
        self._value(())
        return self.lines

    def _line(self) -> int:
        return bisect.bisect_right(self._starts, self.pos)

    def _skip(self) -> str:
        self.pos = self._SPACE.match(self.text, self.pos).end()
        return self.text[self.pos : self.pos + 1]

    def _value(self, key: KeyPath) -> None:
        char = self._skip()
        if char == "{":
            self._object(key)
        elif char == "[":
            self._array(key)
        elif char == '"':
            self._string()
        else:
            self.pos = self._LITERAL.match(self.text, self.pos).end()

    def _string(self) -> str:
        value, self.pos = scanstring(self.text, self.pos + 1)
        return value

    def _object(self, key: KeyPath) -> None:
        self.pos += 1
        if self._skip() == "}":
            self.pos += 1
            return

        while True:
            self._skip()
            line = self._line()
            child = key + (self._string(),)
            self.lines[child] = line

            self._skip()
            self.pos += 1
            self._value(child)
            if self._close("}"):
                return

    def _array(self, key: KeyPath) -> None:
        self.pos += 1
        if self._skip() == "]":
            self.pos += 1
            return

        index = 0
        while True:
            self._skip()
            self.lines[key + (index,)] = self._line()
            self._value(key + (index,))
            if self._close("]"):
                return
            index += 1

    def _close(self, closer: str) -> bool:
        char = self._skip()
        self.pos += 1
        return char == closer


def _read_toml(path: Path) -> tuple[dict, dict]:
    from .tomlfiles import read_toml

    return read_toml(_read_text(path), origin=str(path))


# PERF: each format's reader loads when a file of that format is read, so a
# process imports only the parsers its configuration needs.


def _read_ini(path: Path) -> tuple[dict, dict]:
    from .inifiles import read_ini

    return read_ini(_read_text(path), origin=str(path))


def _read_xml(path: Path) -> tuple[dict, dict]:
    from .xmlfiles import read_xml

    return read_xml(_read_bytes(path), origin=str(path))


def _refuse_yaml(path: Path) -> tuple[dict, dict]:
    raise ConfigError(
        "YAML files need an adapter that is not installed: the standard library "
        "has no YAML parser. Convert the file to .json, .toml, .ini or .xml.",
        origin=str(path),
    )


_READERS = {
    ".json": _read_json,
    ".toml": _read_toml,
    ".ini": _read_ini,
    ".xml": _read_xml,
    ".yaml": _refuse_yaml,
    ".yml": _refuse_yaml,
}
