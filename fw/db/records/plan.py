"""What the records of one table need on every call, worked out once.

A TablePlan holds a table's SQL text (the column list, the select by key,
an update per set of changed fields) and the converter of each field. It
depends only on the description and the dialect, so the schema keeps one
per table and dialect for as long as the description stands; records made
per request take it from there instead of building it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..dialects.base import Dialect
from ..schema import Field, Schema, Table
from .record import record_class


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
        self.record = record_class(table)
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
        self._updates: dict[tuple[tuple[str, ...], bool], str] = {}

    def _find_converters(self, table: Table) -> None:
        dialect = self._dialect
        self.readers = _readers(dialect, table.fields)
        self.writers = {column.name: dialect.writer(column) for column in table.fields}
        self.key_writers = tuple((f, self.writers[f.name]) for f in self.key_fields)
        self._exact = all(f.type in dialect.read_as_written for f in table.fields)
        self._not_key = frozenset(self.names) - self.key_names

    def whole_row(self, values: Mapping[str, Any]) -> bool:
        """Say whether values and the key give a row as it will read back.

        They do when they name every field, each of a type the engine
        reads back exactly as written (no rounding, no conversion).
        """
        return self._exact and self._not_key <= values.keys()

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


def plan_for(schema: Schema, table: Table, dialect: Dialect) -> TablePlan:
    """Return the plan of ``table`` for ``dialect``, made once per schema."""
    key = (dialect.name, table.name)
    plan = schema.plans.get(key)
    if plan is None:
        plan = schema.plans[key] = TablePlan(table, dialect)
    return plan


def _hooked(table: Table, *events: str) -> bool:
    return any(table.hooks.get(name) for name in events)


def _readers(
    dialect: Dialect, fields: Sequence[Field]
) -> tuple[Callable[[Any], Any] | None, ...] | None:
    """Return each field's converter (None: as read), or None if none converts."""
    readers = tuple(dialect.reader(column) for column in fields)
    return None if all(read is None for read in readers) else readers
