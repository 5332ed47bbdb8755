"""What every SQL dialect provides: quoting, parameters, types, DDL, the live schema.

A dialect is a plain object without a connection: it turns table
descriptions and values into SQL text and parameters for one engine, and
reads the live schema back through a Database it is given.

fw writes every statement with ``?`` placeholders; ``Dialect.sql`` turns
them into the driver's own style, so records and migrations never build
SQL for one engine only. Values always travel as parameters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation, localcontext
from functools import partial
from typing import TYPE_CHECKING, Any

from ...plain import Plain
from ..schema import Field, Index, Table

if TYPE_CHECKING:
    from ..connection import Database


class LiveColumn(Plain):
    """A column as the engine reports it, in fw's terms where it can tell."""

    __slots__ = fields = (
        "name", "type", "required", "length", "precision", "scale", "default",
        "auto", "unique",
    )

    def __init__(
        self,
        name: str,
        type: str,
        required: bool,
        length: int | None = None,
        precision: int | None = None,
        scale: int | None = None,
        default: Any = None,
        auto: bool = False,
        unique: bool = False,
    ) -> None:
        self.name = name
        self.type = type
        self.required = required
        self.length = length
        self.precision = precision
        self.scale = scale
        self.default = default
        self.auto = auto
        self.unique = unique


