"""MariaDB and MySQL: InnoDB tables in utf8mb4, JSON checked with json_valid.

MariaDB stores a JSON column as LONGTEXT with a ``json_valid`` check
named after the column; read_schema recognises that pair as a json
field. Text without a length is LONGTEXT; an index on it covers the first
191 characters, which MariaDB needs for an index on a long text column.

MariaDB commits each DDL statement by itself, so an upgrade there is not
one transaction: fw checks the whole plan before it runs any of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...plain import replace
from ..schema import Field, Index, Table
from .base import Dialect, LiveColumn, LiveTable, canonical_default

if TYPE_CHECKING:
    from ..connection import Database

PREFIX = 191
_TYPES = {
    "integer": "INT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "time": "TIME(6)",
    "datetime": "DATETIME(6)",
    "json": "JSON",
}
_KINDS = {
    "int": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "decimal": "decimal",
    "varchar": "text",
    "text": "text",
    "mediumtext": "text",
    "longtext": "text",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
}
_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set null"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}

_COLUMNS = """
SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES',
       c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE,
       c.COLUMN_DEFAULT, c.EXTRA
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
"""

_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, COLUMN_NAME
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""

_REFERENCES = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME,
       k.REFERENCED_COLUMN_NAME, r.DELETE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
"""

_CHECKS = """
SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE()
"""


class MySQLDialect(Dialect):
    """The SQL of MariaDB 10.5 and later (and MySQL 8), through PyMySQL."""

    name = "mysql"
    placeholder = "%s"
    quote_char = "`"
    transactional_ddl = False
    name_limit = 64
    types = _TYPES
    decimal_type = "DECIMAL"
    long_text_type = "LONGTEXT"
    table_options = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

    def string_literal(self, text: str) -> str:
        """Quote a string, doubling backslashes, which MariaDB reads as escapes."""
        return super().string_literal(text.replace("\\", "\\\\"))

    def auto_clause(self, column: Field) -> str:
        """Number the key with AUTO_INCREMENT."""
        return "AUTO_INCREMENT"

    def create_index(self, table: Table, index: Index) -> str:
        """Create an index; a long text column is indexed by its first characters."""
        unique = "UNIQUE " if index.unique else ""
        columns = ", ".join(self._index_part(table, name) for name in index.fields)
        return (
            f"CREATE {unique}INDEX {self.quote(index.name)} "
            f"ON {self.quote(table.name)} ({columns})"
        )

    def _index_part(self, table: Table, name: str) -> str:
        column = table.field(name) if table.has_field(name) else None
        long_text = column is not None and column.type in ("text", "json")
        if long_text and not column.length:
            return f"{self.quote(name)}({PREFIX})"
        return self.quote(name)

    def drop_index(self, table: str, index: str) -> str:
        """Drop an index, which MariaDB names per table."""
        return f"DROP INDEX {self.quote(index)} ON {self.quote(table)}"

    def drop_constraint(self, table: str, name: str, kind: str) -> list[str]:
        """Drop a reference, unique or primary key the way MariaDB spells it."""
        prefix = f"ALTER TABLE {self.quote(table)}"
        if kind == "reference":
            return [f"{prefix} DROP FOREIGN KEY {self.quote(name)}"]
        if kind == "primary":
            return [f"{prefix} DROP PRIMARY KEY"]
        return [f"{prefix} DROP INDEX {self.quote(name)}"]

    def set_primary_key(self, table: Table, live: LiveTable) -> list[str]:
        """Replace the primary key in one statement."""
        drop = "DROP PRIMARY KEY, " if live.primary_key else ""
        clause = self.primary_key_clause(table)
        return [f"ALTER TABLE {self.quote(table.name)} {drop}ADD {clause}"]

    def alter_column(self, table: Table, column: Field, live: LiveColumn) -> list[str]:
        """Redefine the column with MODIFY (its unique index is kept apart)."""
        definition = self.column_definition(table, replace(column, unique=False))
        return [f"ALTER TABLE {self.quote(table.name)} MODIFY COLUMN {definition}"]

    def insert(self, table: Table, columns: Sequence[str]) -> tuple[str, bool]:
        """Return an INSERT; the new key comes from cursor.lastrowid."""
        if not columns:
            return f"INSERT INTO {self.quote(table.name)} () VALUES ()", False
        return super().insert(table, columns)

    def read_schema(self, database: Database) -> dict[str, LiveTable]:
        """Read the connected database from information_schema."""
        rows = database.rows(_CHECKS)
        checks = {(table, clause.replace(" ", "")) for table, _, clause in rows}
        tables: dict[str, _Reading] = {}
        for row in database.rows(_COLUMNS):
            reading = tables.setdefault(row[0], _Reading(row[0]))
            reading.columns.append(_column(row, checks))
        for row in database.rows(_REFERENCES):
            tables[row[0]].reference(*row[1:])
        for table, name, unique, column in database.rows(_INDEXES):
            tables[table].index_part(name, bool(unique), column)
        return {name: reading.live() for name, reading in sorted(tables.items())}


class _Reading:
    """A table being read back from information_schema."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns: list[LiveColumn] = []
        self.parts: dict[str, tuple[bool, list[str]]] = {}
        self.references: dict[str, tuple[str, str, str]] = {}
        self.constraints: dict[tuple[str, str], str] = {}

    def reference(self, name, column, target, target_column, rule) -> None:
        on_delete = _ON_DELETE.get(rule, "restrict")
        self.references[column] = (target, target_column, on_delete)
        self.constraints[("reference", column)] = name

    def index_part(self, name: str, unique: bool, column: str) -> None:
        self.parts.setdefault(name, (unique, []))[1].append(column)

    def live(self) -> LiveTable:
        unique, indexes = set(), []
        implicit = {name for (kind, _), name in self.constraints.items()}
        for name, (is_unique, fields) in sorted(self.parts.items()):
            if name == "PRIMARY" or name in implicit:
                continue
            if is_unique and fields == [name]:
                unique.add(name)
                self.constraints[("unique", name)] = name
            else:
                indexes.append(Index(name, tuple(fields), is_unique))
        primary = tuple(self.parts.get("PRIMARY", (True, []))[1])
        columns = tuple(replace(c, unique=c.name in unique) for c in self.columns)
        return LiveTable(
            self.name,
            columns,
            primary,
            tuple(indexes),
            self.references,
            self.constraints,
        )


def _column(row: tuple, checks: set) -> LiveColumn:
    table, name, data_type, column_type, nullable, length, precision, scale = row[:8]
    default, extra = row[8], row[9]
    kind = _kind(table, name, data_type, column_type, checks)
    return LiveColumn(
        name=name,
        type=kind,
        required=not nullable,
        length=length if kind == "text" and data_type == "varchar" else None,
        precision=precision if kind == "decimal" else None,
        scale=scale if kind == "decimal" else None,
        default=_default(kind, default),
        auto="auto_increment" in (extra or "").lower(),
    )


def _kind(table: str, name: str, data_type: str, column_type: str, checks: set) -> str:
    if data_type == "tinyint" and column_type.startswith("tinyint(1)"):
        return "boolean"
    if data_type == "longtext" and (table, f"json_valid(`{name}`)") in checks:
        return "json"
    return _KINDS.get(data_type, data_type)


def _default(kind: str, text: str | None) -> str | None:
    if text is None or text.upper() == "NULL":
        return None
    if text.startswith("'") and text.endswith("'"):
        text = _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), text[1:-1])
        text = text.replace("''", "'")
    try:
        return canonical_default(kind, text, stored=True)
    except ValueError:
        return text


DIALECT = MySQLDialect()
