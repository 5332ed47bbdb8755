"""Split expression text into tokens that know their line and column.

Columns count characters (Unicode code points) from the ``column`` the
caller gives for the first line, and from 1 on every later line. Lines
break at ``"\\n"`` only; ``"\\r"`` is ordinary white space.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import Position, fail

KEYWORDS = frozenset({"and", "or", "not", "in", "if", "else", "true", "false", "null"})

#: Python spellings that would silently become unknown names.
_PYTHON_WORDS = {"True": "true", "False": "false", "None": "null"}


_HINTS = {
    "=": "write == to compare two values",
    "!": "write not to negate a value",
    "&": "write and to join two conditions",
}

_SYMBOL = re.compile(r"==|!=|<=|>=|[-<>+*/%()\[\]{},:.|]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")
_SPACE = re.compile(r"[ \t\r\n]+")
_PLAIN = {"'": re.compile(r"[^\\'\n\r]+"), '"': re.compile(r'[^\\"\n\r]+')}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_LOW_ESCAPE = re.compile(r"\\u([dD][c-fC-F][0-9a-fA-F]{2})")

#: The largest integer both Python and JavaScript hold exactly (2**53 - 1).
MAX_SAFE_INTEGER = 9007199254740991


class Token(NamedTuple):
    """One token: its kind, its text, its value and where it starts."""

    kind: str  # "number", "string", "name", "keyword", "symbol" or "end"
    text: str
    value: object
    line: int
    column: int


def tokenize(source: str, origin: str, line: int = 1, column: int = 1) -> list[Token]:
    """Return the tokens of ``source``, ending with one token of kind ``end``."""
    return _Scanner(source, origin, line, column).run()


def number_value(text: str) -> int | float:
    """Return the value of a number literal: an int when it is a safe integer."""
    value = float(text)
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


class _Scanner:
    """Walk the text once, keeping track of line and column."""

    def __init__(self, source: str, origin: str, line: int, column: int) -> None:
        self.source = source
        self.origin = origin
        self.index = 0
        self.line = line
        self.line_start = 0
        self.first_column = column
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        while self._skip_space():
            self.tokens.append(self._token())

        self.tokens.append(Token("end", "", None, *self._here()))
        return self.tokens

    def _skip_space(self) -> bool:
        match = _SPACE.match(self.source, self.index)
        if match:
            self.index = match.end()
            breaks = match.group().count("\n")
            if breaks:
                self.line += breaks
                self.line_start = match.start() + match.group().rindex("\n") + 1
                self.first_column = 1
        return self.index < len(self.source)

    def _here(self, index: int | None = None) -> tuple[int, int]:
        index = self.index if index is None else index
        return self.line, self.first_column + index - self.line_start

    def _at(self, index: int | None = None) -> Position:
        return (self.origin, *self._here(index))

    def _token(self) -> Token:
        char = self.source[self.index]
        if char in "'\"":
            return self._string(char)
        if "0" <= char <= "9":
            return self._number()
        if _NAME.match(char):
            return self._name()
        return self._symbol()

    def _name(self) -> Token:
        match = _NAME.match(self.source, self.index)
        text = match.group()
        if text in _PYTHON_WORDS:
            fail("syntax", f"Write {_PYTHON_WORDS[text]}, not {text}: the expression "
                 "language spells its constants in lower case.", self._at())

        kind = "keyword" if text in KEYWORDS else "name"
        return self._advance(kind, text, text, match.end())

    def _number(self) -> Token:
        match = _NUMBER.match(self.source, self.index)
        end = match.end()
        if _WORD_CHAR.match(self.source, end):
            fail("syntax", "A number runs into a letter, digit or underscore here; "
                 "write integers without leading zeros and separate words "
                 "from numbers.", self._at(end))

        return self._advance("number", match.group(), number_value(match.group()), end)

    def _symbol(self) -> Token:
        match = _SYMBOL.match(self.source, self.index)
        if match:
            return self._advance("symbol", match.group(), match.group(), match.end())

        char = self.source[self.index]
        hint = _HINTS.get(char, "remove it or put it inside a quoted string")
        fail("syntax", f"Unexpected character {char!r}: {hint}.", self._at())

    def _advance(self, kind: str, text: str, value: object, end: int) -> Token:
        token = Token(kind, text, value, *self._here())
        self.index = end
        return token

    def _string(self, quote: str) -> Token:
        start = self.index
        parts: list[str] = []
        self.index += 1
        while True:
            match = _PLAIN[quote].match(self.source, self.index)
            if match:
                parts.append(match.group())
                self.index = match.end()
            char = self.source[self.index : self.index + 1]
            if char == quote:
                break
            if char in ("", "\n", "\r"):
                fail("syntax", "This string is not closed before the end of the "
                     f"line; add the closing {quote} (write \\n for a line break "
                     "inside a string).", self._at(start))
            parts.append(self._escape())

        text = self.source[start : self.index + 1]
        token = Token("string", text, "".join(parts), *self._here(start))
        self.index += 1
        return token

    def _escape(self) -> str:
        char = self.source[self.index + 1 : self.index + 2]
        if char in _ESCAPES:
            self.index += 2
            return _ESCAPES[char]
        if char != "u":
            fail("syntax", f"Unknown escape \\{char} in a string; use one of "
                 "\\\\ \\' \\\" \\n \\t \\r or \\uXXXX.", self._at())

        code = self._hex4()
        if 0xDC00 <= code <= 0xDFFF:
            fail("syntax", "A \\u escape gives a lone low surrogate; write a "
                 "character outside the BMP as a high and low surrogate pair.",
                 self._at(self.index - 6))
        if 0xD800 <= code <= 0xDBFF:
            code = self._low_surrogate(code)
        return chr(code)

    def _hex4(self) -> int:
        match = _HEX4.fullmatch(self.source, self.index + 2, self.index + 6)
        if not match:
            fail("syntax", "A \\u escape needs exactly four hexadecimal digits, "
                 "as in \\u00e9.", self._at())

        self.index += 6
        return int(match.group(), 16)

    def _low_surrogate(self, high: int) -> int:
        match = _LOW_ESCAPE.match(self.source, self.index)
        if not match:
            fail("syntax", "A \\u escape gives a high surrogate that no low "
                 "surrogate follows; write the pair, as in \\ud83d\\ude00.",
                 self._at(self.index - 6))

        self.index = match.end()
        low = int(match.group(1), 16)
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
