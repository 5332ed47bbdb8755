"""Raise ExpressionError with a kind and the place it points at.

Every error the expression language raises on purpose is an
:class:`fw.exceptions.ExpressionError` with one more attribute, ``kind``,
one of :data:`KINDS`. The kinds are shared with the JavaScript twin and
with the test vectors, so a kind never changes meaning.
"""

from __future__ import annotations

from typing import NoReturn

from ..exceptions import ExpressionError

#: Where something is: (origin, line, column), a constant in generated code.
Position = tuple[str, int, int]

KINDS = frozenset(
    {
        "syntax",  # the text does not follow the grammar
        "limit",  # nested too deeply, or a number too large for the host
        "name",  # an unknown name, or one starting with "_"
        "attribute",  # a missing or refused attribute
        "index",  # a missing key, or an index out of range
        "type",  # an operator or access given values of the wrong type
        "division",  # division or modulo by zero
        "call",  # calling something that may not be called
    }
)


def fail(kind: str, message: str, at: Position) -> NoReturn:
    """Raise an ExpressionError of ``kind`` about the place ``at``."""
    origin, line, column = at
    where = {"origin": origin, "line": line, "column": column}
    raise ExpressionError(message, kind=kind, **where) from None
