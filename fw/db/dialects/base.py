"""What every SQL dialect provides: quoting, parameters, types, DDL, the live schema.

A dialect is a plain object without a connection: it turns table
descriptions and values into SQL text and parameters for one engine, and
reads the live schema back through a Database it is given.

fw writes every statement with ``?`` placeholders; ``Dialect.sql`` turns
them into the driver's own style, so records and migrations never build
SQL for one engine only. Values always travel as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..schema import Field, Index, Table

if TYPE_CHECKING:
    from ..connection import Database


@dataclass(frozen=True)
class LiveColumn:
    """A column as the engine reports it, in fw's terms where it can tell."""

    name: str
    type: str
    required: bool
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    default: Any = None
    auto: bool = False


@dataclass(frozen=True)
class LiveTable:
    """A table as the engine reports it: columns, keys, indexes, references."""

    name: str
    columns: tuple[LiveColumn, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[Index, ...] = ()
    references: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def column(self, name: str) -> LiveColumn | None:
        """Return the column called ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)


class Dialect:
    """The SQL of one engine. Subclasses fill in types, DDL and introspection."""

    name = "base"
    placeholder = "?"
    quote_char = '"'

    def quote(self, identifier: str) -> str:
        """Quote a table, column or index name (already checked by the schema)."""
        q = self.quote_char
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def sql(self, statement: str) -> str:
        """Turn fw's ``?`` placeholders into the driver's parameter style."""
        if self.placeholder == "?":
            return statement
        return statement.replace("%", "%%").replace("?", self.placeholder)

    def to_db(self, column: Field, value: Any) -> Any:
        """Convert a Python value of a field to what the driver stores."""
        if value is None:
            return None
        if column.type == "json":
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        if column.type == "decimal":
            return Decimal(str(value))
        return value

    def from_db(self, column: Field, value: Any) -> Any:
        """Convert a value read from the driver to the field's Python type."""
        if value is None:
            return None
        return _READERS.get(column.type, _same)(value)

    # The parts below differ by engine; each dialect module defines them.

    def column_type(self, column: Field) -> str:
        """Return the column type for a field, such as VARCHAR(80)."""
        raise NotImplementedError

    def create_table(self, table: Table) -> list[str]:
        """Return the statements that create a table (without its indexes)."""
        raise NotImplementedError

    def create_index(self, table: Table, index: Index) -> str:
        """Return the statement that creates an index."""
        raise NotImplementedError

    def insert(self, table: Table, columns: Sequence[str]) -> tuple[str, bool]:
        """Return an INSERT with ``?`` placeholders, and whether it RETURNs the key."""
        raise NotImplementedError

    def read_schema(self, database: Database) -> dict[str, LiveTable]:
        """Return the live tables of the connected database, by name."""
        raise NotImplementedError


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _boolean(value: Any) -> bool:
    return bool(value)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if hasattr(value, "total_seconds"):
        seconds = int(value.total_seconds())
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    return time.fromisoformat(str(value))


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


_READERS = {
    "json": _json,
    "decimal": _decimal,
    "boolean": _boolean,
    "date": _date,
    "time": _time,
    "datetime": _datetime,
}