class LiveTable(Plain):
    """A table as the engine reports it: columns, keys, indexes, references.

    ``indexes`` leaves out the ones the engine makes by itself for the
    primary key, a unique column or a reference; ``references`` maps a
    column to (table, column, on_delete) and ``constraints`` maps
    ("reference" | "unique", column) and ("primary", "") to the names of
    the constraints, which altering or dropping them needs.
    """

    __slots__ = fields = (
        "name", "columns", "primary_key", "indexes", "references", "constraints",
    )

    def __init__(
        self,
        name: str,
        columns: tuple[LiveColumn, ...],
        primary_key: tuple[str, ...],
        indexes: tuple[Index, ...] = (),
        references: dict[str, tuple[str, str, str]] | None = None,
        constraints: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.name = name
        self.columns = columns
        self.primary_key = primary_key
        self.indexes = indexes
        self.references = {} if references is None else references
        self.constraints = {} if constraints is None else constraints

    def column(self, name: str) -> LiveColumn | None:
        """Return the column called ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)

    def index(self, name: str) -> Index | None:
        """Return the index called ``name``, or None."""
        return next((i for i in self.indexes if i.name == name), None)


class Dialect:
    """The SQL of one engine. Subclasses fill in types, DDL and introspection."""

    name = "base"
    placeholder = "?"
    quote_char = '"'
    # A failed statement aborts the whole transaction (PostgreSQL), so a
    # step that may fail inside one needs a savepoint to keep it usable.
    failure_aborts_transaction = False
    # UPDATE ... RETURNING gives the changed rows as stored (not MariaDB).
    update_returning = False
    # The field types whose values the driver gives as fw's Python values,
    # those it takes as they are, and those read back exactly as written.
    read_as_is = frozenset({"integer", "text", "file"})
    written_as_is = frozenset({"integer", "text", "file"})
    read_as_written = frozenset({"integer", "text", "file", "boolean"})

    def quote(self, identifier: str) -> str:
        """Quote a table, column or index name (already checked by the schema)."""
        q = self.quote_char
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def sql(self, statement: str) -> str:
        """Turn fw's ``?`` placeholders into the driver's parameter style."""
        if self.placeholder == "?":
            return statement
        return statement.replace("%", "%%").replace("?", self.placeholder)

    def begin(self, connection: Any) -> None:
        """Open a transaction where the driver would not (its first statement does)."""

    def to_db(self, column: Field, value: Any) -> Any:
        """Convert a Python value of a field to what the driver stores."""
        if value is None:
            return None
        if column.type == "json":
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        if column.type == "decimal":
            return _rounded(column, Decimal(str(value)))
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def from_db(self, column: Field, value: Any) -> Any:
        """Convert a value read from the driver to the field's Python type."""
        if value is None:
            return None
        return _READERS.get(column.type, _same)(value)

    def reader(self, column: Field) -> Callable[[Any], Any] | None:
        """Return ``from_db`` for one field, or None where it changes nothing."""
        if column.type in self.read_as_is:
            return None
        return partial(self.from_db, column)

    def writer(self, column: Field) -> Callable[[Any], Any] | None:
        """Return ``to_db`` for one field, or None where it changes nothing."""
        if column.type in self.written_as_is:
            return None
        return partial(self.to_db, column)

    # Types, literals and DDL: the common SQL, which the engines adjust.

    transactional_ddl = True
    can_alter = True
    table_options = ""
    name_limit = 63

    # Each dialect names its types: the fixed ones, decimals, unbounded text.
    types: dict[str, str] = {}
    decimal_type = "NUMERIC"
    long_text_type = "TEXT"

    def column_type(self, column: Field) -> str:
        """Return the column type for a field, such as VARCHAR(80)."""
        if column.type == "decimal":
            return f"{self.decimal_type}({column.precision},{column.scale or 0})"
        if column.type in ("text", "file"):
            return f"VARCHAR({column.length})" if column.length else self.long_text_type
        return self.types[column.type]

    def boolean_literal(self, value: bool) -> str:
        """Return the literal of a boolean value."""
        return "TRUE" if value else "FALSE"

    def string_literal(self, text: str) -> str:
        """Return a quoted string literal."""
        return "'" + text.replace("'", "''") + "'"

    def literal(self, column: Field, value: Any) -> str:
        """Return a field's value as an SQL literal, for defaults in DDL."""
        text = canonical_default(column.type, value)
        if column.type == "boolean":
            return self.boolean_literal(text == "true")
        if column.type in ("integer", "decimal"):
            return text
        return self.string_literal(text)

    def auto_clause(self, column: Field) -> str:
        """Return what makes an integer primary key auto-numbered."""
        raise NotImplementedError

    def column_definition(self, table: Table, column: Field) -> str:
        """Return a column's definition inside CREATE TABLE or ADD COLUMN."""
        parts = [self.quote(column.name), self.column_type(column)]
        if is_required(table, column):
            parts.append("NOT NULL")
        if column.auto:
            parts.append(self.auto_clause(column))
        if column.default is not None:
            parts.append(f"DEFAULT {self.literal(column, column.default)}")
        if column.unique:
            parts.append("UNIQUE")
        return " ".join(parts)

    def primary_key_clause(self, table: Table) -> str | None:
        """Return the table's PRIMARY KEY clause."""
        columns = ", ".join(self.quote(name) for name in table.primary_key)
        return f"PRIMARY KEY ({columns})"

    def reference_name(self, table: str, column: str) -> str:
        """Return the name fw gives the constraint of a column's reference."""
        return self.short_name(f"fk_{table}_{column}")

    def short_name(self, name: str) -> str:
        """Shorten a generated name to the engine's limit, keeping it unique."""
        if len(name) <= self.name_limit:
            return name
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        return f"{name[: self.name_limit - 9]}_{digest}"

    def reference_clause(self, table: Table, column: Field) -> str:
        """Return a column's FOREIGN KEY constraint clause."""
        target = column.references
        name = self.quote(self.reference_name(table.name, column.name))
        return (
            f"CONSTRAINT {name} FOREIGN KEY ({self.quote(column.name)}) "
            f"REFERENCES {self.quote(target.table)} ({self.quote(target.field)}) "
            f"ON DELETE {target.on_delete.upper()}"
        )

    def create_table(
        self, table: Table, *, name: str | None = None, deferred: Sequence[str] = ()
    ) -> list[str]:
        """Return the statements that create a table (without its indexes).

        ``name`` creates it under another name (a rebuild); the references
        of the ``deferred`` columns are left out, to be added once the
        tables they point at exist.
        """
        lines = [self.column_definition(table, column) for column in table.fields]
        primary = self.primary_key_clause(table)
        if primary:
            lines.append(primary)
        lines.extend(
            self.reference_clause(table, column)
            for column in table.fields
            if column.references and column.name not in deferred
        )
        body = ",\n  ".join(lines)
        target = self.quote(name or table.name)
        return [f"CREATE TABLE {target} (\n  {body}\n){self.table_options}"]

    def create_index(self, table: Table, index: Index) -> str:
        """Return the statement that creates an index."""
        unique = "UNIQUE " if index.unique else ""
        columns = ", ".join(self.quote(name) for name in index.fields)
        return (
            f"CREATE {unique}INDEX {self.quote(index.name)} "
            f"ON {self.quote(table.name)} ({columns})"
        )

    def drop_index(self, table: str, index: str) -> str:
        """Return the statement that drops an index of a table."""
        return f"DROP INDEX {self.quote(index)}"

    def drop_table(self, table: str) -> str:
        """Return the statement that drops a table."""
        return f"DROP TABLE {self.quote(table)}"

    def rename_table(self, old: str, new: str) -> str:
        """Return the statement that renames a table."""
        return f"ALTER TABLE {self.quote(old)} RENAME TO {self.quote(new)}"

    def rename_column(self, table: str, old: str, new: str) -> str:
        """Return the statement that renames a column."""
        return (
            f"ALTER TABLE {self.quote(table)} "
            f"RENAME COLUMN {self.quote(old)} TO {self.quote(new)}"
        )

    def add_column(self, table: Table, column: Field) -> list[str]:
        """Return the statements that add a column, with its reference."""
        statements = [
            f"ALTER TABLE {self.quote(table.name)} "
            f"ADD COLUMN {self.column_definition(table, column)}"
        ]
        if column.references:
            statements.extend(self.add_reference(table, column))
        return statements

    def drop_column(self, table: str, column: str) -> list[str]:
        """Return the statements that drop a column."""
        return [f"ALTER TABLE {self.quote(table)} DROP COLUMN {self.quote(column)}"]

    def add_reference(self, table: Table, column: Field) -> list[str]:
        """Return the statements that add a column's reference to a table."""
        clause = self.reference_clause(table, column)
        return [f"ALTER TABLE {self.quote(table.name)} ADD {clause}"]

    def drop_constraint(self, table: str, name: str, kind: str) -> list[str]:
        """Return the statements that drop a named constraint of a table."""
        return [f"ALTER TABLE {self.quote(table)} DROP CONSTRAINT {self.quote(name)}"]

    def add_unique(self, table: str, column: str) -> list[str]:
        """Return the statements that make a column unique."""
        return [f"ALTER TABLE {self.quote(table)} ADD UNIQUE ({self.quote(column)})"]

    def set_primary_key(self, table: Table, live: LiveTable) -> list[str]:
        """Return the statements that replace a table's primary key."""
        name = live.constraints.get(("primary", ""))
        statements = self.drop_constraint(table.name, name, "primary") if name else []
        clause = self.primary_key_clause(table)
        return [*statements, f"ALTER TABLE {self.quote(table.name)} ADD {clause}"]

    def alter_column(self, table: Table, column: Field, live: LiveColumn) -> list[str]:
        """Return the statements that change a column's type, NOT NULL, default."""
        raise NotImplementedError

    def insert(self, table: Table, columns: Sequence[str]) -> tuple[str, bool]:
        """Return an INSERT with ``?`` placeholders, and whether it RETURNs the key."""
        if not columns:
            return f"INSERT INTO {self.quote(table.name)} DEFAULT VALUES", False
        names = ", ".join(self.quote(name) for name in columns)
        marks = ", ".join("?" for _ in columns)
        return f"INSERT INTO {self.quote(table.name)} ({names}) VALUES ({marks})", False

    def sync_auto(self, table: Table) -> list[str]:
        """Return what makes the auto key continue after rows copied with keys."""
        return []

    def read_schema(self, database: Database) -> dict[str, LiveTable]:
        """Return the live tables of the connected database, by name."""
        raise NotImplementedError

    def expected(self, table: Table) -> LiveTable:
        """Return the LiveTable that read_schema reports for a described table.

        Migrations compare this with what the engine holds, so that two
        descriptions stored the same way (a file field and a text field of
        the same length, say) are never seen as a difference.
        """
        return LiveTable(
            name=table.name,
            columns=tuple(self.expected_column(table, c) for c in table.fields),
            primary_key=table.primary_key,
            indexes=tuple(sorted(table.indexes, key=lambda index: index.name)),
            references={
                c.name: (c.references.table, c.references.field, c.references.on_delete)
                for c in table.fields
                if c.references
            },
        )

    def expected_column(self, table: Table, column: Field) -> LiveColumn:
        """Return the LiveColumn that read_schema reports for a field."""
        kind = "text" if column.type == "file" else column.type
        return LiveColumn(
            name=column.name,
            type=kind,
            required=is_required(table, column),
            length=column.length,
            precision=column.precision,
            scale=column.scale,
            default=canonical_default(column.type, column.default),
            auto=column.auto,
            unique=column.unique,
        )


def is_required(table: Table, column: Field) -> bool:
    """Say whether a column is NOT NULL: required, or part of the primary key."""
    return column.required or column.name in table.primary_key


def canonical_default(kind: str, value: Any, *, stored: bool = False) -> str | None:
    """Return a default as canonical text, so described and live ones compare.

    ``stored`` says the value was read back from the engine, where a JSON
    default is its text rather than the value itself.
    """
    if value is None:
        return None
    try:
        loaded = _loaded(value) if stored and kind == "json" else value
        return _CANONICAL.get(kind, str)(loaded)
    except (ValueError, TypeError, InvalidOperation):
        raise ValueError(
            f"The default {value!r} is not a valid {kind} value; write one that is."
        ) from None


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _boolean_text(value: Any) -> str:
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes"):
        return "true"
    if text in ("0", "false", "f", "no"):
        return "false"
    raise ValueError(value)


def _integer_text(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return str(int(Decimal(str(value))))


def _decimal_text(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _date_text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return (value if isinstance(value, date) else _date(str(value))).isoformat()


def _time_text(value: Any) -> str:
    return _time(value).isoformat()


def _datetime_text(value: Any) -> str:
    return _datetime(value).isoformat(sep=" ")


_CANONICAL = {
    "boolean": _boolean_text,
    "integer": _integer_text,
    "decimal": _decimal_text,
    "json": _json_text,
    "date": _date_text,
    "time": _time_text,
    "datetime": _datetime_text,
}


def _rounded(column: Field, number: Decimal) -> Decimal:
    if column.scale is None or not number.is_finite():
        return number
    with localcontext() as context:
        context.prec = max(number.adjusted() + column.scale + 2, 28)
        return number.quantize(Decimal(1).scaleb(-column.scale))


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
        seconds, micro = divmod(round(value.total_seconds() * 1_000_000), 1_000_000)
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)
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
