"""Table descriptions: read from ``schema/NAME.*`` in the layers, checked, typed.

A table is described in a configuration file of its own (any format the
configuration system reads), found through the layers like any other
file, so a layer can extend or replace a table's description. The file's
name is the table's name. See docs/database.md for every key.

This module only reads and checks descriptions into plain objects; the
dialects turn them into SQL and the records use them to check every name
a query mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from ..exceptions import ConfigError
from ..plain import Plain, replace

FIELD_TYPES = (
    "integer",
    "decimal",
    "text",
    "boolean",
    "date",
    "time",
    "datetime",
    "file",
    "json",
)
ON_DELETE = ("restrict", "cascade", "set null")
HOOK_EVENTS = tuple(
    f"{when}_{action}"
    for action in ("select", "insert", "update", "delete")
    for when in ("before", "after")
)
TERMS = ("zero", "one", "many")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
FILE_LENGTH = 255

_TABLE_KEYS = {
    "fields", "primary_key", "indexes", "relations", "terms", "hooks",
    "computed", "previous_name", "seed", "description", "label", "extends",
}
_FIELD_KEYS = {
    "type", "length", "precision", "scale", "required", "default", "unique",
    "primary", "auto", "previous_name", "description", "label", "validation",
    "references", "on_delete", "folder",
}


class Reference(Plain):
    """A field's reference to a field of another table."""

    __slots__ = fields = ("table", "field", "on_delete")

    def __init__(self, table: str, field: str, on_delete: str = "restrict") -> None:
        self.table = table
        self.field = field
        self.on_delete = on_delete


