"""The records of one table: get, find, insert, update, delete, links.

Every write runs in a transaction of the Database (a nested one joins the
outer), with the table's hooks around each row, bulk writes included: the
matching rows are read first, in the same transaction, and written one by
one. A file field's old file is removed only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..schema import Field, Reference, Relation, Table
from . import checks
from .checks import Condition, QueryError
from .hooks import Event
from .query import Query
from .record import Record

if TYPE_CHECKING:
    from . import Records

log = logging.getLogger(__name__)

UPLOADS = "var/uploads"


class TableRecords:
    """Read and change the records of one described table."""

    def __init__(self, db: Records, table: Table) -> None:
        self.db = db
        self.table = table
        self.dialect = db.database.dialect
        self.column_list = ", ".join(self.dialect.quote(n) for n in table.field_names)

    def __repr__(self) -> str:
        return f"<TableRecords {self.table.name}>"

    @property
    def database(self) -> Any:
        """Return the Database the records live in."""
        return self.db.database

    def get(self, key: Any = None, /, **key_fields: Any) -> Record | None:
        """Return the record with a primary key, or None.

        ``get(1)`` for a single key; ``get(product_id=1, tag_id=2)`` or
        ``get((1, 2))`` for a composite one.
        """
        return self.find(**self.key_of(key, key_fields)).first()

    def find(self, **filters: Any) -> Query:
        """Return a lazy query of the records matching Django-style filters."""
        return Query(self, tuple(checks.conditions(self.table, self.dialect, filters)))

    def insert(
        self, values: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> Record:
        """Insert a record and return it as stored, its key filled in."""
        wanted = checks.write_values(self.table, {**(values or {}), **fields}, "insert")

        with self.database.transaction():
            event = self._run("before_insert", values=wanted)
            stored = checks.write_values(self.table, event.values, "insert")
            record = self._fetch(self._insert_row(stored))
            self._run("after_insert", record=record)
        return record

    def update(
        self, key: Any, values: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> Record | None:
        """Change the record with a key; return it as stored, or None if absent."""
        where = self.key_of(key, {})
        wanted = checks.write_values(self.table, {**(values or {}), **fields}, "update")

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
        self._run("before_select", query=query)
        records = self.read(query)
        for record in records:
            self._run("after_select", record=record)
        return records

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
        return [self._record(row) for row in self._rows(statement, params)]

    def _rows(self, statement: str, params: list[Any]) -> list[tuple]:
        # NOTE: in a transaction, a failed read is rolled back rather than
        # leaving the connection aborted (PostgreSQL) for the next statement.
        with self.database.transaction():
            return self.database.rows(statement, params)

    def _fetch(self, key: Mapping[str, Any]) -> Record | None:
        found = self.read(self.find(**key))
        return found[0] if found else None

    def _record(self, row: Sequence[Any]) -> Record:
        from_db = self.dialect.from_db
        values = {f.name: from_db(f, value) for f, value in zip(self.table.fields, row)}
        record = Record(self, values)
        if self.table.computed:
            values.update(self.db.hooks.compute(self.table, record))
        return record

    def _run(self, name: str, **data: Any) -> Event:
        event = Event(name, self.table, self.db, **data)
        if self.db.hooks.wanted(self.table, name):
            self.db.hooks.run(event)
        return event

    def _insert_row(self, values: dict[str, Any]) -> dict[str, Any]:
        columns = list(values)
        statement, returns_key = self.dialect.insert(self.table, columns)
        params = [self._db_value(name, values[name]) for name in columns]
        cursor = self.database.execute(statement, params)
        auto = self.table.auto_field
        if auto is None or values.get(auto.name) is not None:
            return {name: values.get(name) for name in self.table.primary_key}
        made = cursor.fetchone()[0] if returns_key else cursor.lastrowid
        return {**{n: values.get(n) for n in self.table.primary_key}, auto.name: made}

    def _update_row(self, old: Record, wanted: dict[str, Any]) -> Record:
        event = self._run("before_update", values=dict(wanted), record=old)
        values = checks.write_values(self.table, event.values, "update")

        if values:
            self._write_update(old, values)
        new = self._fetch({n: values.get(n, old[n]) for n in self.table.primary_key})
        self._forget_files(old, new)
        self._run("after_update", record=new)
        return new

    def _write_update(self, old: Record, values: dict[str, Any]) -> None:
        quote = self.dialect.quote
        changes = ", ".join(f"{quote(name)} = ?" for name in values)
        where, key_params = self.find(**old.key_fields()).where()
        params = [self._db_value(name, value) for name, value in values.items()]
        statement = f"UPDATE {quote(self.table.name)} SET {changes} WHERE {where}"
        self.database.execute(statement, [*params, *key_params])

    def _delete_row(self, old: Record) -> None:
        self._run("before_delete", record=old)
        where, params = self.find(**old.key_fields()).where()
        table = self.dialect.quote(self.table.name)
        self.database.execute(f"DELETE FROM {table} WHERE {where}", params)
        self._forget_files(old, None)
        self._run("after_delete", record=old)

    def _db_value(self, name: str, value: Any) -> Any:
        return self.dialect.to_db(self.table.field(name), value)

    def _forget_files(self, old: Record, new: Record | None) -> None:
        for column in self.table.fields:
            value = old[column.name]
            if column.type != "file" or not value:
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
