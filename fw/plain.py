"""Plain value classes: equality, hash and repr from the fields they name.

PERF: a dataclass builds its methods with exec when its module is
imported, which costs a CGI process about a millisecond a class; these
methods are written once, here.

NOTE: ``fields`` is read from the class, never the value, so a value may
have a field called ``fields`` of its own (a table, an index).
"""

from __future__ import annotations

from typing import Any, TypeVar

_V = TypeVar("_V", bound="Plain")


class Plain:
    """A value whose ``fields`` decide its equality, hash and repr."""

    __slots__ = ()
    #: The names of the attributes that make the value, in order.
    fields: tuple[str, ...] = ()
    #: Fields left out of the repr (a password), so logs never show them.
    secret: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in type(self).fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        kind = type(self)
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in kind.fields
            if name not in kind.secret
        )
        return f"{type(self).__name__}({shown})"


def replace(value: _V, /, **changes: Any) -> _V:
    """Return a new value of the same class, with ``changes`` to its fields.

    The class is called with every field by name, so its own defaults and
    checks apply as when it was first made; like ``dataclasses.replace``.
    """
    fields = type(value).fields
    unknown = sorted(set(changes).difference(fields))
    if unknown:
        raise TypeError(
            f"{type(value).__name__} has no field {unknown[0]!r}; "
            f"its fields are {', '.join(fields)}."
        )
    given = {name: changes.get(name, getattr(value, name)) for name in fields}
    return type(value)(**given)
