"""SQLite: types by declared name, ISO text for dates, rebuilds for changes.

SQLite keeps a column's declared type as written and stores values by
affinity, so fw declares types it can read back (VARCHAR(80),
NUMERIC(10,2), BOOLEAN, DATE ...) and converts values itself:

- decimal columns have numeric affinity, so they sort and compare as
  numbers; values come back rounded to the field's scale, exact up to 15
  significant digits (SQLite keeps numbers as 64-bit floats or integers);
- booleans are stored as 0 and 1;
- dates, times and datetimes are ISO 8601 text, which sorts in time order;
- JSON is TEXT, so the live schema reports a json field as text.

SQLite's ALTER TABLE only adds, renames and drops columns; any other
change rebuilds the table as sqlite.org documents: create the new table,
copy the rows, drop the old one, rename the new one, create its indexes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...plain import replace
from ..schema import Field, Index, Table
from .base import Dialect, LiveColumn, LiveTable, canonical_default

if TYPE_CHECKING:
    from ..connection import Database

_TYPES = {
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "time": "TIME",
    "datetime": "DATETIME",
    "json": "TEXT",
}
_DECLARED = re.compile(r"^\s*([A-Z ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")
_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set null"}


class SQLiteDialect(Dialect):
    """The SQL of SQLite 3.35 and later."""

    name = "sqlite"
    can_alter = False
    update_returning = True
    name_limit = 128
    types = _TYPES

    def boolean_literal(self, value: bool) -> str:
        """Return 1 or 0: SQLite stores booleans as integers."""
        return "1" if value else "0"

    def auto_clause(self, column: Field) -> str:
        """Make the column the rowid, numbered without reuse."""
        return "PRIMARY KEY AUTOINCREMENT"

    def primary_key_clause(self, table: Table) -> str | None:
        """Leave the key to the column when it is auto-numbered."""
        if table.auto_field is not None:
            return None
        return super().primary_key_clause(table)

    def begin(self, connection: Any) -> None:
        """Begin explicitly: sqlite3 would begin only at the first change, and a
        savepoint opened before it would then commit when released."""
        if not connection.in_transaction:
            connection.execute("BEGIN")

    def to_db(self, column: Field, value: Any) -> Any:
        """Store dates as ISO text, decimals as text numbers, booleans as 0/1."""
        value = super().to_db(column, value)
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, (date, time)):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, bool):
            return int(value)
        return value

    def from_db(self, column: Field, value: Any) -> Any:
        """Read a value back, rounding decimals to the field's scale."""
        value = super().from_db(column, value)
        if isinstance(value, Decimal) and column.scale is not None:
            return value.quantize(Decimal(1).scaleb(-column.scale))
        return value

    def expected_column(self, table: Table, column: Field) -> LiveColumn:
        """Report a json field as text, which is how SQLite keeps it."""
        found = super().expected_column(table, column)
        return replace(found, type="text") if column.type == "json" else found

    def add_column(self, table: Table, column: Field) -> list[str]:
        """Add a column, its reference written inline as SQLite requires."""
        definition = self.column_definition(table, column)
        target = column.references
        if target is not None:
            definition += (
                f" REFERENCES {self.quote(target.table)} ({self.quote(target.field)})"
                f" ON DELETE {target.on_delete.upper()}"
            )
        return [f"ALTER TABLE {self.quote(table.name)} ADD COLUMN {definition}"]

    def can_add(self, table: Table, column: Field) -> bool:
        """Say whether ALTER TABLE ADD COLUMN can add this field (else rebuild)."""
        required = column.required and column.default is None
        return not (required or column.unique or column.name in table.primary_key)

    def rebuild(
        self, table: Table, live: LiveTable, indexes: Sequence[Index]
    ) -> list[str]:
        """Return the statements that rebuild a table into its described shape.

        The rows are copied for the columns both shapes have; ``indexes``
        are the indexes the table keeps. Foreign key checks must be off
        while this runs, and checked with PRAGMA foreign_key_check after.
        """
        scratch = f"fw_rebuild_{table.name}"
        kept = [c.name for c in table.fields if live.column(c.name) is not None]
        names = ", ".join(self.quote(name) for name in kept)
        statements = self.create_table(table, name=scratch)
        if kept:
            statements.append(
                f"INSERT INTO {self.quote(scratch)} ({names}) "
                f"SELECT {names} FROM {self.quote(table.name)}"
            )
        statements.append(self.drop_table(table.name))
        statements.append(self.rename_table(scratch, table.name))
        statements.extend(self.create_index(table, index) for index in indexes)
        return statements

    def read_schema(self, database: Database) -> dict[str, LiveTable]:
        """Read the tables from sqlite_master and the table PRAGMAs."""
        rows = database.rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
        return {name: self._read_table(database, name, sql) for name, sql in rows}

    def _read_table(self, database: Database, name: str, sql: str) -> LiveTable:
        info = database.rows(f"PRAGMA table_info({self.quote(name)})")
        indexes, unique = self._read_indexes(database, name)
        primary = tuple(row[1] for row in sorted(info, key=lambda r: r[5]) if row[5])
        autoincrement = "AUTOINCREMENT" in sql.upper()
        columns = tuple(
            _column(row, unique, autoincrement and primary == (row[1],)) for row in info
        )
        references = self._read_references(database, name)
        return LiveTable(name, columns, primary, indexes, references)

    def _read_indexes(self, database: Database, table: str) -> tuple[tuple, set]:
        indexes, unique = [], set()
        for _, name, is_unique, origin, _ in database.rows(
            f"PRAGMA index_list({self.quote(table)})"
        ):
            info = database.rows(f"PRAGMA index_info({self.quote(name)})")
            columns = tuple(row[2] for row in info)
            if origin == "u" and len(columns) == 1:
                unique.add(columns[0])
            elif origin == "c":
                indexes.append(Index(name, columns, bool(is_unique)))
        return tuple(sorted(indexes, key=lambda index: index.name)), unique

    def _read_references(self, database: Database, table: str) -> dict:
        rows = database.rows(f"PRAGMA foreign_key_list({self.quote(table)})")
        return {
            row[3]: (row[2], row[4], _ON_DELETE.get(row[6].upper(), "restrict"))
            for row in rows
        }


def _column(row: tuple, unique: set, auto: bool) -> LiveColumn:
    _, name, declared, notnull, default, _ = row
    kind, length, precision, scale = _type_of(declared)
    return LiveColumn(
        name=name,
        type=kind,
        required=bool(notnull),
        length=length,
        precision=precision,
        scale=scale,
        default=_default(kind, default),
        auto=auto,
        unique=name in unique,
    )


def _type_of(declared: str) -> tuple[str, int | None, int | None, int | None]:
    match = _DECLARED.match(declared.upper())
    if match is None:
        return declared.lower(), None, None, None
    base, first, second = match.groups()
    size = int(first) if first else None
    if base in ("NUMERIC", "DECIMAL"):
        return "decimal", None, size, int(second) if second else 0
    if base in ("VARCHAR", "CHARACTER VARYING", "CHAR", "TEXT"):
        return "text", size, None, None
    found = [kind for kind, name in _TYPES.items() if name == base and kind != "json"]
    if found:
        return found[0], None, None, None
    return base.lower(), size, None, None


def _default(kind: str, text: str | None) -> str | None:
    if text is None or text.upper() == "NULL":
        return None
    if text.startswith("'") and text.endswith("'"):
        text = text[1:-1].replace("''", "'")
    try:
        return canonical_default(kind, text, stored=True)
    except ValueError:
        return text


DIALECT = SQLiteDialect()
