"""One row of a table as a read-only mapping, with attribute access."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ..schema import Table

OneRecord = Callable[[Any, tuple], "Record"]
ManyRecords = Callable[[Any, list[tuple]], list["Record"]]

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

    __slots__ = ("_owner",)

    # What the class of each table fills in: its stored fields' names in
    # order, the slot holding each, and its computed fields' names.
    _stored: tuple[str, ...] = ()
    _slot_of: dict[str, str] = {}
    _computed_names: tuple[str, ...] = ()

    def __init__(self, owner: TableRecords, row: tuple[Any, ...]) -> None:
        raise TypeError("A Record is made by record_class(table), one per table.")

    def __getitem__(self, name: str) -> Any:
        slot = self._slot_of.get(name)
        try:
            if slot is not None:
                return getattr(self, slot)
            return self._computed[name]  # type: ignore[attr-defined]
        except AttributeError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._present()

    def __iter__(self) -> Iterator[str]:
        return iter(self._present())

    def __len__(self) -> int:
        return len(self._present())

    def __repr__(self) -> str:
        return f"<Record {self._owner.table.name} {dict(self)!r}>"

    @property
    def table(self) -> Table:
        """Return the description of the record's table."""
        return self._owner.table

    @property
    def key(self) -> Any:
        """Return the primary key: one value, or a tuple for a composite key."""
        values = tuple(self[name] for name in self.table.primary_key)
        return values[0] if len(values) == 1 else values

    def key_fields(self) -> dict[str, Any]:
        """Return the primary key as {field: value}."""
        return {name: self[name] for name in self.table.primary_key}

    def related(self, name: str) -> Record | Query | None:
        """Follow a reference field (one record) or a relation (a query).

        ``name`` is a reference field such as ``category_id``, or the same
        without ``_id``; or the name of a many-to-many relation.
        """
        return self._owner.related(self, name)

    def _present(self) -> tuple[str, ...]:
        """Return the names of the fields the record holds so far.

        The computed fields are there once worked out: not yet while the
        functions that compute them read the record.
        """
        if self._computed_names and hasattr(self, "_computed"):
            return self._stored + self._computed_names
        return self._stored


def record_class(table: Table) -> type[Record]:
    """Return a Record class for one table, made from a row tuple in field order.

    PERF: each stored field is a slot, filled by unpacking the row, and
    ``record.name`` is a read-only property over it, answered in C without
    a Python call. A name that is also a Record attribute (``key``,
    ``items`` ...) or private is read with brackets only.
    """
    stored, computed = table.field_names, tuple(table.computed)
    slots = tuple(f"_{position}" for position in range(len(stored)))
    namespace = {
        "__slots__": (*slots, "_computed") if computed else slots,
        # NOTE: made bare by record_makers, so Record's refusing __init__
        # is replaced by object's.
        "__init__": object.__init__,
        "_stored": stored,
        "_slot_of": dict(zip(stored, slots)),
        "_computed_names": computed,
    }
    # NOTE: no __getattr__: it would slow every attribute read. A missing
    # field's AttributeError names the class, and so the table.
    made = type(f"Record of {table.name}", (Record,), namespace)
    for name, slot in zip(stored, slots):
        if _readable(name):
            setattr(made, name, property(attrgetter(slot)))
    for name in computed:
        if _readable(name):
            setattr(made, name, property(_computed_reader(name)))
    return made


def record_makers(made: type[Record]) -> tuple[OneRecord, ManyRecords]:
    """Return two functions: one record of class ``made`` from a row, and a list.

    PERF: the class is called bare (its ``__init__`` is object's, run in C),
    then the owner and the row's values go into the slots, in one loop for
    a list. The source names only the slots (_0, _1 ...), never a field, so
    nothing from a description reaches exec.
    """
    targets = "".join(f"record.{slot}, " for slot in made._slot_of.values()) or "()"
    source = (
        "def one(owner, row):\n"
        "    record = cls()\n"
        "    record._owner = owner\n"
        f"    {targets} = row\n"
        "    return record\n"
        "\n"
        "def many(owner, rows):\n"
        "    made = []\n"
        "    for row in rows:\n"
        "        record = cls()\n"
        "        record._owner = owner\n"
        f"        {targets} = row\n"
        "        made.append(record)\n"
        "    return made\n"
    )
    namespace: dict[str, Any] = {"cls": made}
    exec(source, namespace)
    return namespace["one"], namespace["many"]


def _readable(name: str) -> bool:
    return not name.startswith("_") and not hasattr(Record, name)


def _computed_reader(name: str) -> Callable[[Record], Any]:
    def read(record: Record) -> Any:
        try:
            return record._computed[name]  # type: ignore[attr-defined]
        except AttributeError:
            # NOTE: while the computed fields are worked out they are not
            # there yet, as with brackets.
            raise KeyError(name) from None

    return read
