"""Bounded caches: what is kept per request-chosen key cannot grow forever.

Production keeps answers per Host header, path and name, which visitors
choose; a dictionary that only grew would let a scanner fill the memory.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


def keep(cache: dict[Hashable, Any], key: Hashable, value: Any, limit: int) -> None:
    """Store ``value`` under ``key``, dropping the oldest entry past ``limit``.

    Safe under threads: a race with another thread drops another entry or
    none, never the value just stored.
    """
    if len(cache) >= limit:
        try:
            del cache[next(iter(cache))]
        except (KeyError, RuntimeError, StopIteration):
            pass
    cache[key] = value
