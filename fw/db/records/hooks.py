"""Hooks and computed fields: services a table's description names.

A table's ``hooks`` map events (before_insert, after_delete ...) to
service names, and its ``computed`` fields map to a service each. The
Records are given a resolver, a function from a service name to the
callable, so fw can wire them to its services; a hook is called as
``hook(event)`` and a computed field as ``function(record)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...exceptions import ServiceError
from ...plain import Plain
from ..schema import Table

if TYPE_CHECKING:
    from . import Records
    from .query import Query
    from .record import Record

Resolver = Callable[[str], Callable[..., Any]]


class Event(Plain):
    """What a hook is told about the work under way.

    ``values`` (before_insert, before_update) is the dict about to be
    written, and a hook may change it; ``record`` is the record concerned
    (after_select, after_insert, before_update, after_update, before_delete,
    after_delete: the old record before an update, the new one after);
    ``query`` is the query about to run (before_select).
    """

    __slots__ = fields = ("name", "table", "db", "values", "record", "query")
    # NOTE: an event can change, so it has no hash, as a dataclass would not.
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        name: str,
        table: Table,
        db: Records,
        values: dict[str, Any] | None = None,
        record: Record | None = None,
        query: Query | None = None,
    ) -> None:
        self.name = name
        self.table = table
        self.db = db
        self.values = values
        self.record = record
        self.query = query

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the transaction commits; never if it rolls back."""
        self.db.database.after_commit(work)


class Hooks:
    """Find the services a table names, once each, and call them."""

    def __init__(self, resolve: Resolver | None) -> None:
        self._resolve = resolve
        self._found: dict[str, Callable[..., Any]] = {}

    def service(self, table: Table, name: str, purpose: str) -> Callable[..., Any]:
        """Return the callable of service ``name``, which ``table`` uses."""
        if name in self._found:
            return self._found[name]
        if self._resolve is None:
            raise ServiceError(
                f"The table {table.name} uses the service {name} {purpose}, but the "
                "records were made without a resolver; pass services= to Records."
            )
        found = self._found[name] = self._resolve(name)
        return found

    def wanted(self, table: Table, event: str) -> bool:
        """Say whether ``table`` has hooks for ``event``."""
        return bool(table.hooks.get(event))

    def run(self, event: Event) -> None:
        """Call every hook the table names for the event, in order."""
        for name in event.table.hooks.get(event.name, ()):
            self.service(event.table, name, f"as its {event.name} hook")(event)

    def compute(self, table: Table, record: Record) -> dict[str, Any]:
        """Return the computed fields of a record, by name."""
        return {
            name: self.service(table, service, f"for its field {name}")(record)
            for name, service in table.computed.items()
        }
