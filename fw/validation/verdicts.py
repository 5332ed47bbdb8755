"""Apply checked rules to a form's strings: errors per field, then values.

fw/client/validation.js is the browser's twin of this module; both follow
docs/validation.md and pass tests/vectors/validation.json. A field's rules
run in the order of :data:`fw.validation.rules.RULES`:

- a missing value fails ``required`` or passes every other rule;
- a value its type cannot read fails ``type`` and nothing else is checked;
- otherwise every rule that fails adds an error, in that order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..exceptions import ExpressionError
from . import values
from .rules import FieldRules, FormRules, Rule

logger = logging.getLogger(__name__)

Error = dict[str, Any]
Params = dict[str, Any] | None


def validate(
    rules: FormRules, form: Mapping[str, str | None]
) -> dict[str, list[Error]]:
    """Return {field: [error, ...]} for the fields that fail; {} when all pass.

    Each error is ``{"rule": ..., "message": ..., "params": {...}}``: the
    rule's name, its message key and the values its message may show.
    """
    readings = _readings(rules, form)
    names = {"form": {name: reading.value for name, reading in readings.items()}}

    errors = {}
    for item in rules.fields:
        found = _field_errors(item, readings[item.name], names)
        if found:
            errors[item.name] = found
    return errors


def convert(rules: FormRules, form: Mapping[str, str | None]) -> dict[str, Any]:
    """Return each field's Python value (None when missing or unreadable).

    Integers are int, decimals Decimal (read from the text, exactly), dates
    and times the datetime types, booleans bool, the rest str. Call it once
    :func:`validate` found no error.
    """
    readings = _readings(rules, form)
    return {
        item.name: values.python_value(item.type, readings[item.name])
        for item in rules.fields
    }


def _readings(rules: FormRules, form: Mapping[str, str | None]) -> dict:
    if not isinstance(rules, FormRules):
        raise TypeError(
            f"validate takes the FormRules of rules_for_form, not "
            f"{type(rules).__name__}; load the rules first."
        )
    return {
        item.name: values.read(item.type, form.get(item.name)) for item in rules.fields
    }


def _field_errors(
    item: FieldRules, reading: values.Reading, names: dict
) -> list[Error]:
    required = item.rule("required")
    if reading.missing or (required and reading.value is False):
        return [_error(required, {})] if required else []

    if not reading.ok:
        return [_error(item.rule("type"), {"type": item.type})]

    field_names = {**names, "value": reading.value}
    found = []
    for rule in item.rules:
        params = _CHECKS.get(rule.name, _passes)(item, rule, reading, field_names)
        if params is not None:
            found.append(_error(rule, params))
    return found


def _error(rule: Rule, params: dict[str, Any]) -> Error:
    return {"rule": rule.name, "message": rule.message, "params": params}


def _passes(*_: Any) -> None:
    return None


def _min_length(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    length = len(reading.text)
    if length >= rule.value:
        return None
    return {"min_length": rule.value, "length": length}


def _max_length(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    length = len(reading.text)
    if length <= rule.value:
        return None
    return {"max_length": rule.value, "length": length}


def _pattern(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    return None if rule.compiled.fullmatch(reading.text) else {"pattern": rule.value}


def _integer_digits(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    whole = reading.text.lstrip("+-").partition(".")[0].lstrip("0")
    return None if len(whole) <= rule.value else {"integer_digits": rule.value}


def _decimals(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    fraction = reading.text.partition(".")[2].rstrip("0")
    return None if len(fraction) <= rule.value else {"decimals": rule.value}


def _min(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    low, value = _comparable(item, rule.value, reading)
    return None if value >= low else {"min": rule.value}


def _max(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    high, value = _comparable(item, rule.value, reading)
    return None if value <= high else {"max": rule.value}


def _comparable(item: FieldRules, limit: Any, reading: Any) -> tuple[Any, Any]:
    if item.type == "decimal":
        return Decimal(limit), Decimal(reading.text)
    return limit, reading.value


def _one_of(item: FieldRules, rule: Rule, reading: Any, _: dict) -> Params:
    allowed = any(same(reading.value, option) for option in rule.value)
    return None if allowed else {"one_of": list(rule.value)}


def _equal_to(item: FieldRules, rule: Rule, reading: Any, names: dict) -> Params:
    other = names["form"].get(rule.value)
    return None if same(reading.value, other) else {"equal_to": rule.value}


def _condition(item: FieldRules, rule: Rule, reading: Any, names: dict) -> Params:
    try:
        passed = bool(rule.compiled.evaluate(names))
    except ExpressionError as error:
        logger.debug("The condition of %s failed to evaluate: %s", item.name, error)
        passed = False
    return None if passed else {}


def same(left: Any, right: Any) -> bool:
    """Say whether two read values are equal by the expression language's ==."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    return type(left) is type(right) and left is not None and left == right


_CHECKS: dict[str, Callable[..., Params]] = {
    "min_length": _min_length,
    "max_length": _max_length,
    "pattern": _pattern,
    "integer_digits": _integer_digits,
    "decimals": _decimals,
    "min": _min,
    "max": _max,
    "one_of": _one_of,
    "equal_to": _equal_to,
    "condition": _condition,
}
