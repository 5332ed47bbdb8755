"""Records: the rows of described tables as Python objects.

``Records(database, schema)`` is what an application gets; each table is
reached with ``db.table("products")``::

    products = db.table("products")
    lamp = products.insert(name="Lamp", price=Decimal("19.90"))
    cheap = products.find(price__lt=20).order("-price", "name").limit(10)
    names = [(p.name, p.related("category").name) for p in cheap]

Every field and order name is checked against the description and every
value against its field's type before any SQL runs (QueryError otherwise);
values travel as parameters and identifiers come only from the
description. Hooks and computed fields are services named in the
description, found through the ``services`` resolver. See docs/records.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from ..connection import Database
from ..schema import Field, Schema, Table
from .checks import QueryError
from .hooks import Event, Hooks, Resolver
from .query import Query
from .record import Record
from .table import UPLOADS, TableRecords

__all__ = ["Event", "Query", "QueryError", "Record", "Records", "TableRecords"]

log = logging.getLogger(__name__)


class Records:
    """The records of every described table, over one Database."""

    def __init__(
        self,
        database: Database,
        schema: Schema,
        *,
        services: Resolver | None = None,
        root: Path | None = None,
    ) -> None:
        self.database = database
        self.schema = schema
        self.root = root
        self._services = services
        self._tables: dict[str, TableRecords] = {}

    def __repr__(self) -> str:
        return f"<Records {self.database.url.redacted()}>"

    def with_services(self, services: Resolver | None) -> Records:
        """Return these records with hooks found through ``services``.

        PERF: when no table names a hook or a computed field, no service is
        ever looked up, so these same records serve every request.
        """
        if not self._names_services:
            return self
        return Records(self.database, self.schema, services=services, root=self.root)

    @cached_property
    def _names_services(self) -> bool:
        """Say whether some table names a hook or a computed field."""
        return any(
            table.computed or any(table.hooks.values())
            for table in self.schema.tables.values()
        )

    @cached_property
    def hooks(self) -> Hooks:
        """Return the hooks and computed fields' services, found on first use.

        PERF: records are made per request, and most never call a service.
        """
        return Hooks(self._services)

    def table(self, name: str) -> TableRecords:
        """Return the records of the table called ``name``."""
        found = self._tables.get(name)
        if found is None:
            found = self._tables[name] = TableRecords(self, self._described(name))
        return found

    @contextmanager
    def transaction(self) -> Iterator[Records]:
        """Run a block of changes in one transaction (nested blocks join it)."""
        with self.database.transaction():
            yield self

    def file_path(self, table: Table, column: Field, value: str) -> Path | None:
        """Return where a file field's value is stored; None if it is outside.

        The file is under the field's ``folder``, or var/uploads, taken
        from the application root.
        """
        if self.root is None:
            raise QueryError(
                f"The records of {table.name} cannot find the file {value!r} of "
                f"{column.name}: they were made without the application root; "
                "pass root= to Records."
            )
        folder = (self.root / (column.folder or UPLOADS)).resolve()
        path = (folder / value).resolve()
        if not path.is_relative_to(folder):
            log.warning(
                "The file %r of %s.%s is outside %s; it stays.",
                value, table.name, column.name, folder,
            )
            return None
        return path

    def _described(self, name: Any) -> Table:
        try:
            return self.schema.table(name)
        except (KeyError, TypeError):
            raise QueryError(
                f"No table {name!r} is described; the tables are "
                f"{', '.join(sorted(self.schema.tables))}."
            ) from None
