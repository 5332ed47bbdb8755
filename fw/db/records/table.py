"""The records of one table: get, find, insert, update, delete, links.

Every write runs in a transaction of the Database (a nested one joins the
outer), with the table's hooks around each row, bulk writes included: the
matching rows are read first, in the same transaction, and written one by
one. A file field's old file is removed only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..schema import Field, Reference, Relation, Table
from . import checks
from .checks import INTEGER_MAX, INTEGER_MIN, Condition, QueryError
from .hooks import Event
from .plan import plan_for, read_values
from .query import Query
from .record import Record

if TYPE_CHECKING:
    from . import Records

log = logging.getLogger(__name__)

UPLOADS = "var/uploads"
_SCALAR_KEYS = (int, str)


class TableRecords:
    """Read and change the records of one described table."""

    def __init__(self, db: Records, table: Table) -> None:
        self.db = db
        self.table = table
        self.database = db.database
        self.dialect = self.database.dialect
        self.plan = plan_for(db.schema, table, self.dialect)
        self.column_list = self.plan.columns

    def __repr__(self) -> str:
        return f"<TableRecords {self.table.name}>"

    def get(self, key: Any = None, /, **key_fields: Any) -> Record | None:
        """Return the record with a primary key, or None.

        ``get(1)`` for a single key; ``get(product_id=1, tag_id=2)`` or
        ``get((1, 2))`` for a composite one.
        """
        plan = self.plan
        if not plan.plain_select:
            return self.find(**self.key_of(key, key_fields)).first()
        if key_fields or type(key) not in _SCALAR_KEYS or plan.single_key is None:
            params = self._key_params(self.key_of(key, key_fields))
        elif (
            plan.integer_key and type(key) is int and INTEGER_MIN <= key <= INTEGER_MAX
        ):
            # PERF: what python_value checks of an integer, without the calls.
            params = (key,)
        else:
            params = self._single_key_params(key)

        rows = self._rows(plan.select_by_key, params)
        if not rows:
            return None
        row = rows[0]
        return plan.record(self, row) if plan.rows_as_read else self._record(row)

    def find(self, **filters: Any) -> Query:
        """Return a lazy query of the records matching Django-style filters."""
        if not filters:
            return Query(self)
        return Query(self, tuple(checks.conditions(self.table, self.dialect, filters)))

    def insert(
        self, values: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> Record:
        """Insert a record and return it as stored, its key filled in."""
        wanted = checks.write_values(self.table, {**(values or {}), **fields}, "insert")

        with self.database.transaction():
            event = self._run("before_insert", values=wanted)
            stored = self._checked_again(event, wanted, "insert")
            record = self._fetch(self._insert_row(stored))
            self._run("after_insert", record=record)
        return record

    def update(
        self, key: Any, values: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> Record | None:
        """Change the record with a key; return it as stored, or None if absent."""
        where = self.key_of(key, {})
        wanted = checks.write_values(self.table, {**(values or {}), **fields}, "update")
        if wanted and self._updates_alone(wanted):
            return self._update_alone(where, wanted)

        with self.database.transaction():
            old = self._fetch(where)
            return None if old is None else self._update_row(old, wanted)

    def delete(self, key: Any) -> bool:
        """Delete the record with a key; say whether there was one."""
        where = self.key_of(key, {})

        with self.database.transaction():
            old = self._fetch(where)
            if old is not None:
                self._delete_row(old)
        return old is not None

    def related(self, record: Record, name: str) -> Record | Query | None:
        """Follow a reference field to its record, or a relation to a query."""
        column = self._reference_field(name)
        if column is not None:
            target = column.references
            value = record[column.name]
            if value is None:
                return None
            return self.db.table(target.table).find(**{target.field: value}).first()
        return self._related_query(record, self._relation(name))

    def link(self, record: Any, relation: str, other: Any) -> Record:
        """Link a record to another through a many-to-many relation.

        ``record`` and ``other`` are records, or the values of the fields
        the link table points at (usually their keys).
        """
        link, values = self._link_values(record, self._relation(relation), other)
        return self.db.table(link).insert(values)

    def unlink(self, record: Any, relation: str, other: Any) -> int:
        """Remove the link between two records; return how many links went."""
        link, values = self._link_values(record, self._relation(relation), other)
        return self.db.table(link).find(**values).delete()

    def key_of(self, key: Any, key_fields: Mapping[str, Any]) -> dict[str, Any]:
        """Return a key given as a value, tuple, dict, record or keywords, by field."""
        names = self.table.primary_key
        if type(key) in _SCALAR_KEYS and not key_fields and len(names) == 1:
            return {names[0]: key}
        given = key_fields or key
        if isinstance(given, Record):
            given = given.key_fields()
        if not isinstance(given, Mapping):
            values = given if isinstance(given, (tuple, list)) else (given,)
            given = dict(zip(names, values)) if len(values) == len(names) else {}
        if set(given) != set(names) or any(v is None for v in given.values()):
            raise QueryError(
                f"The key of {self.table.name} is {', '.join(names)}; give "
                f"{'one value' if len(names) == 1 else 'a value for each'}, "
                f"not {key if key is not None else dict(key_fields)!r}."
            )
        return dict(given)

    # The parts below are called by Query.

    def select(self, query: Query) -> list[Record]:
        """Run a query with the select hooks around it; return its records."""
        if self.plan.plain_select:
            return self.read(query)
        self._run("before_select", query=query)
        records = self.read(query)
        if self.table.hooks.get("after_select"):
            for record in records:
                self._run("after_select", record=record)
        return records

    def values(self, query: Query, names: Sequence[str]) -> list[tuple[Any, ...]]:
        """Run a query for some stored fields; return its rows as value tuples."""
        if self.table.hooks.get("after_select"):
            raise QueryError(
                f"The table {self.table.name} has after_select hooks, which need "
                "records: read it with find() and its records, not values()."
            )
        columns, conversions = self.plan.values_of(tuple(names) or self.plan.names)

        self._run("before_select", query=query)
        rows = self._rows(*query.statement(columns))
        if not conversions:
            return rows
        return [read_values(row, conversions) for row in rows]

    def count(self, query: Query) -> int:
        """Count a query's records, after the before_select hooks."""
        self._run("before_select", query=query)
        statement, params = query.count_statement()
        return int(self._rows(statement, params)[0][0])

    def update_matching(self, query: Query, values: Mapping[str, Any]) -> int:
        """Update each record of a query, hooks included; return how many."""
        wanted = checks.write_values(self.table, values, "update")

        with self.database.transaction():
            rows = self.read(query)
            for old in rows:
                self._update_row(old, wanted)
        return len(rows)

    def delete_matching(self, query: Query) -> int:
        """Delete each record of a query, hooks included; return how many."""
        with self.database.transaction():
            rows = self.read(query)
            for old in rows:
                self._delete_row(old)
        return len(rows)

    def read(self, query: Query) -> list[Record]:
        """Run a query without hooks and return its records."""
        statement, params = query.statement()
        return self._records(self._rows(statement, params))

    def _rows(self, statement: str, params: Sequence[Any]) -> list[tuple]:
        """Run one statement on its own and return its rows."""
        database = self.database
        if self.dialect.failure_aborts_transaction and database.in_transaction:
            return self._alone(database.rows, statement, params)
        return database.rows(statement, params)

    def _alone(self, run: Callable, statement: str, params: list[Any]) -> Any:
        """Run one statement on its own with ``run``, a method of the Database.

        Outside a transaction block the Database commits it, or rolls it
        back when it fails; inside one, only PostgreSQL needs more.
        """
        database = self.database
        if database.in_transaction and self.dialect.failure_aborts_transaction:
            # NOTE: PostgreSQL aborts the whole transaction at a failed
            # statement; the savepoint undoes only this one, and the
            # transaction goes on.
            with database.transaction():
                return run(statement, params)
        return run(statement, params)

    def _fetch(self, key: Mapping[str, Any]) -> Record | None:
        """Read one record by key, inside the block of a write."""
        rows = self.database.rows(self.plan.select_by_key, self._key_params(key))
        return self._record(rows[0]) if rows else None

    def _single_key_params(self, key: Any) -> tuple[Any]:
        """Return a one-field key's value checked, as the driver takes it."""
        column, write = self.plan.single_key
        value = checks.python_value(column, key)
        return (value if write is None else write(value),)

    def _key_params(self, key: Mapping[str, Any]) -> list[Any]:
        """Return a key's values checked for their fields, as the driver takes them."""
        params = []
        for column, write in self.plan.key_writers:
            value = checks.python_value(column, key[column.name])
            params.append(value if write is None else write(value))
        return params

    def _checked_key(self, key: Mapping[str, Any]) -> dict[str, Any]:
        """Return a key's values checked for their fields, as Python values."""
        return {
            column.name: checks.python_value(column, key[column.name])
            for column in self.plan.key_fields
        }

    def _records(self, rows: list[tuple]) -> list[Record]:
        """Return the records of rows read from the driver, in one pass."""
        if self.plan.rows_as_read:
            return self.plan.records(self, rows)
        return [self._completed(self.plan.converted(row)) for row in rows]

    def _record(self, row: Sequence[Any]) -> Record:
        """Return the record of one row read from the driver."""
        if self.plan.rows_as_read:
            return self.plan.record(self, row)
        return self._completed(self.plan.converted(row))

    def _completed(self, row: tuple[Any, ...]) -> Record:
        """Return the record of stored values in field order, computed fields added."""
        record = self.plan.record(self, row)
        if self.plan.computed:
            record._computed = self.db.hooks.compute(self.table, record)
        return record

    def _run(self, name: str, **data: Any) -> Event | None:
        """Call the table's hooks for an event; None when it has none."""
        if not self.table.hooks.get(name):
            return None
        event = Event(name, self.table, self.db, **data)
        self.db.hooks.run(event)
        return event

    def _checked_again(
        self, event: Event | None, wanted: dict[str, Any], action: str
    ) -> dict[str, Any]:
        """Return the values to write: as checked, or as a hook left them."""
        if event is None:
            return wanted
        return checks.write_values(self.table, event.values, action)

    def _updates_alone(self, values: Mapping[str, Any]) -> bool:
        """Say whether an update is one statement, without hooks, files or reads."""
        plan = self.plan
        if not plan.plain_update:
            return False
        return self.dialect.update_returning or plan.whole_row(values)

    def _update_alone(
        self, where: Mapping[str, Any], values: dict[str, Any]
    ) -> Record | None:
        """Update one row in one statement; return it as stored, or None."""
        key = self._checked_key(where)
        params = [*self._db_values(values), *self._db_values(key)]
        if self.plan.whole_row(values):
            # PERF: the new row is known without RETURNING, which costs
            # SQLite about as much again as the update itself.
            statement = self.plan.update(tuple(values), returning=False)
            changed = self._alone(self.database.execute, statement, params).rowcount
            if not changed:
                return None
            return self._completed(self._in_order({**key, **values}))
        statement = self.plan.update(tuple(values), returning=True)
        rows = self._rows(statement, params)
        return self._record(rows[0]) if rows else None

    def _in_order(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] for name in self.plan.names)

    def _insert_row(self, values: dict[str, Any]) -> dict[str, Any]:
        columns = list(values)
        statement, returns_key = self.dialect.insert(self.table, columns)
        params = self._db_values(values)
        cursor = self.database.execute(statement, params)
        auto = self.table.auto_field
        if auto is None or values.get(auto.name) is not None:
            return {name: values.get(name) for name in self.table.primary_key}
        made = cursor.fetchone()[0] if returns_key else cursor.lastrowid
        return {**{n: values.get(n) for n in self.table.primary_key}, auto.name: made}

    def _update_row(self, old: Record, wanted: dict[str, Any]) -> Record | None:
        event = self._run("before_update", values=dict(wanted), record=old)
        values = self._checked_again(event, wanted, "update")

        if values:
            new = self._write_update(old, values)
        else:
            new = self._fetch(old.key_fields())
        self._forget_files(old, new)
        self._run("after_update", record=new)
        return new

    def _write_update(self, old: Record, values: dict[str, Any]) -> Record | None:
        """Write changed values to a row read before; return it as stored."""
        params = [*self._db_values(values), *self._stored_key(old)]
        returning = self.dialect.update_returning
        statement = self.plan.update(tuple(values), returning=returning)
        if returning:
            rows = self.database.rows(statement, params)
            return self._record(rows[0]) if rows else None
        self.database.execute(statement, params)
        return self._fetch({n: values.get(n, old[n]) for n in self.table.primary_key})

    def _delete_row(self, old: Record) -> None:
        self._run("before_delete", record=old)
        self.database.execute(self.plan.delete_by_key, self._stored_key(old))
        self._forget_files(old, None)
        self._run("after_delete", record=old)

    def _db_values(self, values: Mapping[str, Any]) -> list[Any]:
        """Return checked Python values as the driver takes them."""
        writers = self.plan.writers
        return [
            value if (write := writers[name]) is None else write(value)
            for name, value in values.items()
        ]

    def _stored_key(self, record: Record) -> list[Any]:
        """Return the key of a record read from the database, as the driver takes it."""
        return self._db_values({name: record[name] for name in self.table.primary_key})

    def _forget_files(self, old: Record, new: Record | None) -> None:
        for column in self.plan.file_fields:
            value = old[column.name]
            if not value:
                continue
            if new is None or new[column.name] != value:
                path = self.db.file_path(self.table, column, value)
                if path is not None:
                    self.database.after_commit(partial(_remove_file, path))

    def _reference_field(self, name: str) -> Field | None:
        for candidate in (name, f"{name}_id"):
            if self.table.has_field(candidate):
                column = self.table.field(candidate)
                if column.references is not None:
                    return column
        return None

    def _relation(self, name: str) -> Relation:
        try:
            return self.table.relation(name)
        except KeyError:
            pass
        references = [f.name for f in self.table.fields if f.references]
        relations = [r.name for r in self.table.relations]
        raise QueryError(
            f"The table {self.table.name} has no reference or relation called "
            f"{name!r}; its reference fields are {', '.join(references) or 'none'} "
            f"and its relations {', '.join(relations) or 'none'}."
        )

    def _related_query(self, record: Record, relation: Relation) -> Query:
        link = self.db.schema.table(relation.through)
        source, target = link.field(relation.source), link.field(relation.target)
        quote = self.dialect.quote
        inner = (
            f"SELECT {quote(target.name)} FROM {quote(link.name)} "
            f"WHERE {quote(source.name)} = ?"
        )
        value = self.dialect.to_db(source, record[_pointed(source).field])
        condition = Condition(f"{quote(_pointed(target).field)} IN ({inner})", (value,))
        return Query(self.db.table(relation.to), (condition,))

    def _link_values(
        self, record: Any, relation: Relation, other: Any
    ) -> tuple[str, dict[str, Any]]:
        link = self.db.schema.table(relation.through)
        source, target = link.field(relation.source), link.field(relation.target)
        values = {
            source.name: _pointed_value(record, _pointed(source)),
            target.name: _pointed_value(other, _pointed(target)),
        }
        return link.name, values


def _pointed(column: Field) -> Reference:
    if column.references is None:
        raise QueryError(
            f"The link field {column.name} references no table, so a relation "
            "cannot go through it; give it 'references' in its description."
        )
    return column.references


def _pointed_value(item: Any, reference: Reference) -> Any:
    return item[reference.field] if isinstance(item, Record) else item


def _remove_file(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        log.debug("The file %s was already gone.", path)
    else:
        log.debug("Removed %s, whose record changed.", path)
