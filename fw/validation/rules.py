"""Rule descriptions: read, checked and put in one order, for both languages.

A field's rules are a mapping of rule name to value, each value either
short (``"min_length": 2``) or long, with its own message key
(``"min_length": {"value": 2, "message": "products.name.short"}``). They
come from a table description (a field's type, ``required``, ``length``,
``precision``/``scale`` and its ``validation`` mapping) or from a mapping
written beside a presenter. Loading checks every rule, so a broken one
stops with a ConfigError naming the field and the rule; what reaches
:func:`fw.validation.validate` and the browser is always well formed.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..exceptions import ConfigError, ExpressionError
from ..expressions import compile_expression
from . import values
from .patterns import PatternError, shared_source

#: Every rule, in the order a field's rules are checked.
RULES = (
    "required",
    "type",
    "min_length",
    "max_length",
    "pattern",
    "integer_digits",
    "decimals",
    "min",
    "max",
    "one_of",
    "equal_to",
    "condition",
)
#: The names a condition may read.
CONDITION_NAMES = frozenset({"value", "form"})
INTEGER_RANGE = (-(2**31), 2**31 - 1)

_TEXTUAL = ("text", "email", "url")
_ORDERED = ("integer", "decimal", "date", "time", "datetime")
_ALLOWED = {
    "min_length": _TEXTUAL,
    "max_length": _TEXTUAL,
    "pattern": tuple(t for t in values.TYPES if t != "boolean"),
    "integer_digits": ("decimal",),
    "decimals": ("decimal",),
    "min": _ORDERED,
    "max": _ORDERED,
    "one_of": (*_TEXTUAL, "integer", "date", "time", "datetime"),
}
_SCHEMA_TYPES = {"file": "text", "json": "text"}


@dataclass(frozen=True)
class Rule:
    """One checked rule: its name, value and message key."""

    name: str
    value: Any
    message: str
    regex: str | None = None
    compiled: Any = field(default=None, compare=False, repr=False)

    def as_json(self, field_name: str) -> dict[str, Any]:
        """Return the rule as the browser receives it."""
        data = {"rule": self.name, "value": self.value, "message": self.message}
        if self.regex is not None:
            data["regex"] = self.regex
        if self.name == "condition":
            data["origin"] = condition_origin(field_name)
        return data


@dataclass(frozen=True)
class FieldRules:
    """The checked rules of one form field, in the order they are applied."""

    name: str
    type: str
    rules: tuple[Rule, ...]

    def rule(self, name: str) -> Rule | None:
        """Return the rule called ``name``, or None when the field has none."""
        return next((rule for rule in self.rules if rule.name == name), None)

    @property
    def required(self) -> bool:
        """Say whether the field must be given (a boolean: must be true)."""
        return self.rule("required") is not None


@dataclass(frozen=True)
class FormRules:
    """The checked rules of a form's fields, in the form's order."""

    fields: tuple[FieldRules, ...]

    def field(self, name: str) -> FieldRules:
        """Return the rules of the field ``name``; KeyError when there are none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


def condition_origin(field_name: str) -> str:
    """Return the origin a field's condition reports its errors with."""
    return f"validation of {field_name}"


def implied_rules(column: Any) -> dict[str, Any]:
    """Return the rules a table description's field implies by itself.

    ``column`` is a fw.db.schema.Field. A required boolean is not made
    required: NOT NULL is always met by a checkbox, which is false when
    unticked. Auto-numbered keys and file fields are never required here.
    """
    kind = _SCHEMA_TYPES.get(column.type, column.type)
    implied: dict[str, Any] = {"type": kind}

    if column.required and kind != "boolean" and not column.auto:
        implied["required"] = column.type != "file"

    if column.type == "text" and column.length:
        implied["max_length"] = column.length

    if kind == "decimal":
        implied["integer_digits"] = column.precision - (column.scale or 0)
        implied["decimals"] = column.scale or 0

    if kind == "integer":
        implied["min"], implied["max"] = INTEGER_RANGE

    return implied


def rules_for_field(column: Any, *, origin: str = "") -> FieldRules:
    """Return the rules of a described field: implied ones, then its validation."""
    merged = {**implied_rules(column), **dict(column.validation or {})}
    return _Loader(origin).field(column.name, merged)


def rules_for_form(
    mapping: Mapping[str, Any], *, table: Any = None, origin: str = ""
) -> FormRules:
    """Return the rules of a form: {field name: rule mapping}, checked.

    With ``table`` (a fw.db.schema.Table), a field the table describes
    starts from that description's rules and the mapping adds or replaces
    rules; ``{}`` takes the description as it is.
    """
    loader = _Loader(origin)
    if not isinstance(mapping, Mapping):
        raise loader.fail("The form's rules must be a mapping of field names.")

    fields = []
    for name, spec in mapping.items():
        if not isinstance(spec, Mapping):
            raise loader.fail(
                f"The rules of the field {name} must be a mapping of rule names "
                f"to values, not {type(spec).__name__}."
            )
        fields.append(loader.field(name, {**_described(table, name), **spec}))

    return loader.form(fields)


