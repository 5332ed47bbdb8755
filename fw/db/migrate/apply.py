"""Install, compare and upgrade a live database: the db commands' work.

A plan runs in one transaction where the engine allows it (SQLite,
PostgreSQL). SQLite's table rebuilds run with foreign keys off, checked
with PRAGMA foreign_key_check before the commit. MariaDB commits each DDL
statement by itself: there the whole plan is decided before any of it
runs, and a failing step says which steps before it stayed applied.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ...exceptions import FwError
from ..connection import Database
from ..schema import Schema, Table
from .plan import Plan, Step, plan

log = logging.getLogger(__name__)


class MigrationError(FwError):
    """The database cannot be brought to the described shape as asked."""


class DataLossRefused(MigrationError):
    """An upgrade would lose data and was not allowed to; nothing was applied."""

    def __init__(self, refused: list[Step]) -> None:
        self.refused = refused
        listed = "".join(f"\n  - {step.description}" for step in refused)
        super().__init__(
            f"The upgrade would lose data, so nothing was applied:{listed}\n"
            "Check that these changes are meant, then run the upgrade again with "
            "--allow-data-loss (allow_data_loss=True)."
        )


def status(
    database: Database, schema: Schema, *, allow_data_loss: bool = False
) -> Plan:
    """Return the differences between the descriptions and the database."""
    live = database.dialect.read_schema(database)
    populated = [name for name in live if _has_rows(database, name)]
    return plan(
        schema,
        live,
        database.dialect,
        allow_data_loss=allow_data_loss,
        populated=populated,
    )


def upgrade(
    database: Database,
    schema: Schema,
    *,
    allow_data_loss: bool = False,
    dry_run: bool = False,
) -> Plan:
    """Bring the database to the descriptions; return the plan it applied.

    Nothing is applied when a change cannot be made (MigrationError) or
    would lose data without ``allow_data_loss`` (DataLossRefused). With
    ``dry_run`` the plan is only returned: its ``sql()`` is what would run.
    """
    found = status(database, schema, allow_data_loss=allow_data_loss)
    _check(found)
    if not dry_run and found.steps:
        apply(database, found)
    return found


def install(database: Database, schema: Schema, *, seed: bool = True) -> Plan:
    """Create every described table that is missing, with its seed rows.

    Install is an upgrade from an empty database: tables that already hold
    the described shape are left as they are, and a described table in
    another shape is refused (that is what ``db upgrade`` is for). Tables
    no description names are left alone. ``seed=False`` leaves the new
    tables empty, for a copy to fill.
    """
    found = status(database, schema)
    different = [s.description for s in found.steps if s.kind != "create"]
    different += [s.description for s in found.refused if s.kind != "drop-table"]
    if different:
        listed = "".join(f"\n  - {words}" for words in different)
        raise MigrationError(
            "The database already holds described tables in another shape, so "
            f"install changed nothing:{listed}\nRun 'db upgrade' to change them."
        )
    _check(Plan(found.engine, problems=found.problems))
    found.refused = []
    if found.steps:
        apply(database, found)
        if seed:
            _seed(database, schema, found)
    return found


def apply(database: Database, steps: Plan) -> None:
    """Run a plan's steps, in one transaction where the engine allows it."""
    if database.in_transaction:
        raise MigrationError(
            "A migration was started inside an open transaction; run it on "
            "its own, outside any transaction block."
        )
    with _foreign_keys_off(database):
        if database.dialect.transactional_ddl:
            _run_transaction(database, steps.steps)
        else:
            _run_one_by_one(database, steps.steps)


def _check(found: Plan) -> None:
    if found.problems:
        listed = "".join(f"\n  - {problem}" for problem in found.problems)
        raise MigrationError(f"The descriptions cannot be applied as they are:{listed}")
    if found.refused:
        raise DataLossRefused(found.refused)


def _has_rows(database: Database, table: str) -> bool:
    quoted = database.dialect.quote(table)
    return bool(database.rows(f"SELECT 1 FROM {quoted} LIMIT 1"))


@contextmanager
def _foreign_keys_off(database: Database) -> Iterator[None]:
    """Turn SQLite's foreign keys off around a plan, as its rebuilds need."""
    if database.engine != "sqlite":
        yield
        return
    database.connection.commit()
    database.connection.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        database.connection.execute("PRAGMA foreign_keys = ON")


def _run_transaction(database: Database, steps: list[Step]) -> None:
    with database.transaction():
        cursor = database.connection.cursor()
        for step in steps:
            _run_step(cursor, step, "nothing was applied")
        if database.engine == "sqlite":
            _check_foreign_keys(cursor)


def _run_one_by_one(database: Database, steps: list[Step]) -> None:
    cursor = database.connection.cursor()
    for number, step in enumerate(steps):
        done = [s.description for s in steps[:number]]
        kept = "; ".join(done) if done else "nothing"
        consequence = f"the engine commits each change, so these stay applied: {kept}"
        _run_step(cursor, step, consequence)
        database.connection.commit()


def _run_step(cursor, step: Step, consequence: str) -> None:
    log.info("Migration step: %s", step.description)
    for statement in step.statements:
        try:
            cursor.execute(statement)
        except Exception as error:
            raise MigrationError(
                f"The step '{step.description}' failed: {error}. Because of the "
                f"failure {consequence}. The statement was:\n{statement}"
            ) from error


def _check_foreign_keys(cursor) -> None:
    broken = cursor.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise MigrationError(
            f"After the changes, rows of {tables} reference rows that do not "
            "exist, so nothing was applied; fix those rows or the references."
        )


def _seed(database: Database, schema: Schema, done: Plan) -> None:
    created = {step.table for step in done.steps if step.kind == "create"}
    with database.transaction():
        for table in schema.dependency_order():
            if table.name in created and table.seed:
                _insert_seed(database, table)


def _insert_seed(database: Database, table: Table) -> None:
    dialect = database.dialect
    for row in table.seed:
        names = list(row)
        statement, _ = dialect.insert(table, names)
        values = [dialect.to_db(table.field(name), row[name]) for name in names]
        database.execute(statement, values)
    for statement in dialect.sync_auto(table):
        database.execute(statement)
