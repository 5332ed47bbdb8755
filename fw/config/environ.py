"""Put environment variables into configuration values, so secrets stay out.

In any text value, at any depth:

- ``${NAME}`` is the value of the variable NAME; if it is not set, loading
  fails with an error naming the file, the line and the key;
- ``${NAME:-default}`` is the value of NAME, or ``default`` when NAME is not
  set or is empty;
- ``$${`` is a literal ``${``.

The result is always text, also when the whole value is one variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

KeyPath = tuple[str | int, ...]

_REFERENCE = re.compile(r"\$\$\{|\$\{(?P<inner>[^}]*)\}|\$\{")
_INNER = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.S)


def expand(text: str, environ: Mapping[str, str]) -> str:
    """Return `text` with each ``${NAME}`` replaced; raise ValueError if unset."""
    return _REFERENCE.sub(lambda match: _replace(match, environ), text)


def _replace(match: re.Match[str], environ: Mapping[str, str]) -> str:
    if match[0] == "$${":
        return "${"

    inner = match["inner"]
    reference = _INNER.fullmatch(inner) if inner is not None else None
    if reference is None:
        raise ValueError(
            f"holds {match[0]!r}, which is not a variable reference. Write "
            "${NAME} or ${NAME:-default}, or $${ for a literal '${'."
        )

    value = environ.get(reference["name"])
    if value:
        return value
    if reference["default"] is not None:
        return reference["default"]
    if value is not None:
        return value

    raise ValueError(
        f"refers to the environment variable {reference['name']!r}, which is not "
        f"set. Set it, or give a default: ${{{reference['name']}:-default}}."
    )


def expand_all(
    data: Any,
    environ: Mapping[str, str],
    on_error: Callable[[KeyPath, ValueError], Exception],
    key: KeyPath = (),
) -> tuple[Any, dict[KeyPath, str]]:
    """Return `data` rebuilt with every text expanded, and the texts that changed.

    ``on_error(key, error)`` builds the exception raised for a bad reference.
    """
    written: dict[KeyPath, str] = {}
    return _walk(data, environ, on_error, key, written), written


def _walk(
    data: Any,
    environ: Mapping[str, str],
    on_error: Callable[[KeyPath, ValueError], Exception],
    key: KeyPath,
    written: dict[KeyPath, str],
) -> Any:
    if isinstance(data, dict):
        return {
            name: _walk(value, environ, on_error, key + (name,), written)
            for name, value in data.items()
        }
    if isinstance(data, list):
        return [
            _walk(value, environ, on_error, key + (index,), written)
            for index, value in enumerate(data)
        ]
    if not isinstance(data, str) or "${" not in data:
        return data

    try:
        expanded = expand(data, environ)
    except ValueError as error:
        raise on_error(key, error) from None

    if expanded != data:
        written[key] = data
    return expanded