def rules_for_table(table: Any, fields: Iterable[str] | None = None) -> FormRules:
    """Return the rules of a form for ``fields`` (default: all) of a table."""
    names = list(fields) if fields is not None else _form_fields(table)
    loader = _Loader(table.origin)
    unknown = [name for name in names if not table.has_field(name)]
    if unknown:
        raise loader.fail(
            f"The table {table.name} has no field {', '.join(unknown)}; "
            f"its fields are {', '.join(table.field_names)}."
        )
    return loader.form(
        [rules_for_field(table.field(name), origin=table.origin) for name in names]
    )


def rules_to_json(rules: FormRules | FieldRules) -> str:
    """Return the rules as the JSON fw's browser script reads.

    The text is safe inside ``<script type="application/json">``: ``<``,
    ``>`` and ``&`` are written as escapes, and so is everything non-ASCII.
    """
    fields = rules.fields if isinstance(rules, FormRules) else (rules,)
    data = {
        "fields": [
            {
                "name": item.name,
                "type": item.type,
                "rules": [rule.as_json(item.name) for rule in item.rules],
            }
            for item in fields
        ]
    }

    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _same(value: Any) -> Any:
    return value


def _described(table: Any, name: str) -> dict[str, Any]:
    if table is None or not table.has_field(name):
        return {}
    column = table.field(name)
    return {**implied_rules(column), **dict(column.validation or {})}


def _form_fields(table: Any) -> list[str]:
    return [column.name for column in table.fields if not column.auto]


