"""Checks on what a query names and carries: fields, filters, orders, values.

Every name a query mentions is looked up in the table's description and
every value is checked against its field's type before any SQL is built,
so a hostile name or value is refused with a QueryError and never reaches
the database. Identifiers in the SQL come only from the description,
quoted by the dialect; values always travel as parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import PurePosixPath
from typing import Any

from ...exceptions import FwError
from ...plain import Plain
from ..dialects.base import Dialect
from ..schema import Field, Table

OPERATORS = {
    "eq": "=",
    "ne": "<>",
    "gt": ">",
    "lt": "<",
    "ge": ">=",
    "le": "<=",
}
PATTERNS = ("like", "startswith", "endswith", "contains")
OTHERS = ("in", "isnull")
# NOTE: integer fields are 32-bit on PostgreSQL and MariaDB; SQLite would
# take more, so the same limit is checked for every engine.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
MAX_IN = 1000
ALL_OPERATORS = (*OPERATORS, *PATTERNS, *OTHERS)
ESCAPE = "!"

_ORDER = re.compile(r"^(-?)([a-z_][a-z0-9_]*)$")


class QueryError(FwError):
    """A query names an unknown field or operator, or carries a bad value."""


class Condition(Plain):
    """One part of a WHERE clause: SQL with ``?`` placeholders, and its values."""

    __slots__ = fields = ("sql", "params")

    def __init__(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.sql = sql
        self.params = params


def stored_field(table: Table, name: Any, purpose: str) -> Field:
    """Return the stored field ``name``, or say why it cannot be used."""
    if isinstance(name, str) and table.has_field(name):
        return table.field(name)
    if isinstance(name, str) and name in table.computed:
        raise QueryError(
            f"The field {name} of {table.name} is computed, not stored, so it "
            f"cannot be used {purpose}; use one of {_names(table)}."
        )
    raise QueryError(
        f"The table {table.name} has no field {_shown(name)} to use {purpose}; "
        f"its fields are {_names(table)}."
    )


def conditions(
    table: Table, dialect: Dialect, filters: Mapping[str, Any]
) -> list[Condition]:
    """Turn Django-style filters (``price__gt=10``) into checked conditions."""
    return [condition(table, dialect, name, value) for name, value in filters.items()]


def condition(table: Table, dialect: Dialect, name: str, value: Any) -> Condition:
    """Turn one filter into a condition; QueryError for a bad name or value."""
    field_name, _, operator = name.partition("__")
    column = stored_field(table, field_name, "in a filter")
    operator = operator or "eq"
    if operator not in ALL_OPERATORS:
        raise QueryError(
            f"The filter {_shown(name)} on {table.name} uses the unknown operator "
            f"{_shown(operator)}; the operators are {', '.join(ALL_OPERATORS)}."
        )
    if column.type == "json":
        _check_json(column, operator, value)
    quoted = dialect.quote(column.name)
    if operator in OPERATORS:
        return _comparison(dialect, column, quoted, operator, value)
    if operator in PATTERNS:
        return _pattern(column, quoted, operator, value)
    if operator == "in":
        return _within(dialect, column, quoted, value)
    return _null(column, quoted, value)


def _check_json(column: Field, operator: str, value: Any) -> None:
    if operator == "isnull" or (value is None and operator in ("eq", "ne")):
        return
    raise QueryError(
        f"The field {column.name} holds JSON, which the engines compare "
        f"differently; filter it only with {column.name}__isnull."
    )


def _comparison(
    dialect: Dialect, column: Field, quoted: str, operator: str, value: Any
) -> Condition:
    if value is None and operator in ("eq", "ne"):
        return Condition(f"{quoted} IS {'NOT ' if operator == 'ne' else ''}NULL")
    if value is None:
        raise QueryError(
            f"The filter {column.name}__{operator} got None; compare with a value, "
            f"or use {column.name}__isnull=True."
        )
    stored = db_value(dialect, column, value)
    return Condition(f"{quoted} {OPERATORS[operator]} ?", (stored,))


def _pattern(column: Field, quoted: str, operator: str, value: Any) -> Condition:
    if column.type not in ("text", "file"):
        raise QueryError(
            f"The filter {column.name}__{operator} needs a text field; "
            f"{column.name} is {column.type}."
        )
    text = check_text(column, value)
    if operator == "like":
        return Condition(f"{quoted} LIKE ?", (text,))
    escaped = "".join(ESCAPE + c if c in (ESCAPE, "%", "_") else c for c in text)
    pattern = {
        "startswith": f"{escaped}%",
        "endswith": f"%{escaped}",
        "contains": f"%{escaped}%",
    }[operator]
    return Condition(f"{quoted} LIKE ? ESCAPE '{ESCAPE}'", (pattern,))


def _within(dialect: Dialect, column: Field, quoted: str, value: Any) -> Condition:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise QueryError(
            f"The filter {column.name}__in needs a list of values, not "
            f"{type(value).__name__}."
        )
    values = tuple(db_value(dialect, column, item) for item in value)
    if len(values) > MAX_IN:
        raise QueryError(
            f"The filter {column.name}__in got {len(values)} values; give at most "
            f"{MAX_IN}, or filter another way."
        )
    if not values:
        return Condition("1 = 0")
    marks = ", ".join("?" for _ in values)
    return Condition(f"{quoted} IN ({marks})", values)


def _null(column: Field, quoted: str, value: Any) -> Condition:
    if not isinstance(value, bool):
        raise QueryError(
            f"The filter {column.name}__isnull needs True or False, not {value!r}."
        )
    return Condition(f"{quoted} IS {'' if value else 'NOT '}NULL")


def order_terms(table: Table, dialect: Dialect, names: Sequence[Any]) -> list[str]:
    """Turn order names ("-price", "name") into quoted ORDER BY terms."""
    terms = []
    for name in names:
        found = _ORDER.match(name) if isinstance(name, str) else None
        if found is None:
            raise QueryError(
                f"The order {_shown(name)} is not a field name; write a field of "
                f"{table.name}, with '-' in front for descending order."
            )
        column = stored_field(table, found.group(2), "in an order")
        direction = " DESC" if found.group(1) else ""
        terms.append(f"{dialect.quote(column.name)}{direction}")
    return terms


def count_value(value: Any, what: str) -> int:
    """Return ``value`` as a limit or offset: a whole number, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise QueryError(
            f"The {what} must be a whole number, zero or more, not {value!r}."
        )
    return value


