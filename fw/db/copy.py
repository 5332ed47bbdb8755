"""Copy every described table from one database to another, on any engines.

Moving an application to another engine is: configure the new connection,
install the descriptions there, copy the data. Tables are copied parents
first (the order of their references), in batches, each value read into
its Python type by the source's dialect and written by the target's. At the
end the row counts of both sides must agree.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from ..exceptions import FwError
from .connection import Database
from .schema import Schema, Table

log = logging.getLogger(__name__)

BATCH = 1000


class CopyError(FwError):
    """The copy cannot start, or the two sides disagree at the end."""


def copy_database(
    source: Database,
    target: Database,
    schema: Schema,
    *,
    batch: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy the rows of every described table; return the count per table.

    The target must hold the described tables (install them first) and no
    rows, so that a copy never mixes with data already there.
    """
    tables = schema.dependency_order()
    _check_empty(target, tables)
    counts = {}
    with target.transaction():
        for table in tables:
            counts[table.name] = _copy_table(source, target, table, batch, progress)
    _reset_sequences(target, tables)
    _verify(source, target, tables)
    return counts


def _check_empty(target: Database, tables: list[Table]) -> None:
    full = [table.name for table in tables if count_rows(target, table) > 0]
    if full:
        raise CopyError(
            f"The target database already holds rows in {', '.join(full)}; copy "
            "into a newly installed database."
        )


def _copy_table(
    source: Database,
    target: Database,
    table: Table,
    batch: int,
    progress: Callable[[str, int], None] | None,
) -> int:
    insert, _ = target.dialect.insert(table, table.field_names)
    copied = 0
    for rows in read_rows(source, table, batch):
        target.execute_many(insert, [_to_target(target, table, row) for row in rows])
        copied += len(rows)
        if progress:
            progress(table.name, copied)
    log.info("Copied %s rows of %s.", copied, table.name)
    return copied


def read_rows(database: Database, table: Table, batch: int = BATCH) -> Iterator[list]:
    """Yield a table's rows in key order, in batches, as Python values."""
    quote = database.dialect.quote
    columns = ", ".join(quote(name) for name in table.field_names)
    order = ", ".join(quote(name) for name in table.primary_key)
    statement = f"SELECT {columns} FROM {quote(table.name)} ORDER BY {order}"
    cursor = database.connection.cursor()
    cursor.execute(database.dialect.sql(statement))
    while rows := cursor.fetchmany(batch):
        yield [_from_source(database, table, row) for row in rows]


def _from_source(database: Database, table: Table, row: Any) -> list:
    from_db = database.dialect.from_db
    return [from_db(f, value) for f, value in zip(table.fields, row)]


def _to_target(database: Database, table: Table, row: list) -> tuple:
    to_db = database.dialect.to_db
    return tuple(to_db(f, value) for f, value in zip(table.fields, row))


def count_rows(database: Database, table: Table) -> int:
    """Return how many rows a table holds."""
    quote = database.dialect.quote
    return int(database.rows(f"SELECT COUNT(*) FROM {quote(table.name)}")[0][0])


def checksum(database: Database, table: Table) -> str:
    """Return a digest of a table's rows as Python values, equal across engines."""
    digest = hashlib.sha256()
    for rows in read_rows(database, table):
        for row in rows:
            digest.update(repr([_canonical(value) for value in row]).encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "normalize") and hasattr(value, "as_tuple"):
        return str(value.normalize())
    return value


def _reset_sequences(target: Database, tables: list[Table]) -> None:
    for table in tables:
        for statement in target.dialect.sync_auto(table):
            target.execute(statement)


def _verify(source: Database, target: Database, tables: list[Table]) -> None:
    for table in tables:
        copied, original = count_rows(target, table), count_rows(source, table)
        if copied != original:
            raise CopyError(
                f"The copy of {table.name} holds {copied} rows, the source "
                f"{original}; the target is left as it is for inspection."
            )
