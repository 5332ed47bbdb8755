"""Which conditions may be cached, and the key a cached result is kept under.

A condition's result may be reused only when it cannot change while the
visitor's role set stays the same. Reading only the names ``user`` and
``roles`` is not enough for that: ``user.login == 'ana'`` reads ``user``
and differs between two users with the same roles. So a condition is
*role-only* when every name in it is read in one of these ways:

- ``user`` for its truth (``user and ...``, ``not user``, ``... if user``);
- ``user.roles`` or ``roles`` for its truth or as the right side of ``in``
  or ``not in``.

Its result then depends on (logged in, set of roles) alone, which is the
key it is cached under. Anything else (the clock, the request, a filter, a
call, ``user.roles[0]``) is evaluated on every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..expressions import nodes

_TRUTH = "truth"
_CONTAINER = "container"
_VALUE = "value"

_ROLE_SETS = (list, tuple, set, frozenset)


class Unkeyable(Exception):
    """The names at hand give no safe cache key; evaluate the condition."""


def is_role_only(tree: nodes.Node) -> bool:
    """Return True when ``tree`` depends on the user's presence and roles only."""
    return _role_only(tree, _TRUTH)


def cache_key(names: Mapping[str, Any], used: frozenset[str]) -> tuple:
    """Return (logged in, roles) as read from ``names``; raise Unkeyable if unsafe.

    ``used`` is the condition's ``names_used``. A KeyError from ``names``
    (an unknown service) is passed on to the caller, which evaluates.
    """
    key: tuple = ()
    if "user" in used:
        user = names["user"]
        key += (bool(user), _role_set(_roles_of(user)) if user else None)
    if "roles" in used:
        key += (_role_set(names["roles"]),)
    return key


def _roles_of(user: Any) -> Any:
    if isinstance(user, Mapping):
        return user.get("roles")
    return getattr(user, "roles", None)


def _role_set(roles: Any) -> frozenset[str] | None:
    if roles is None:
        return None
    if not isinstance(roles, _ROLE_SETS) or not all(type(r) is str for r in roles):
        raise Unkeyable
    return frozenset(roles)


def _role_only(node: nodes.Node, position: str) -> bool:
    if isinstance(node, nodes.Literal):
        return True
    if isinstance(node, nodes.Name):
        return _name_allowed(node.name, position)
    if isinstance(node, nodes.Attribute):
        return _attribute_allowed(node, position)
    if isinstance(node, (nodes.Filter, nodes.Call)):
        return False
    return all(_role_only(part, where) for part, where in _positions(node, position))


def _name_allowed(name: str, position: str) -> bool:
    if name == "user":
        return position == _TRUTH
    return name == "roles" and position in (_TRUTH, _CONTAINER)


def _attribute_allowed(node: nodes.Attribute, position: str) -> bool:
    is_roles = isinstance(node.value, nodes.Name) and node.value.name == "user"
    return is_roles and node.name == "roles" and position in (_TRUTH, _CONTAINER)


def _positions(node: nodes.Node, position: str) -> list[tuple[nodes.Node, str]]:
    """Return each part of ``node`` with the way its value is used."""
    if isinstance(node, nodes.Not):
        return [(node.operand, _TRUTH)]
    if isinstance(node, nodes.BoolOp):
        # NOTE: 'a or b' is the value of a or b, so truth only flows through
        # when the chain itself is read for its truth.
        inner = _TRUTH if position == _TRUTH else _VALUE
        return [(operand, inner) for operand in node.operands]
    if isinstance(node, nodes.Conditional):
        return [(node.then, position), (node.test, _TRUTH), (node.otherwise, position)]
    if isinstance(node, nodes.Compare) and node.op in ("in", "not in"):
        return [(node.left, _VALUE), (node.right, _CONTAINER)]
    return [(part, _VALUE) for part in node.parts()]