class Field(Plain):
    """One column: its type, constraints and presentation metadata."""

    __slots__ = fields = (
        "name", "type", "length", "precision", "scale", "required", "default",
        "unique", "auto", "previous_name", "references", "description", "label",
        "validation", "folder",
    )

    def __init__(
        self,
        name: str,
        type: str,
        length: int | None = None,
        precision: int | None = None,
        scale: int | None = None,
        required: bool = False,
        default: Any = None,
        unique: bool = False,
        auto: bool = False,
        previous_name: str | None = None,
        references: Reference | None = None,
        description: str | None = None,
        label: str | None = None,
        validation: Mapping[str, Any] | None = None,
        folder: str | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.length = length
        self.precision = precision
        self.scale = scale
        self.required = required
        self.default = default
        self.unique = unique
        self.auto = auto
        self.previous_name = previous_name
        self.references = references
        self.description = description
        self.label = label
        self.validation = {} if validation is None else validation
        self.folder = folder


class Index(Plain):
    """An index over one or more fields."""

    # NOTE: no slots: a slot called ``fields`` would hide the class's own.
    fields = ("name", "fields", "unique")

    def __init__(
        self, name: str, fields: tuple[str, ...], unique: bool = False
    ) -> None:
        self.name = name
        self.fields = fields
        self.unique = unique


class Relation(Plain):
    """A many-to-many relation through a link table.

    ``through`` is the link table; ``source`` is its field pointing at this
    table and ``target`` its field pointing at table ``to``.
    """

    __slots__ = fields = ("name", "through", "to", "source", "target")

    def __init__(
        self, name: str, through: str, to: str, source: str, target: str
    ) -> None:
        self.name = name
        self.through = through
        self.to = to
        self.source = source
        self.target = target


class Table(Plain):
    """A described table: fields in order, keys, indexes, relations, metadata."""

    # NOTE: no slots: the cached properties keep their values in __dict__,
    # and a slot called ``fields`` would hide the class's own.
    fields = (
        "name", "fields", "primary_key", "indexes", "relations", "terms", "hooks",
        "computed", "previous_name", "seed", "description", "origin",
    )

    def __init__(
        self,
        name: str,
        fields: tuple[Field, ...],
        primary_key: tuple[str, ...],
        indexes: tuple[Index, ...] = (),
        relations: tuple[Relation, ...] = (),
        terms: Mapping[str, str] | None = None,
        hooks: Mapping[str, tuple[str, ...]] | None = None,
        computed: Mapping[str, str] | None = None,
        previous_name: str | None = None,
        seed: tuple[Mapping[str, Any], ...] = (),
        description: str | None = None,
        origin: str = "",
    ) -> None:
        self.name = name
        self.fields = fields
        self.primary_key = primary_key
        self.indexes = indexes
        self.relations = relations
        self.terms = {} if terms is None else terms
        self.hooks = {} if hooks is None else hooks
        self.computed = {} if computed is None else computed
        self.previous_name = previous_name
        self.seed = seed
        self.description = description
        self.origin = origin

    def field(self, name: str) -> Field:
        """Return the field called ``name``; KeyError when there is none."""
        try:
            return self._by_name[name]
        except TypeError:
            raise KeyError(name) from None

    def has_field(self, name: str) -> bool:
        """Say whether the table has a stored field called ``name``."""
        return isinstance(name, str) and name in self._by_name

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        """Return the stored fields' names, in order."""
        return tuple(candidate.name for candidate in self.fields)

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        # PERF: records look fields up by name on every write; a frozen
        # table can keep the index, and a replaced one starts its own.
        return {candidate.name: candidate for candidate in self.fields}

    @property
    def auto_field(self) -> Field | None:
        """Return the auto-numbered primary key field, if the table has one."""
        return next((f for f in self.fields if f.auto), None)

    def relation(self, name: str) -> Relation:
        """Return the many-to-many relation called ``name``; KeyError if none."""
        for candidate in self.relations:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


class Schema(Plain):
    """Every described table of an application, checked against each other."""

    __slots__ = ("tables", "plans")
    fields = ("tables",)

    def __init__(self, tables: Mapping[str, Table]) -> None:
        self.tables = tables
        # PERF: what the records work out once per table and dialect
        # (statements, converters); a schema read again, as development
        # does, starts empty. Not a field: equality and repr leave it out.
        self.plans: dict[tuple[str, str], Any] = {}

    def table(self, name: str) -> Table:
        """Return the table called ``name``; KeyError when it is not described."""
        return self.tables[name]

    def dependency_order(self) -> list[Table]:
        """Return the tables so that each comes after the tables it references."""
        ordered: list[Table] = []
        seen: set[str] = set()
        for name in sorted(self.tables):
            self._visit(name, seen, set(), ordered)
        return ordered

    def _visit(self, name: str, seen: set, path: set, ordered: list) -> None:
        if name in seen or name in path:
            return
        path.add(name)
        table = self.tables[name]
        for target in sorted(_referenced_tables(table)):
            if target != name:
                self._visit(target, seen, path, ordered)
        seen.add(name)
        ordered.append(table)


def _referenced_tables(table: Table) -> set[str]:
    return {f.references.table for f in table.fields if f.references}


def parse_schema(descriptions: Mapping[str, tuple[Mapping[str, Any], str]]) -> Schema:
    """Return the schema of {table name: (description data, file)}, checked."""
    tables = {
        name: parse_table(name, data, origin=origin)
        for name, (data, origin) in sorted(descriptions.items())
    }
    for table in tables.values():
        _check_references(table, tables)
    for name, table in tables.items():
        relations = tuple(_resolve_link(table, r, tables) for r in table.relations)
        tables[name] = replace(table, relations=relations)
    return Schema(tables)


def load_schema(finder: Any, configuration: Any) -> Schema:
    """Read every ``schema/*`` description the layers hold, into a Schema.

    ``configuration`` is a fw.config.Configuration over the ``schema``
    folder, so descriptions merge over the layers like other configuration.
    """
    names = {
        entry.rsplit(".", 1)[0]
        for entry, is_dir in finder.entries("schema").items()
        if not is_dir and "." in entry
    }
    descriptions = {}
    for name in names:
        found = finder.find(f"schema/{name}", exts=configuration.exts)
        if found is not None:
            descriptions[name] = (configuration.load(name), str(found.path))
    return parse_schema(descriptions)


def _resolve_link(table: Table, relation: Relation, tables: Mapping) -> Relation:
    link = tables[relation.through]
    source = relation.source or _link_field(link, table.name, relation)
    target = relation.target or _link_field(link, relation.to, relation)
    return replace(relation, source=source, target=target)


def _link_field(link: Table, pointing_at: str, relation: Relation) -> str:
    found = [
        f.name
        for f in link.fields
        if f.references and f.references.table == pointing_at
    ]
    if len(found) != 1:
        raise ConfigError(
            f"The relation {relation.name} cannot tell which field of {link.name} "
            f"points at {pointing_at}; name it with 'source' or 'target'.",
            origin=link.origin or None,
        )
    return found[0]


def parse_table(name: str, data: Mapping[str, Any], *, origin: str = "") -> Table:
    """Return the Table described by ``data``; ConfigError saying what to fix."""
    check = _Checker(origin)
    check.identifier(name, "The table name (the file's name)")
    check.keys(data, _TABLE_KEYS, f"table {name}")
    fields = tuple(check.fields(data.get("fields")))
    names = [f.name for f in fields]
    primary_key = check.primary_key(data, fields)
    return Table(
        name=name,
        fields=fields,
        primary_key=primary_key,
        indexes=tuple(check.indexes(name, data.get("indexes", {}), names)),
        relations=tuple(check.relations(data.get("relations", {}))),
        terms=check.terms(data.get("terms", {})),
        hooks=check.hooks(data.get("hooks", {})),
        computed=check.computed(data.get("computed", {}), names),
        previous_name=check.previous_name(data),
        seed=check.seed(data.get("seed", []), names),
        description=data.get("description"),
        origin=origin,
    )


class _Checker:
    """Check one description; every complaint names the file and what to fix."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, message: str) -> ConfigError:
        return ConfigError(message, origin=self.origin or None)

    def identifier(self, name: Any, what: str) -> str:
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            raise self.fail(
                f"{what} {name!r} is not a valid name: use lowercase letters, "
                "digits and underscores, starting with a letter or underscore, "
                "at most 63 characters."
            )
        return name

    def previous_name(self, spec: Mapping) -> str | None:
        name = spec.get("previous_name")
        return None if name is None else self.identifier(name, "previous_name")

    def keys(self, data: Any, allowed: set[str], where: str) -> None:
        if not isinstance(data, Mapping):
            raise self.fail(f"The description of {where} must be a table of keys.")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                f"The description of {where} has the unknown key(s) "
                f"{', '.join(unknown)}; the keys are {', '.join(sorted(allowed))}."
            )

    def fields(self, data: Any) -> Iterable[Field]:
        if not isinstance(data, Mapping) or not data:
            raise self.fail("A table needs 'fields': a table of field descriptions.")
        for name, spec in data.items():
            yield self.field(name, spec)

    def field(self, name: str, spec: Any) -> Field:
        self.identifier(name, "The field name")
        if isinstance(spec, str):
            spec = {"type": spec}
        self.keys(spec, _FIELD_KEYS, f"field {name}")
        kind = spec.get("type")
        if kind not in FIELD_TYPES:
            raise self.fail(
                f"The field {name} has the type {kind!r}; the types are "
                f"{', '.join(FIELD_TYPES)}."
            )
        return Field(
            name=name,
            type=kind,
            length=self.length(name, kind, spec),
            precision=self.positive(spec, "precision", name, kind == "decimal"),
            scale=self.scale(name, kind, spec),
            required=self.flag(spec, "required", name)
            or self.flag(spec, "primary", name),
            default=spec.get("default"),
            unique=self.flag(spec, "unique", name),
            auto=self.auto(name, kind, spec),
            previous_name=self.previous_name(spec),
            references=self.reference(name, spec),
            description=spec.get("description"),
            label=spec.get("label"),
            validation=dict(spec.get("validation") or {}),
            folder=spec.get("folder"),
        )

    def flag(self, spec: Mapping, key: str, name: str) -> bool:
        value = spec.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"The field {name}'s {key!r} must be true or false.")
        return value

    def positive(self, spec: Mapping, key: str, name: str, needed: bool) -> int | None:
        value = spec.get(key)
        if value is None and needed:
            raise self.fail(f"The decimal field {name} needs a 'precision' (digits).")
        if value is not None and (not isinstance(value, int) or value < 1):
            raise self.fail(f"The field {name}'s {key!r} must be a positive integer.")
        return value

    def length(self, name: str, kind: str, spec: Mapping) -> int | None:
        if kind == "file":
            return spec.get("length", FILE_LENGTH)
        if "length" in spec and kind != "text":
            raise self.fail(f"Only text fields have a length; {name} is {kind}.")
        return self.positive(spec, "length", name, False)

    def scale(self, name: str, kind: str, spec: Mapping) -> int | None:
        scale = spec.get("scale", 0 if kind == "decimal" else None)
        if scale is None:
            return None
        precision = spec.get("precision") or 0
        if not isinstance(scale, int) or not 0 <= scale <= precision:
            raise self.fail(
                f"The field {name}'s scale must be a whole number from 0 to its "
                "precision."
            )
        return scale

    def auto(self, name: str, kind: str, spec: Mapping) -> bool:
        auto = self.flag(spec, "auto", name)
        if auto and (kind != "integer" or not spec.get("primary")):
            raise self.fail(
                f"Only an integer primary key can be auto-numbered; {name} is not one."
            )
        return auto

    def reference(self, name: str, spec: Mapping) -> Reference | None:
        target = spec.get("references")
        if target is None:
            return None
        if not isinstance(target, str) or target.count(".") != 1:
            raise self.fail(
                f"The field {name} references {target!r}; write 'table.field'."
            )
        table, column = target.split(".")
        on_delete = spec.get("on_delete", "restrict")
        if on_delete not in ON_DELETE:
            raise self.fail(
                f"The field {name}'s on_delete is {on_delete!r}; use one of "
                f"{', '.join(ON_DELETE)}."
            )
        if on_delete == "set null" and (spec.get("required") or spec.get("primary")):
            raise self.fail(f"The field {name} is required, so it cannot be set null.")
        return Reference(
            self.identifier(table, "The referenced table"),
            self.identifier(column, "The referenced field"),
            on_delete,
        )

    def primary_key(self, data: Mapping, fields: tuple[Field, ...]) -> tuple[str, ...]:
        marked = tuple(
            f.name for f in fields if f.required and self._is_primary(data, f)
        )
        declared = data.get("primary_key")
        if declared is not None and marked:
            raise self.fail(
                "Give the primary key once: either 'primary' on a field or "
                "'primary_key' on the table."
            )
        keys = tuple([declared] if isinstance(declared, str) else declared or marked)
        if not keys:
            raise self.fail(
                "The table has no primary key: mark a field 'primary = true' or "
                "list the fields in 'primary_key'."
            )
        names = {f.name for f in fields}
        for key in keys:
            if key not in names:
                raise self.fail(f"The primary key names {key!r}, which is no field.")
        return keys

    @staticmethod
    def _is_primary(data: Mapping, candidate: Field) -> bool:
        spec = data["fields"][candidate.name]
        return isinstance(spec, Mapping) and spec.get("primary") is True

    def indexes(self, table: str, data: Any, names: list[str]) -> Iterable[Index]:
        if not isinstance(data, Mapping):
            raise self.fail("'indexes' must be a table: name = {fields, unique}.")
        for name, spec in data.items():
            self.identifier(name, "The index name")
            if isinstance(spec, (list, tuple)):
                spec = {"fields": spec}
            columns = tuple(spec.get("fields") or ())
            missing = [column for column in columns if column not in names]
            if not columns or missing:
                raise self.fail(
                    f"The index {name} must list fields of the table; "
                    f"{', '.join(missing) or 'none'} is not one."
                )
            yield Index(name, columns, bool(spec.get("unique", False)))

    def relations(self, data: Any) -> Iterable[Relation]:
        if not isinstance(data, Mapping):
            raise self.fail("'relations' must be a table: name = {through, to}.")
        for name, spec in data.items():
            self.identifier(name, "The relation name")
            if not isinstance(spec, Mapping) or not spec.get("through") or not spec.get(
                "to"
            ):
                raise self.fail(
                    f"The relation {name} needs 'through' (the link table) and "
                    "'to' (the related table)."
                )
            yield Relation(
                name,
                self.identifier(spec["through"], "The link table"),
                self.identifier(spec["to"], "The related table"),
                self.identifier(spec.get("source", ""), "The link's source field")
                if spec.get("source")
                else "",
                self.identifier(spec.get("target", ""), "The link's target field")
                if spec.get("target")
                else "",
            )

    def terms(self, data: Any) -> dict[str, str]:
        if not isinstance(data, Mapping) or set(data) - set(TERMS):
            raise self.fail("'terms' may hold zero, one and many (message keys).")
        return {key: str(value) for key, value in data.items()}

    def hooks(self, data: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(data, Mapping):
            raise self.fail("'hooks' must be a table: event = service name(s).")
        hooks = {}
        for event, names in data.items():
            if event not in HOOK_EVENTS:
                raise self.fail(
                    f"The hook event {event!r} is unknown; the events are "
                    f"{', '.join(HOOK_EVENTS)}."
                )
            names = [names] if isinstance(names, str) else list(names)
            hooks[event] = tuple(self.identifier(n, "The hook service") for n in names)
        return hooks

    def computed(self, data: Any, names: list[str]) -> dict[str, str]:
        if not isinstance(data, Mapping):
            raise self.fail("'computed' must be a table: field = service name.")
        for name, service in data.items():
            self.identifier(name, "The computed field")
            if name in names:
                raise self.fail(f"The computed field {name} is also a stored field.")
            self.identifier(service, "The computed field's service")
        return dict(data)

    def seed(self, data: Any, names: list[str]) -> tuple[Mapping[str, Any], ...]:
        if not isinstance(data, (list, tuple)):
            raise self.fail("'seed' must be a list of rows (tables of field values).")
        for row in data:
            if not isinstance(row, Mapping):
                raise self.fail("Each seed row must be a table of field values.")
            unknown = sorted(set(row) - set(names))
            if unknown:
                raise self.fail(
                    f"A seed row names {', '.join(unknown)}, which is not a field."
                )
        return tuple(data)


def _check_references(table: Table, tables: Mapping[str, Table]) -> None:
    for column in table.fields:
        target = column.references
        if target is None:
            continue
        other = tables.get(target.table)
        if other is None or not other.has_field(target.field):
            raise ConfigError(
                f"The field {table.name}.{column.name} references "
                f"{target.table}.{target.field}, which is not described; describe "
                f"it in schema/{target.table}.* or fix the reference.",
                origin=table.origin or None,
            )
    for relation in table.relations:
        _check_relation(table, relation, tables)


def _check_relation(table: Table, relation: Relation, tables: Mapping) -> None:
    link = tables.get(relation.through)
    if link is None or relation.to not in tables:
        raise ConfigError(
            f"The relation {table.name}.{relation.name} goes through "
            f"{relation.through} to {relation.to}; both must be described tables.",
            origin=table.origin or None,
        )
    for column in (relation.source, relation.target):
        if column and not link.has_field(column):
            raise ConfigError(
                f"The relation {table.name}.{relation.name} names the link field "
                f"{column}, which {relation.through} does not have.",
                origin=table.origin or None,
            )
