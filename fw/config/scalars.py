"""Turn the text values of INI and XML files into the types JSON and TOML have.

INI and XML hold only text. So that one configuration reads the same in every
format, a text value is converted when it looks like a JSON literal:

- ``true`` and ``false`` become booleans (lowercase only);
- an integer without leading zeros (``8080``, ``-1``) becomes an int;
- a decimal (``0.5``, ``-2.0``, ``1e-05``) becomes a float;
- a value wrapped in double quotes is a string, read with JSON's escapes
  (``"8080"`` stays the text 8080, ``" padded "`` keeps its spaces);
- anything else stays the text as written, without surrounding whitespace.
"""

from __future__ import annotations

import json
import math
import re

from ..exceptions import ConfigError

_NUMBER = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exp>[eE][+-]?[0-9]+)?"
)
_CONSTANTS = {"true": True, "false": False}

Scalar = str | int | float | bool


def convert(text: str) -> Scalar:
    """Return the value a text from an INI or XML file stands for."""
    text = text.strip()

    if text in _CONSTANTS:
        return _CONSTANTS[text]

    number = _NUMBER.fullmatch(text)
    if number:
        return _to_number(text, number)

    if len(text) >= 2 and text[0] == text[-1] == '"':
        return _unquote(text)

    return text


def _to_number(text: str, number: re.Match[str]) -> int | float:
    if number["fraction"] or number["exp"]:
        return float(text)
    return int(text)


def _unquote(text: str) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"The quoted text {text} is not a valid quoted string ({error.msg}). "
            'Escape inner double quotes and backslashes as \\" and \\\\.'
        ) from None
    return value


def render(value: Scalar, *, origin: str, key: str) -> str:
    """Return the text that `convert` reads back as `value`."""
    if isinstance(value, bool):
        return "true" if value else "false"

    if isinstance(value, int):
        return str(value)

    if isinstance(value, float):
        return _render_float(value, origin=origin, key=key)

    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _needs_quotes(value) else value

    raise ConfigError(
        f"The value of {key!r} is a {type(value).__name__}, which this format cannot "
        "hold. Use text, a number, true/false, a list or a map.",
        origin=origin,
    )


def _render_float(value: float, *, origin: str, key: str) -> str:
    if not math.isfinite(value):
        raise ConfigError(
            f"The value of {key!r} is {value}, which this format cannot hold. "
            "Use a finite number.",
            origin=origin,
        )
    return repr(value)


def _needs_quotes(value: str) -> bool:
    if value != value.strip() or value.startswith(('"', "[")):
        return True

    if any(ord(char) < 32 for char in value):
        return True

    return value in _CONSTANTS or _NUMBER.fullmatch(value) is not None
