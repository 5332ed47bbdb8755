"""One row of a table as a read-only mapping, with attribute access."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..schema import Table

if TYPE_CHECKING:
    from .query import Query
    from .table import TableRecords


class Record(Mapping[str, Any]):
    """A row: field -> Python value, computed fields included.

    ``record["name"]`` and ``record.name`` read the same value; a field
    whose name is also a method here (``key``, ``related``, ``table``) is
    read with brackets. A record is a snapshot: change the row through its
    table's ``update`` and read the record it returns.
    """

    __slots__ = ("_owner", "_values")

    def __init__(self, owner: TableRecords, values: dict[str, Any]) -> None:
        self._owner = owner
        self._values = values

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"A record of {self._owner.table.name} has no field {name!r}; "
                f"its fields are {', '.join(self._values)}."
            ) from None

    def __repr__(self) -> str:
        return f"<Record {self._owner.table.name} {self._values!r}>"

    @property
    def table(self) -> Table:
        """Return the description of the record's table."""
        return self._owner.table

    @property
    def key(self) -> Any:
        """Return the primary key: one value, or a tuple for a composite key."""
        values = tuple(self._values[name] for name in self.table.primary_key)
        return values[0] if len(values) == 1 else values

    def key_fields(self) -> dict[str, Any]:
        """Return the primary key as {field: value}."""
        return {name: self._values[name] for name in self.table.primary_key}

    def related(self, name: str) -> Record | Query | None:
        """Follow a reference field (one record) or a relation (a query).

        ``name`` is a reference field such as ``category_id``, or the same
        without ``_id``; or the name of a many-to-many relation.
        """
        return self._owner.related(self, name)


def record_class(table: Table) -> type[Record]:
    """Return a Record class for one table, reading its fields as attributes.

    PERF: a property per field answers ``record.name`` without the failed
    lookup that reaches ``__getattr__``; a name that is also a Record
    attribute (``key``, ``items`` ...) or private is left to the class.
    """
    names = [*table.field_names, *table.computed]
    fields = {
        name: property(itemgetter(name))
        for name in names
        if not name.startswith("_") and not hasattr(Record, name)
    }
    return type("Record", (Record,), {"__slots__": (), **fields})
