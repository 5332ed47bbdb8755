"""Lay configuration data over data from the layers below it.

Maps merge key by key, at any depth; everything else replaces: a list in the
upper file replaces the whole list below, a scalar overrides, and a value of
another kind (a scalar over a map, a map over a list) replaces what was there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

KeyPath = tuple[str | int, ...]


def merge(base: Any, override: Any) -> Any:
    """Return `override` laid over `base`, sharing but never changing either."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override

    merged = dict(base)
    for key, value in override.items():
        merged[key] = merge(base[key], value) if key in base else value

    return merged


def leaves(data: Any, prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Yield (key path, value) for every scalar and every empty list or map.

    An empty map at the top yields nothing: there is no key to name.
    """
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from leaves(value, prefix + (key,))
    elif isinstance(data, list) and data:
        for index, value in enumerate(data):
            yield from leaves(value, prefix + (index,))
    elif prefix or not isinstance(data, dict):
        yield prefix, data


def has(data: Any, key: KeyPath) -> bool:
    """Say whether `data` holds a value at the key path `key`."""
    for part in key:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


def copy(data: Any) -> Any:
    """Return a copy of nested maps and lists that shares only the scalars."""
    if isinstance(data, dict):
        return {key: copy(value) for key, value in data.items()}
    if isinstance(data, list):
        return [copy(value) for value in data]
    return data