class _Loader:
    """Check rule mappings; every complaint names the origin, field and rule."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, message: str) -> ConfigError:
        return ConfigError(message, origin=self.origin or None)

    def form(self, fields: list[FieldRules]) -> FormRules:
        names = [item.name for item in fields]
        for item in fields:
            rule = item.rule("equal_to")
            if rule and (rule.value not in names or rule.value == item.name):
                raise self.fail(
                    f"The field {item.name}'s rule 'equal_to' names {rule.value!r}, "
                    f"which is not another field of the form; name one of "
                    f"{', '.join(names)}."
                )
        return FormRules(tuple(fields))

    def field(self, name: str, spec: Mapping[str, Any]) -> FieldRules:
        if not isinstance(name, str) or not name:
            raise self.fail(f"A form field name must be text, not {name!r}.")

        unknown = sorted(set(spec) - set(RULES))
        if unknown:
            raise self.fail(
                f"The field {name} has the unknown rule(s) {', '.join(unknown)}; "
                f"the rules are {', '.join(RULES)}."
            )

        written = {"type": ("text", None)}
        written.update((rule, self.split(name, rule, spec[rule])) for rule in spec)
        kind = written["type"][0]
        checked = [
            self.rule(name, kind, rule, *written[rule])
            for rule in RULES
            if rule in written
        ]
        rules = tuple(rule for rule in checked if rule is not None)

        self.check_bounds(name, kind, rules)
        return FieldRules(name, kind, rules)

    def check_bounds(self, name: str, kind: str, rules: tuple[Rule, ...]) -> None:
        found = {rule.name: rule.value for rule in rules}
        for low, high in (("min_length", "max_length"), ("min", "max")):
            if low in found and high in found:
                as_number = Decimal if kind == "decimal" else _same
                if as_number(found[low]) > as_number(found[high]):
                    raise self.fail(
                        f"The field {name}'s {low} ({found[low]}) is above its "
                        f"{high} ({found[high]}), so no value could pass."
                    )

    def split(self, name: str, rule: str, written: Any) -> tuple[Any, str | None]:
        if not isinstance(written, Mapping):
            return written, None
        extra = sorted(set(written) - {"value", "message"})
        if "value" not in written or extra:
            raise self.fail(
                f"The field {name}'s rule {rule!r} is written as a mapping, which "
                "must hold 'value' and may hold 'message' (a message key), "
                "and nothing else."
            )
        message = written.get("message")
        if message is not None and (not isinstance(message, str) or not message):
            raise self.fail(
                f"The field {name}'s rule {rule!r} has a message that is not a "
                "message key; write text such as 'products.name.required'."
            )
        return written["value"], message

    def rule(
        self, name: str, kind: str, rule: str, value: Any, message: str | None
    ) -> Rule | None:
        allowed = _ALLOWED.get(rule)
        if allowed and kind not in allowed:
            raise self.fail(
                f"The field {name} is of type {kind}, which has no rule {rule!r}; "
                f"it applies to {', '.join(allowed)}."
            )

        check = getattr(self, f"check_{rule}")
        checked = check(name, kind, value)
        if rule == "required" and not checked:
            return None

        default = f"validation.{rule}"
        if rule == "type":
            default = f"validation.type.{kind}"
        return self.built(name, rule, checked, message or default)

    def built(self, name: str, rule: str, value: Any, message: str) -> Rule:
        if rule == "pattern":
            regex = self.pattern_source(name, value)
            return Rule(rule, value, message, regex, re.compile(regex))
        if rule == "condition":
            return Rule(rule, value, message, compiled=self.condition(name, value))
        return Rule(rule, value, message)

    def wrong(self, name: str, rule: str, value: Any, expected: str) -> ConfigError:
        return self.fail(
            f"The field {name}'s rule {rule!r} is {value!r}; it must be {expected}."
        )

    def check_required(self, name: str, kind: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.wrong(name, "required", value, "true or false")
        return value

    def check_type(self, name: str, kind: str, value: Any) -> str:
        if value not in values.TYPES:
            raise self.wrong(name, "type", value, f"one of {', '.join(values.TYPES)}")
        return value

    def check_min_length(self, name: str, kind: str, value: Any) -> int:
        return self.count(name, "min_length", value)

    def check_max_length(self, name: str, kind: str, value: Any) -> int:
        return self.count(name, "max_length", value, least=1)

    def check_integer_digits(self, name: str, kind: str, value: Any) -> int:
        return self.count(name, "integer_digits", value)

    def check_decimals(self, name: str, kind: str, value: Any) -> int:
        return self.count(name, "decimals", value)

    def count(self, name: str, rule: str, value: Any, *, least: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise self.wrong(name, rule, value, f"a whole number of at least {least}")
        return value

    def check_pattern(self, name: str, kind: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.wrong(name, "pattern", value, "text")
        return value

    def pattern_source(self, name: str, pattern: str) -> str:
        try:
            return shared_source(pattern)
        except PatternError as error:
            raise self.fail(
                f"The field {name}'s rule 'pattern' ({pattern!r}) cannot be used: "
                f"{error} See docs/validation.md for the patterns both languages "
                "share."
            ) from None

    def check_min(self, name: str, kind: str, value: Any) -> Any:
        return self.limit(name, "min", kind, value)

    def check_max(self, name: str, kind: str, value: Any) -> Any:
        return self.limit(name, "max", kind, value)

    def limit(self, name: str, rule: str, kind: str, value: Any) -> Any:
        if kind == "integer":
            return self.integer(name, rule, value)
        if kind == "decimal":
            return self.decimal(name, rule, value)
        return self.option(name, rule, kind, value)

    def integer(self, name: str, rule: str, value: Any) -> int:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or abs(value) > values.MAX_SAFE_INTEGER:
            raise self.wrong(
                name, rule, value, f"a whole number within ±{values.MAX_SAFE_INTEGER}"
            )
        return value

    def decimal(self, name: str, rule: str, value: Any) -> str:
        if isinstance(value, str) and values.read("decimal", value).ok:
            return values.clean(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = Decimal(repr(value))
            if number.is_finite():
                return format(number, "f")
        raise self.wrong(name, rule, value, "a number, or text such as '9.99'")

    def option(self, name: str, rule: str, kind: str, value: Any) -> Any:
        text = value
        if kind == "integer" and type(value) is int:
            text = str(value)
        elif isinstance(value, (datetime.date, datetime.time)):
            text = value.isoformat()
        reading = values.read(kind, text) if isinstance(text, str) else None
        if reading is None or not reading.ok or reading.missing:
            raise self.wrong(
                name, rule, value, f"a {kind} value as a form would send it"
            )
        return reading.value

    def check_one_of(self, name: str, kind: str, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)) or not value:
            raise self.wrong(name, "one_of", value, "a list of the values allowed")
        return tuple(self.option(name, "one_of", kind, option) for option in value)

    def check_equal_to(self, name: str, kind: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.wrong(name, "equal_to", value, "the name of another field")
        return value

    def check_condition(self, name: str, kind: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.wrong(name, "condition", value, "an expression (text)")
        return value

    def condition(self, name: str, source: str) -> Any:
        try:
            expression = compile_expression(source, origin=condition_origin(name))
        except ExpressionError as error:
            raise self.fail(
                f"The field {name}'s rule 'condition' is not a valid expression "
                f"({error.message}, at column {error.column}); fix it as "
                "docs/expressions.md describes."
            ) from None

        unknown = sorted(expression.names_used - CONDITION_NAMES)
        if unknown:
            raise self.fail(
                f"The field {name}'s condition reads {', '.join(unknown)}; a "
                "condition can read only 'value' and 'form'."
            )
        return expression