def write_values(
    table: Table, values: Mapping[str, Any], action: str
) -> dict[str, Any]:
    """Check the names and values to write; return them as Python values."""
    checked = {}
    for name, value in values.items():
        column = stored_field(table, name, f"in an {action}")
        checked[name] = python_value(column, value)
        _check_length(column, checked[name])
    return checked


def _check_length(column: Field, value: Any) -> None:
    if column.length and isinstance(value, str) and len(value) > column.length:
        raise QueryError(
            f"The field {column.name} holds at most {column.length} characters, "
            f"and got {len(value)}; shorten the value."
        )


def db_value(dialect: Dialect, column: Field, value: Any) -> Any:
    """Return ``value`` checked for its field, as the driver stores it."""
    return dialect.to_db(column, python_value(column, value))


def python_value(column: Field, value: Any) -> Any:
    """Return ``value`` as the Python type of its field; QueryError if it is not."""
    if value is None:
        return None
    try:
        return _CONVERTERS[column.type](column, value)
    except (TypeError, ValueError, InvalidOperation):
        raise QueryError(
            f"The field {column.name} is {column.type}, and the value "
            f"{_shown(value)} is not one; {_EXPECTED[column.type]}."
        ) from None


def check_text(column: Field, value: Any) -> str:
    """Return ``value`` if it is text without NUL characters."""
    if not isinstance(value, str):
        raise QueryError(
            f"The field {column.name} takes text, and got {type(value).__name__}."
        )
    if "\x00" in value:
        raise QueryError(
            f"The value for {column.name} holds a NUL character, which no "
            "database stores as text; remove it."
        )
    return value


def _integer(column: Field, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(value)
    if isinstance(value, str) and len(value) > 20:
        raise ValueError(value)
    number = int(value)
    if not INTEGER_MIN <= number <= INTEGER_MAX:
        raise ValueError(value)
    return number


def _decimal(column: Field, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise TypeError(value)
    if isinstance(value, str) and len(value) > 100:
        raise ValueError(value)
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(value)
    return fit_decimal(column, number)


def fit_decimal(column: Field, number: Decimal) -> Decimal:
    """Round a number to its field's scale; ValueError when it has too many digits."""
    scale, precision = column.scale or 0, column.precision or 38
    if number.adjusted() >= precision - scale:
        raise ValueError(number)
    with localcontext() as context:
        context.prec = precision + 2
        return number.quantize(Decimal(1).scaleb(-scale))


def _boolean(column: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _date(column: Field, value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, (date, str)):
        raise TypeError(value)
    return value if isinstance(value, date) else date.fromisoformat(value)


def _time(column: Field, value: Any) -> time:
    if not isinstance(value, (time, str)):
        raise TypeError(value)
    return value if isinstance(value, time) else time.fromisoformat(value)


def _datetime(column: Field, value: Any) -> datetime:
    if not isinstance(value, (datetime, str)):
        raise TypeError(value)
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _file(column: Field, value: Any) -> str:
    path = PurePosixPath(check_text(column, value))
    if path.is_absolute() or ".." in path.parts or "\\" in value or not value:
        raise QueryError(
            f"The file field {column.name} holds a path inside its upload folder, "
            f"such as photos/a.jpg (None for no file); {_shown(value)} is not one."
        )
    return value


def _json(column: Field, value: Any) -> Any:
    text = json.dumps(value, ensure_ascii=False)
    if "\\u0000" in text:
        check_text(column, "\x00")
    return value


_CONVERTERS = {
    "integer": _integer,
    "decimal": _decimal,
    "text": check_text,
    "boolean": _boolean,
    "date": _date,
    "time": _time,
    "datetime": _datetime,
    "file": _file,
    "json": _json,
}
_EXPECTED = {
    "integer": "give a whole number from -2147483648 to 2147483647",
    "decimal": "give a Decimal, a number or its text, within the field's digits",
    "text": "give text",
    "boolean": "give True or False",
    "date": "give a date or its ISO text (2024-05-31)",
    "time": "give a time or its ISO text (13:45:00)",
    "datetime": "give a datetime or its ISO text (2024-05-31T13:45:00)",
    "file": "give a relative path inside the upload folder",
    "json": "give a value JSON can hold (dict, list, text, number, bool)",
}


def _names(table: Table) -> str:
    return ", ".join(table.field_names)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
