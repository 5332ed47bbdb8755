"""Patterns that mean the same in Python's ``re`` and JavaScript's RegExp.

A validation pattern is checked when its rules are loaded and rewritten
into one regex source that both languages compile: Python matches it with
``re.fullmatch``, the browser with ``new RegExp(source, "u")``. The subset
(docs/validation.md) keeps to what the two engines read alike:

- ``^`` first and ``$`` last, nowhere else; the value must match as a whole;
- literals, ``.`` (any code point but a line feed), classes ``[a-z]`` and
  ``[^...]``, groups ``(...)`` and ``(?:...)``, alternation ``|``;
- quantifiers ``* + ? {n} {n,} {n,m}``, each optionally lazy (``?``);
- escapes of the syntax characters (``\\.`` ``\\(`` ...), ``\\n \\t \\r`` and
  ``\\uXXXX`` outside the surrogate range.

Everything else is refused with a sentence saying what to write instead:
``\\d \\w \\s \\b`` (their meaning differs between the engines), back
references, lookaround, named groups, inline flags, possessive quantifiers,
a bare ``{ } ]`` and set operators inside classes.
"""

from __future__ import annotations

MAX_LENGTH = 1000
MAX_REPEAT = 1000
MAX_GROUPS = 32

_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
_CLASS_SYNTAX = _SYNTAX | {"-"}
_CONTROL_ESCAPES = frozenset("ntr")
_QUANTIFIERS = frozenset("*+?{")
_HEX = frozenset("0123456789abcdefABCDEF")
_CLASS_ESCAPES = {"d": "[0-9]", "w": "[A-Za-z0-9_]", "s": "[ \\t\\n]"}
_ANY = "[^\\n]"


class PatternError(ValueError):
    """A pattern uses something outside the shared subset; the text says what."""


def shared_source(pattern: str) -> str:
    """Return the regex source both languages compile; PatternError if unsafe."""
    if not isinstance(pattern, str):
        raise PatternError(f"A pattern must be text, not {type(pattern).__name__}.")

    if len(pattern) > MAX_LENGTH:
        raise PatternError(f"The pattern is longer than {MAX_LENGTH} characters.")

    if len(pattern) < 2 or pattern[0] != "^" or not _ends_with_anchor(pattern):
        raise PatternError(
            "The pattern must start with ^ and end with $, so that it matches "
            "the whole value, as it does in the browser."
        )

    body = _Reader(pattern[1:-1]).body()
    return f"^(?:{body})$"


def _ends_with_anchor(pattern: str) -> bool:
    escapes = len(pattern[1:-1]) - len(pattern[1:-1].rstrip("\\"))
    return pattern[-1] == "$" and escapes % 2 == 0


