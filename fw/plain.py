"""Plain value classes: equality, hash and repr from the fields they name.

PERF: a dataclass builds its methods with exec when its module is
imported, which costs a CGI process about a millisecond a class; these
methods are written once, here.
"""

from __future__ import annotations

from typing import Any


class Plain:
    """A value whose ``fields`` decide its equality, hash and repr."""

    __slots__ = ()
    #: The names of the attributes that make the value, in order.
    fields: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields)
        return f"{type(self).__name__}({shown})"
