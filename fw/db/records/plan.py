"""What the records of one table need on every call, worked out once.

A TablePlan holds a table's SQL text (the column list, the select by key,
a select per shape of query, an update per set of changed fields), the
converter of each field and the Record class its rows become. It depends
only on the description and the dialect, so the schema keeps one per table
and dialect for as long as the description stands; records made per
request take it from there instead of building it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..dialects.base import Dialect
from ..schema import Field, Schema, Table
from .checks import stored_field
from .record import record_class, record_makers

# A query's shape: its column list (None: every field), its conditions'
# SQL, its order terms, and whether it has a limit and an offset.
Shape = tuple[str | None, tuple[str, ...], tuple[str, ...], bool, bool]
# NOTE: shapes come from the code, not from visitors, but an IN list makes
# one per length; past this many, new shapes are written each time.
MAX_SHAPES = 512


class TablePlan:
    """A table's statements and field converters for one dialect."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.fields = {column.name: column for column in table.fields}
        self.names = table.field_names
        self.key_names = frozenset(table.primary_key)
        self.key_fields = tuple(self.fields[name] for name in table.primary_key)
        self.file_fields = tuple(f for f in table.fields if f.type == "file")
        self.plain_select = not _hooked(table, "before_select", "after_select")
        self.plain_update = not (
            self.file_fields or _hooked(table, "before_update", "after_update")
        )
        self.record, self.records = record_makers(record_class(table))
        self.computed = bool(table.computed)
        self._dialect = dialect
        self._write_statements(table)
        self._find_converters(table)

    def _write_statements(self, table: Table) -> None:
        quote = self._dialect.quote
        self.table_name = quote(table.name)
        self.columns = ", ".join(quote(name) for name in self.names)
        self.select = f"SELECT {self.columns} FROM {self.table_name}"
        self.key_condition = " AND ".join(
            f"{quote(name)} = ?" for name in table.primary_key
        )
        self.select_by_key = f"{self.select} WHERE {self.key_condition}"
        self.delete_by_key = f"DELETE FROM {self.table_name} WHERE {self.key_condition}"
        self._selects: dict[Shape, str] = {}
        self._updates: dict[tuple[tuple[str, ...], bool], str] = {}
        self._values: dict[tuple[str, ...], tuple[str, tuple]] = {}
        self._table = table

    def _find_converters(self, table: Table) -> None:
        dialect = self._dialect
        self.conversions = _conversions(dialect, table.fields)
        # PERF: a row of such a table is a record as the driver gives it.
        self.rows_as_read = not (self.conversions or self.computed)
        self.writers = {column.name: dialect.writer(column) for column in table.fields}
        self.key_writers = tuple((f, self.writers[f.name]) for f in self.key_fields)
        self.single_key = self.key_writers[0] if len(self.key_writers) == 1 else None
        self.integer_key = self.single_key is not None and (
            self.single_key[0].type == "integer" and self.single_key[1] is None
        )
        self._exact = all(f.type in dialect.read_as_written for f in table.fields)
        self._not_key = frozenset(self.names) - self.key_names

    def whole_row(self, values: Mapping[str, Any]) -> bool:
        """Say whether values and the key give a row as it will read back.

        They do when they name every field, each of a type the engine
        reads back exactly as written (no rounding, no conversion).
        """
        return self._exact and self._not_key <= values.keys()

    def converted(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """Return a row read from the driver with each field's Python value."""
        return read_values(row, self.conversions) if self.conversions else tuple(row)

    def values_of(
        self, names: tuple[str, ...]
    ) -> tuple[str, tuple[tuple[int, Callable[[Any], Any]], ...]]:
        """Return the column list of some stored fields, and their conversions.

        A conversion is (position in the names, function reading the value).
        Names are checked the first time only: the answer is kept.
        """
        try:
            found = self._values.get(names)
        except TypeError:
            found = None  # NOTE: a name that is not even hashable, refused below
        if found is None:
            for name in names:
                stored_field(self._table, name, "in values()")
            read_of = {self.names[place]: read for place, read in self.conversions}
            columns = ", ".join(self._dialect.quote(name) for name in names)
            conversions = tuple(
                (position, read_of[name])
                for position, name in enumerate(names)
                if name in read_of
            )
            found = (columns, conversions)
            if len(self._values) < MAX_SHAPES:
                self._values[names] = found
        return found

    def select_text(self, shape: Shape) -> str:
        """Return the SELECT of a query of this shape, with ``?`` placeholders.

        PERF: a query's text depends only on its shape, so each shape is
        written once; the values travel apart, so no two calls share them.
        """
        statement = self._selects.get(shape)
        if statement is None:
            statement = self._select_statement(*shape)
            if len(self._selects) < MAX_SHAPES:
                self._selects[shape] = statement
        return statement

    def _select_statement(
        self,
        columns: str | None,
        conditions: tuple[str, ...],
        order: tuple[str, ...],
        limited: bool,
        skipped: bool,
    ) -> str:
        statement = self.select
        if columns:
            statement = f"SELECT {columns} FROM {self.table_name}"
        if conditions:
            statement += " WHERE " + " AND ".join(f"({sql})" for sql in conditions)
        if order:
            statement += f" ORDER BY {', '.join(order)}"
        if limited or skipped:
            statement += " LIMIT ?"
        if skipped:
            statement += " OFFSET ?"
        return statement

    def update(self, names: tuple[str, ...], *, returning: bool) -> str:
        """Return the UPDATE of the fields ``names`` for one row, by its key.

        With ``returning`` the statement gives back the row as stored.
        """
        statement = self._updates.get((names, returning))
        if statement is None:
            statement = self._update_statement(names, returning)
            self._updates[names, returning] = statement
        return statement

    def _update_statement(self, names: tuple[str, ...], returning: bool) -> str:
        quote = self._dialect.quote
        changes = ", ".join(f"{quote(name)} = ?" for name in names)
        statement = f"UPDATE {self.table_name} SET {changes} WHERE {self.key_condition}"
        if returning:
            statement += f" RETURNING {self.columns}"
        return statement


def read_values(
    row: Sequence[Any], conversions: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> tuple[Any, ...]:
    """Return a row with the value at each converted position read for Python."""
    values = list(row)
    for position, read in conversions:
        values[position] = read(values[position])
    return tuple(values)


def plan_for(schema: Schema, table: Table, dialect: Dialect) -> TablePlan:
    """Return the plan of ``table`` for ``dialect``, made once per schema."""
    key = (dialect.name, table.name)
    plan = schema.plans.get(key)
    if plan is None:
        plan = schema.plans[key] = TablePlan(table, dialect)
    return plan


def _hooked(table: Table, *events: str) -> bool:
    return any(table.hooks.get(name) for name in events)


def _conversions(
    dialect: Dialect, fields: Sequence[Field]
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """Return the position and converter of each field read with a conversion."""
    readers = (dialect.reader(column) for column in fields)
    return tuple((at, read) for at, read in enumerate(readers) if read is not None)