class _Reader:
    """Read a pattern body once, left to right, writing the shared source."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.open_groups = 0

    def fail(self, message: str) -> PatternError:
        return PatternError(f"At character {self.at + 2} of the pattern: {message}")

    def peek(self, offset: int = 0) -> str:
        index = self.at + offset
        return self.text[index] if index < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.at += 1
        return char

    def body(self) -> str:
        source = self.alternation()
        if self.at < len(self.text):
            raise self.fail("a ) closes no group; escape it as \\).")
        return source

    def alternation(self) -> str:
        parts = [self.sequence()]
        while self.peek() == "|":
            self.take()
            parts.append(self.sequence())
        return "|".join(parts)

    def sequence(self) -> str:
        parts = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            parts.append(atom + self.quantifier())
        return "".join(parts)

    def atom(self) -> str:
        char = self.peek()
        if char in _QUANTIFIERS:
            raise self.fail(
                f"the quantifier {char} repeats nothing; escape it as \\{char}."
            )
        if char == "(":
            return self.group()
        if char == "[":
            return self.character_class()
        if char == "\\":
            return self.escape(_SYNTAX)
        return self.literal()

    def literal(self) -> str:
        char = self.take()
        if char in "^$":
            raise self.fail(
                f"{char} may stand only at the ends; escape it as \\{char}."
            )
        if char in "]}":
            raise self.fail(
                f"a bare {char} is read differently; escape it as \\{char}."
            )
        _refuse_surrogate(char, self)
        return _ANY if char == "." else char

    def group(self) -> str:
        self.take()
        prefix = ""
        if self.peek() == "?":
            prefix = self.group_kind()
        self.open_groups += 1
        if self.open_groups > MAX_GROUPS:
            raise self.fail(f"more than {MAX_GROUPS} groups are open at once.")
        inner = self.alternation()
        if self.take() != ")":
            raise self.fail("a group is not closed; add the missing ).")
        self.open_groups -= 1
        return f"({prefix}{inner})"

    def group_kind(self) -> str:
        if self.peek(1) == ":":
            self.at += 2
            return "?:"
        raise self.fail(
            "only ( and (?: groups are shared by both languages; lookaround, "
            "named groups and inline flags are not supported."
        )

    def quantifier(self) -> str:
        char = self.peek()
        if char not in _QUANTIFIERS:
            return ""
        source = self.counted() if char == "{" else self.take()
        if self.peek() == "?":
            source += self.take()
        if self.peek() in _QUANTIFIERS:
            raise self.fail(
                "a quantifier follows a quantifier; possessive and doubled "
                "quantifiers are not supported, so group the part first."
            )
        return source

    def counted(self) -> str:
        end = self.text.find("}", self.at)
        inside = self.text[self.at + 1 : end] if end > 0 else ""
        low, comma, high = inside.partition(",")
        if end < 0 or not low.isascii() or not low.isdigit():
            raise self.fail("write a count as {n}, {n,} or {n,m}, or escape { as \\{.")
        if high and not (high.isascii() and high.isdigit()):
            raise self.fail("write a count as {n}, {n,} or {n,m}, or escape { as \\{.")
        _check_counts(int(low), int(high) if high else None, self)
        self.at = end + 1
        return "{" + low + comma + high + "}"

    def escape(self, escapable: frozenset[str]) -> str:
        self.take()
        char = self.take()
        if char in escapable:
            return "\\" + char
        if char in _CONTROL_ESCAPES:
            return "\\" + char
        if char == "u":
            return self.unicode_escape()
        raise self.fail(_escape_advice(char))

    def unicode_escape(self) -> str:
        digits = self.text[self.at : self.at + 4]
        if len(digits) != 4 or not set(digits) <= _HEX:
            raise self.fail("write \\u with exactly four hexadecimal digits.")
        if 0xD800 <= int(digits, 16) <= 0xDFFF:
            raise self.fail(
                "\\u escapes of surrogates are read differently; write the "
                "character itself."
            )
        self.at += 4
        return "\\u" + digits

    def character_class(self) -> str:
        self.take()
        negated = "^" if self.peek() == "^" else ""
        self.at += len(negated)
        items = []
        while self.peek() != "]":
            if not self.peek():
                raise self.fail("a class is not closed; add the missing ].")
            items.append(self.class_item(first=not items))
        if not items:
            raise self.fail("a class must hold something; write \\] for a bracket.")
        self.take()
        return f"[{negated}{''.join(items)}]"

    def class_item(self, *, first: bool) -> str:
        low, low_source = self.class_atom(first=first)
        if self.peek() != "-" or self.peek(1) in ("]", ""):
            return low_source
        self.take()
        if self.peek() == "-":
            raise self.fail("a range may not end with -; escape it as \\-.")
        high, high_source = self.class_atom(first=False)
        if low is None or high is None or ord(low) > ord(high):
            raise self.fail("a range must go from a character to a later one.")
        return f"{low_source}-{high_source}"

    def class_atom(self, *, first: bool) -> tuple[str | None, str]:
        char = self.peek()
        if char == "\\":
            source = self.escape(_CLASS_SYNTAX)
            return _escaped_char(source), source
        if char == "[":
            raise self.fail("a [ inside a class is read differently; escape it as \\[.")
        if char == "-" and not first and self.peek(1) != "]":
            raise self.fail("a - inside a class must be first, last or escaped as \\-.")
        if char in "&~|" and self.peek(1) == char:
            raise self.fail(f"a doubled {char} inside a class is reserved; escape one.")
        self.take()
        _refuse_surrogate(char, self)
        return char, char


def _check_counts(low: int, high: int | None, reader: _Reader) -> None:
    if max(low, high or 0) > MAX_REPEAT:
        raise reader.fail(f"a count may be at most {MAX_REPEAT}.")
    if high is not None and high < low:
        raise reader.fail("in {n,m} the n must not exceed the m.")


def _escaped_char(source: str) -> str | None:
    if source.startswith("\\u"):
        return chr(int(source[2:], 16))
    return {"\\n": "\n", "\\t": "\t", "\\r": "\r"}.get(source, source[1])


def _refuse_surrogate(char: str, reader: _Reader) -> None:
    if "\ud800" <= char <= "\udfff":
        raise reader.fail("the pattern holds a lone surrogate; write whole characters.")


def _escape_advice(char: str) -> str:
    if char in _CLASS_ESCAPES:
        return (
            f"\\{char} means different things in Python and JavaScript; write "
            f"a class such as {_CLASS_ESCAPES[char]} instead."
        )
    if char.isdigit():
        return "back references are not supported."
    if not char:
        return "the pattern ends with a lone backslash."
    return f"\\{char} is not a shared escape; escape only syntax characters."
