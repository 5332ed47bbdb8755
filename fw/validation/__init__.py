"""Form validation: one rule description, checked alike in Python and the browser.

Rules come from table descriptions or from a mapping written beside a
presenter; loading checks them, and the browser gets the same rules as
JSON (fw/client/validation.js applies them)::

    rules = rules_for_form({"age": {"type": "integer", "min": 18}})
    validate(rules, {"age": "17"})
    # {"age": [{"rule": "min", "message": "validation.min",
    #           "params": {"min": 18}}]}
    rules_to_json(rules)  # for <script type="application/json">

docs/validation.md is the specification both implementations follow, and
tests/vectors/validation.json holds the cases both pass.
"""

from __future__ import annotations

from .patterns import PatternError, shared_source
from .rules import (
    RULES,
    FieldRules,
    FormRules,
    Rule,
    implied_rules,
    rules_for_field,
    rules_for_form,
    rules_for_table,
    rules_to_json,
)
from .values import TYPES, clean, read
from .verdicts import convert, validate

__all__ = [
    "RULES",
    "TYPES",
    "FieldRules",
    "FormRules",
    "PatternError",
    "Rule",
    "clean",
    "convert",
    "implied_rules",
    "read",
    "rules_for_field",
    "rules_for_form",
    "rules_for_table",
    "rules_to_json",
    "shared_source",
    "validate",
]
