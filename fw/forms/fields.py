"""Inputs for form fields: the kind of control and the attributes that match.

A field's rules (fw.validation) decide its control. HTML constraint
attributes are emitted only where the browser means exactly what the rule
means, so a form without fw's script refuses nothing the server accepts:

- ``required`` everywhere (a checkbox's ``required`` means ticked, as the
  rule does);
- ``type="date"``, ``time``, ``datetime-local`` with ``min`` and ``max``,
  and ``type="email"``, whose definition is fw's;
- ``minlength`` and ``maxlength`` only for email and url fields: their
  values are ASCII, where UTF-16 units and code points count alike.

Numbers stay ``type="text"`` with an ``inputmode``: ``type="number"``
accepts ``1e3`` and hides what was typed when it cannot read it. Patterns,
text lengths and the rest are left to fw's script, which shows the
server's messages.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from ..exceptions import ConfigError
from ..templates.markup import Markup, escape_text
from ..validation import FieldRules

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}", re.ASCII)
TEXTAREA_FROM = 256

_INPUT_TYPES = {
    "date": "date",
    "time": "time",
    "datetime": "datetime-local",
    "email": "email",
    "boolean": "checkbox",
}
_INPUT_MODES = {"integer": "numeric", "decimal": "decimal", "url": "url"}
_ASCII_TYPES = ("email", "url")
_TEMPORAL = ("date", "time", "datetime")


def check_name(name: str, *, origin: str = "") -> str:
    """Return ``name`` when it can name a control and its ids, else raise.

    Ids are the form's id, "-" and the field's name, and the parts of a
    field add "--help" and "--errors": without "-" in names they never clash.
    """
    if not isinstance(name, str) or NAME.fullmatch(name) is None:
        raise ConfigError(
            f"The name {name!r} cannot name an input or a form: write letters, "
            "digits, '_' or '.', starting with a letter or '_'.",
            origin=origin or None,
        )
    return name


def control(item: FieldRules) -> str:
    """Return the control a field gets: "input", "textarea" or "checkbox"."""
    if item.type == "boolean":
        return "checkbox"

    longest = item.rule("max_length")
    if item.type == "text" and (longest is None or longest.value >= TEXTAREA_FROM):
        return "textarea"
    return "input"


def attributes(item: FieldRules) -> dict[str, str | bool]:
    """Return the HTML attributes that state a field's rules to the browser."""
    found: dict[str, str | bool] = {}
    if control(item) == "input":
        found["type"] = _INPUT_TYPES.get(item.type, "text")
    if item.type in _INPUT_MODES:
        found["inputmode"] = _INPUT_MODES[item.type]

    if item.required:
        found["required"] = True

    if item.type in _TEMPORAL:
        found.update(_limits(item))
    if item.type in _ASCII_TYPES:
        found.update(_lengths(item))
    return found


def form_string(value: Any) -> str:
    """Return ``value`` as the string a form would send for it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def render_attributes(found: dict[str, str | bool]) -> Markup:
    """Return ``found`` as escaped HTML attributes, each after a space."""
    parts = []
    for name, value in found.items():
        if value is True:
            parts.append(f" {name}")
        elif value is not False:
            parts.append(f' {name}="{escape_text(str(value))}"')
    return Markup("".join(parts))


def humanized(name: str) -> str:
    """Return a label made from a field name: "category_id" gives "Category id"."""
    words = name.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


def _limits(item: FieldRules) -> dict[str, str]:
    found = {}
    for name in ("min", "max"):
        rule = item.rule(name)
        if rule is not None:
            found[name] = str(rule.value)
    if item.type in ("time", "datetime"):
        found["step"] = "1"
    return found


def _lengths(item: FieldRules) -> dict[str, str]:
    found = {}
    for name in ("min_length", "max_length"):
        rule = item.rule(name)
        if rule is not None:
            found[name.replace("_", "")] = str(rule.value)
    return found
