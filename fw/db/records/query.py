"""A lazy query over one table: filters, order, limit and offset.

A Query is built by ``find`` and refined by methods that return a new
Query, so a query can be kept and refined again. Nothing runs until it is
iterated, counted or asked for its first record. Names and values are
checked when the query is built, before any SQL exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import checks
from .checks import Condition

if TYPE_CHECKING:
    from .record import Record
    from .table import TableRecords

# NOTE: an offset without a limit still needs LIMIT on SQLite and MariaDB.
NO_LIMIT = 2**63 - 1


class Query:
    """Records of one table matching conditions, in an order, maybe a slice."""

    __slots__ = ("_owner", "_conditions", "_order", "_limit", "_offset")

    def __init__(
        self,
        owner: TableRecords,
        conditions: tuple[Condition, ...] = (),
        *,
        order: tuple[str, ...] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> None:
        self._owner = owner
        self._conditions = conditions
        self._order = order
        self._limit = limit
        self._offset = offset

    def __repr__(self) -> str:
        statement, params = self.statement()
        return f"<Query {statement} {params!r}>"

    @property
    def owner(self) -> TableRecords:
        """Return the table's records this query reads."""
        return self._owner

    def find(self, **filters: Any) -> Query:
        """Return this query narrowed by more filters."""
        owner = self._owner
        more = checks.conditions(owner.table, owner.dialect, filters)
        return self._with(conditions=self._conditions + tuple(more))

    def order(self, *names: str) -> Query:
        """Return this query ordered by fields; "-price" sorts descending."""
        owner = self._owner
        terms = checks.order_terms(owner.table, owner.dialect, names)
        return self._with(order=tuple(terms))

    def limit(self, count: int | None) -> Query:
        """Return this query giving at most ``count`` records (None: all)."""
        if count is not None:
            checks.count_value(count, "limit")
        return self._with(limit=count)

    def offset(self, count: int) -> Query:
        """Return this query skipping its first ``count`` records."""
        return self._with(offset=checks.count_value(count, "offset"))

    def __iter__(self) -> Iterator[Record]:
        return iter(self._owner.select(self))

    def all(self) -> list[Record]:
        """Return every matching record as a list."""
        return self._owner.select(self)

    def values(self, *names: str) -> list[tuple[Any, ...]]:
        """Return the matching rows as tuples of the named fields' values.

        Every stored field, in order, when none is named. No record is made,
        which makes a page that only shows values cheaper (Django's
        values_list, Rails' pluck). The before_select hooks run as for
        records; a table with after_select hooks, which need records, refuses.
        """
        return self._owner.values(self, names)

    def first(self) -> Record | None:
        """Return the first matching record, or None."""
        found = self._owner.select(self._with(limit=1))
        return found[0] if found else None

    def count(self) -> int:
        """Return how many records match (within the limit and offset)."""
        return self._owner.count(self)

    def update(self, **values: Any) -> int:
        """Change every matching record, running the hooks of each; return how many."""
        return self._owner.update_matching(self, values)

    def delete(self) -> int:
        """Delete every matching record, running the hooks of each; return how many."""
        return self._owner.delete_matching(self)

    def statement(self, columns: str | None = None) -> tuple[str, list[Any]]:
        """Return the SELECT of this query, with ``?`` placeholders, and its values."""
        conditions, order = self._conditions, self._order
        limit, offset = self._limit, self._offset
        if not (conditions or order or offset) and limit is None:
            # PERF: the whole table, as find() without filters reads it.
            plan = self._owner.plan
            if not columns:
                return plan.select, []
            return plan.select_text((columns, (), (), False, False)), []
        shape = (
            columns,
            tuple([condition.sql for condition in conditions]),
            order,
            limit is not None,
            offset > 0,
        )
        params = [value for condition in conditions for value in condition.params]
        if limit is not None or offset:
            params.append(NO_LIMIT if limit is None else limit)
        if offset:
            params.append(offset)
        return self._owner.plan.select_text(shape), params

    def count_statement(self) -> tuple[str, list[Any]]:
        """Return the SELECT COUNT of this query, and its values."""
        if self._limit is not None or self._offset:
            inner, params = self.statement("1")
            return f"SELECT COUNT(*) FROM ({inner}) AS counted", params
        return self._with(order=()).statement("COUNT(*)")

    def where(self) -> tuple[str, list[Any]]:
        """Return the conditions joined with AND, and their values."""
        parts = [f"({condition.sql})" for condition in self._conditions]
        params = [value for condition in self._conditions for value in condition.params]
        return " AND ".join(parts), params

    def _with(self, **changes: Any) -> Query:
        options = {
            "conditions": self._conditions,
            "order": self._order,
            "limit": self._limit,
            "offset": self._offset,
            **changes,
        }
        return Query(self._owner, options.pop("conditions"), **options)
