"""Forms built from table descriptions or rule mappings: render and process.

A :class:`Form` holds a form's checked rules (fw.validation) and the
message keys of its labels and help texts. ``render`` writes the form in
the visitor's language: labels, help, inputs with the constraint
attributes that match the rules (fw.forms.fields), the values sent, the
messages of a failed submit next to their fields, the CSRF field, and the
rules and message texts fw/client/forms.js needs, as JSON. ``process``
checks submitted strings with the same rules. See docs/forms.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from ..i18n import Texts
from ..templates.markup import Markup
from ..validation import (
    FieldRules,
    FormRules,
    convert,
    read,
    rules_for_form,
    rules_for_table,
    rules_to_json,
    validate,
)
from . import fields as inputs
from . import messages

Errors = Mapping[str, list[Mapping[str, Any]]]


@dataclass(frozen=True)
class Form:
    """A form's rules and the message keys of its labels and help texts.

    ``labels`` and ``help`` map a field name to a message key (or a text,
    which shows as it is); a field without a label shows its name made
    readable. ``form_id`` names the form element and prefixes every id.
    """

    rules: FormRules
    _: KW_ONLY
    form_id: str = "form"
    labels: Mapping[str, str] = field(default_factory=dict)
    help: Mapping[str, str] = field(default_factory=dict)
    submit: str = "forms.submit"

    def __post_init__(self) -> None:
        inputs.check_name(self.form_id)
        for item in self.rules.fields:
            inputs.check_name(item.name)

    @classmethod
    def for_table(
        cls, table: Any, fields: Iterable[str] | None = None, **options: Any
    ) -> Form:
        """Return the form over ``fields`` (default: all but auto keys) of a table."""
        rules = rules_for_table(table, fields)
        return cls(rules, **_described_texts(table, rules), **options)

    @classmethod
    def for_rules(
        cls,
        mapping: Mapping[str, Any],
        *,
        table: Any = None,
        origin: str = "",
        **options: Any,
    ) -> Form:
        """Return the form a rule mapping describes, over a table's fields or not."""
        rules = rules_for_form(mapping, table=table, origin=origin)
        texts = _described_texts(table, rules) if table is not None else {}
        for name in ("labels", "help"):
            texts[name] = {**texts.get(name, {}), **options.pop(name, {})}
        return cls(rules, **texts, **options)

    def process(
        self, form: Mapping[str, str | None]
    ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """Return (values, {}) for a good submit, or ({}, errors) for a bad one."""
        errors = validate(self.rules, form)
        if errors:
            return {}, errors
        return convert(self.rules, form), {}

    def render(
        self,
        *,
        texts: Texts,
        lang: str,
        values: Mapping[str, Any] | None = None,
        errors: Errors | None = None,
        csrf_field: str = "",
        action: str = "",
    ) -> Markup:
        """Return the form as HTML in ``lang``, with ``values`` and ``errors`` shown.

        ``values`` are the strings sent (kept after a failed submit) or a
        record's Python values; ``csrf_field`` is fw.csrf.field(session).
        """
        page = _Page(self, texts, lang, values or {}, errors or {})
        body = Markup("").join(page.field(item) for item in self.rules.fields)
        return Markup(
            '<form method="post" action="{action}" id="{id}" class="fw-form" '
            'data-fw-rules="{id}--rules" data-fw-messages="{id}--messages">\n'
            "{csrf}{body}{scripts}"
            '<p class="fw-submit"><button type="submit">{submit}</button></p>\n'
            "</form>\n"
        ).format(
            action=action,
            id=self.form_id,
            csrf=Markup(csrf_field) + "\n" if csrf_field else "",
            body=body,
            scripts=page.scripts(),
            submit=texts.text(lang, self.submit),
        )

    def message_keys(self) -> list[str]:
        """Return every message key the form's rules may show, once each."""
        keys = (rule.message for item in self.rules.fields for rule in item.rules)
        return list(dict.fromkeys(keys))


@dataclass
class _Page:
    """One rendering of a form: its language, values and errors."""

    form: Form
    texts: Texts
    lang: str
    values: Mapping[str, Any]
    errors: Errors

    def field(self, item: FieldRules) -> Markup:
        ident = f"{self.form.form_id}-{item.name}"
        control = inputs.control(item)
        label = self.label(item, ident)
        parts = [self.control(item, ident), label]
        if control != "checkbox":
            parts.reverse()

        return Markup(
            '<div class="fw-field fw-{kind}{failed}" data-fw-field="{name}">\n'
            "{parts}{help}{errors}</div>\n"
        ).format(
            kind=item.type,
            failed=" fw-invalid" if item.name in self.errors else "",
            name=item.name,
            parts=Markup("").join(parts),
            help=self.help(item, ident),
            errors=self.error_list(item, ident),
        )

    def label(self, item: FieldRules, ident: str) -> Markup:
        key = self.form.labels.get(item.name)
        text = self.texts.text(self.lang, key) if key else inputs.humanized(item.name)
        return Markup('<label for="{0}">{1}</label>\n').format(ident, text)

    def help(self, item: FieldRules, ident: str) -> Markup:
        key = self.form.help.get(item.name)
        if not key:
            return Markup("")
        return Markup('<p class="fw-help" id="{0}--help">{1}</p>\n').format(
            ident, self.texts.text(self.lang, key)
        )

    def error_list(self, item: FieldRules, ident: str) -> Markup:
        shown = [
            Markup('<p class="fw-error">{0}</p>').format(
                messages.message(self.texts, self.lang, error)
            )
            for error in self.errors.get(item.name, ())
        ]
        return Markup(
            '<div class="fw-errors" id="{0}--errors" aria-live="polite">{1}</div>\n'
        ).format(ident, Markup("").join(shown))

    def control(self, item: FieldRules, ident: str) -> Markup:
        found = {"id": ident, "name": item.name, **inputs.attributes(item)}
        found["aria-describedby"] = self.described_by(item, ident)
        if item.name in self.errors:
            found["aria-invalid"] = "true"

        text = inputs.form_string(self.values.get(item.name))
        kind = inputs.control(item)
        if kind == "textarea":
            shown = inputs.render_attributes(found)
            return Markup("<textarea{0}>{1}</textarea>\n").format(shown, text)

        if kind == "checkbox":
            found.update(type="checkbox", value="on", checked=_ticked(text))
        else:
            found["value"] = text
        return Markup("<input{0}>\n").format(inputs.render_attributes(found))

    def described_by(self, item: FieldRules, ident: str) -> str:
        ids = [f"{ident}--help"] if self.form.help.get(item.name) else []
        return " ".join([*ids, f"{ident}--errors"])

    def scripts(self) -> Markup:
        keys = self.form.message_keys()
        found = messages.templates(self.texts, self.lang, keys)
        return Markup(
            '<script type="application/json" id="{id}--rules">{rules}</script>\n'
            '<script type="application/json" id="{id}--messages">{texts}</script>\n'
        ).format(
            id=self.form.form_id,
            rules=Markup(rules_to_json(self.form.rules)),
            texts=Markup(messages.script_json(found)),
        )


def _ticked(text: str) -> bool:
    reading = read("boolean", text)
    return reading.ok and reading.value is True


def _described_texts(table: Any, rules: FormRules) -> dict[str, dict[str, str]]:
    labels, help_keys = {}, {}
    for item in rules.fields:
        if not table.has_field(item.name):
            continue
        column = table.field(item.name)
        if column.label:
            labels[item.name] = column.label
        if column.description:
            help_keys[item.name] = column.description
    return {"labels": labels, "help": help_keys}
