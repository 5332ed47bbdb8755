"""Form strings to values, read exactly as fw/client/validation.js reads them.

Every step is spelled out in docs/validation.md; in short:

- line breaks ``\\r\\n`` and ``\\r`` become ``\\n`` (browsers send textareas
  with ``\\r\\n`` but measure them with ``\\n``);
- ASCII white space (tab, line feed, form feed, carriage return, space) is
  trimmed from both ends, and an empty result is *missing*;
- each type then has one written grammar, with ASCII digits only.

``read(kind, text)`` gives a :class:`Reading`: the cleaned text and the
value as the expression language sees it (numbers, strings, booleans), the
same in both languages. ``python_value`` turns a reading into the Python
type a record stores (Decimal, date, time, datetime).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TYPES = (
    "text",
    "integer",
    "decimal",
    "boolean",
    "date",
    "time",
    "datetime",
    "email",
    "url",
)
MAX_SAFE_INTEGER = 2**53 - 1

_WHITESPACE = "\t\n\f\r "
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no"})
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_URL = re.compile(
    r"[Hh][Tt][Tt][Pp][Ss]?://"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?"
    r"(?:[/?#][!-~]*)?"
)


@dataclass(frozen=True)
class Reading:
    """A form string read for one type: ``ok`` or not, its text and its value."""

    text: str
    value: Any = None
    ok: bool = True

    @property
    def missing(self) -> bool:
        """Say whether nothing was given (an absent or blank field)."""
        return self.ok and self.text == "" and self.value is None


def clean(text: str | None) -> str:
    """Return ``text`` with line breaks as ``\\n`` and ASCII space trimmed."""
    if text is None:
        return ""

    if not isinstance(text, str):
        raise TypeError(
            f"A form value must be a string or None, not {type(text).__name__}; "
            "pass the form's text as it arrived."
        )

    return text.replace("\r\n", "\n").replace("\r", "\n").strip(_WHITESPACE)


def read(kind: str, raw: str | None) -> Reading:
    """Return ``raw`` read as a value of type ``kind``."""
    text = clean(raw)

    if kind == "boolean":
        return _boolean(text)

    if text == "":
        return Reading("")

    value = _READERS[kind](text)
    return Reading(text, value) if value is not None else Reading(text, ok=False)


def python_value(kind: str, reading: Reading) -> Any:
    """Return the Python value a record stores for a good reading."""
    if reading.value is None:
        return None

    if kind == "decimal":
        return Decimal(reading.text)

    if kind in ("date", "time", "datetime"):
        return _TEMPORAL[kind].fromisoformat(reading.value)

    return reading.value


def canonical_number(number: float) -> int | float:
    """Return ``number`` as the expression language writes it (3.0 is 3)."""
    if number.is_integer() and abs(number) <= MAX_SAFE_INTEGER:
        return int(number)
    return number


def _boolean(text: str) -> Reading:
    word = _ascii_lower(text)
    if word == "" or word in _FALSE:
        return Reading(text, False)
    if word in _TRUE:
        return Reading(text, True)
    return Reading(text, ok=False)


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _text(text: str) -> str | None:
    return None if _CONTROL.search(text) else text


def _integer(text: str) -> int | None:
    if not _INTEGER.fullmatch(text):
        return None
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 16 or int(digits or "0") > MAX_SAFE_INTEGER:
        return None
    return int(text)


def _decimal(text: str) -> int | float | None:
    if not _DECIMAL.fullmatch(text):
        return None
    return canonical_number(float(text))


def _date(text: str) -> str | None:
    found = _DATE.fullmatch(text)
    if not found:
        return None
    year, month, day = (int(part) for part in found.groups())
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= _days(year, month):
        return None
    return text


def _days(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _time(text: str) -> str | None:
    found = _TIME.fullmatch(text)
    if not found:
        return None
    hours, minutes, seconds = found.group(1), found.group(2), found.group(3) or "00"
    if int(hours) > 23 or int(minutes) > 59 or int(seconds) > 59:
        return None
    return f"{hours}:{minutes}:{seconds}"


def _datetime(text: str) -> str | None:
    day, separator, clock = text[:10], text[10:11], text[11:]
    if separator not in ("T", " "):
        return None
    day, clock = _date(day), _time(clock)
    return f"{day}T{clock}" if day and clock else None


def _email(text: str) -> str | None:
    return text if _EMAIL.fullmatch(text) else None


def _url(text: str) -> str | None:
    return text if _URL.fullmatch(text) else None


_READERS = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "time": _time,
    "datetime": _datetime,
    "email": _email,
    "url": _url,
}
_TEMPORAL = {
    "date": datetime.date,
    "time": datetime.time,
    "datetime": datetime.datetime,
}
