"""Compare the descriptions with the live schema and plan the SQL between them.

Planning is a plain function of its inputs (the schema, the live tables
read back, the dialect), so it can be tested and shown without running
anything. Renames happen only where a description names its
``previous_name``; nothing is guessed. Changes that lose data (dropping a
table, column or index, narrowing a type, an incompatible type change)
are refused unless the caller allows them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from ...plain import replace
from ..dialects.base import Dialect, LiveColumn, LiveTable
from ..schema import Field, Schema, Table


@dataclass(frozen=True)
class Step:
    """One change: a sentence for people, the statements for the engine.

    ``kind`` is create (a new table and what belongs to it), rename, add,
    alter, index, reference, rebuild, drop-column or drop-table; ``table``
    names the table it changes; ``data_loss`` says it can lose stored data.
    """

    kind: str
    description: str
    statements: tuple[str, ...]
    data_loss: bool = False
    table: str = ""


@dataclass
class Plan:
    """The steps from the live schema to the described one.

    ``refused`` holds the data-losing steps left out because they were not
    allowed, and ``problems`` the changes that cannot be made as described;
    a plan with either is never applied.
    """

    engine: str
    steps: list[Step] = field(default_factory=list)
    refused: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.steps or self.refused or self.problems)

    def sql(self) -> str:
        """Return the SQL of the steps, each under a comment, for --dry-run."""
        blocks = [
            f"-- {step.description}\n" + "".join(f"{s};\n" for s in step.statements)
            for step in self.steps
        ]
        return "\n".join(blocks)

    def describe(self) -> str:
        """Return the differences as lines of text, for ``db status``."""
        if not self:
            return "The database matches the descriptions.\n"
        lines = [f"  {step.description}" for step in self.steps]
        lines += [f"  refused (loses data): {s.description}" for s in self.refused]
        lines += [f"  cannot: {problem}" for problem in self.problems]
        return "\n".join(lines) + "\n"


def plan(
    schema: Schema,
    live: Mapping[str, LiveTable],
    dialect: Dialect,
    *,
    allow_data_loss: bool = False,
    populated: Collection[str] = (),
) -> Plan:
    """Return the Plan that brings ``live`` to ``schema`` on ``dialect``'s engine.

    ``populated`` names the live tables that hold rows: a new required
    field without a default cannot be added to them.
    """
    planner = _Planner(schema, dict(live), dialect, populated)
    planner.run()
    result = Plan(dialect.name, problems=planner.problems)
    for step in planner.steps:
        keep = allow_data_loss or not step.data_loss
        (result.steps if keep else result.refused).append(step)
    return result


class _Planner:
    """Walk the differences in a safe order and collect the steps."""

    def __init__(self, schema: Schema, live: dict, dialect: Dialect, populated) -> None:
        self.schema = schema
        self.live: dict[str, LiveTable] = live
        self.dialect = dialect
        self.populated = set(populated)
        self.steps: list[Step] = []
        self.problems: list[str] = []

    def add(
        self, kind: str, description: str, statements: Iterable[str], **flags
    ) -> None:
        self.steps.append(Step(kind, description, tuple(statements), **flags))

    def run(self) -> None:
        self.check_index_names()
        self.rename_tables()
        for table in self.schema.tables.values():
            if table.name in self.live:
                self.rename_columns(table)
        existing = [t for t in self.schema.dependency_order() if t.name in self.live]
        self.create_tables()
        for table in existing:
            _TableChanges(self, table, self.live[table.name]).plan()
        self.drop_tables()

    def check_index_names(self) -> None:
        owners: dict[str, str] = {}
        for table in self.schema.tables.values():
            for index in table.indexes:
                other = owners.setdefault(index.name, table.name)
                if other != table.name:
                    self.problems.append(
                        f"The index name {index.name} is used by {other} and "
                        f"{table.name}; index names must differ across tables, "
                        "as PostgreSQL and SQLite require: rename one."
                    )

    def rename_tables(self) -> None:
        for table in self.schema.tables.values():
            old = table.previous_name
            if table.name in self.live or old not in self.live:
                continue
            if old in self.schema.tables:
                continue
            self.add(
                "rename",
                f"Rename table {old} to {table.name}",
                [self.dialect.rename_table(old, table.name)],
            )
            self.live[table.name] = replace(self.live.pop(old), name=table.name)
            self._follow_references(old, None, table.name, None)

    def rename_columns(self, table: Table) -> None:
        for column in table.fields:
            old = column.previous_name
            live = self.live[table.name]
            if live.column(column.name) or not old or not live.column(old):
                continue
            if table.has_field(old):
                continue
            self.add(
                "rename",
                f"Rename column {table.name}.{old} to {column.name}",
                [self.dialect.rename_column(table.name, old, column.name)],
            )
            self.live[table.name] = _renamed_column(live, old, column.name)
            self._follow_references(table.name, old, table.name, column.name)

    def _follow_references(self, table, column, new_table, new_column) -> None:
        """Point live references at a renamed table or column, as engines do."""
        for name, live in self.live.items():
            references = {
                source: _moved(target, table, column, new_table, new_column)
                for source, target in live.references.items()
            }
            self.live[name] = replace(live, references=references)

    def create_tables(self) -> None:
        created = set(self.live)
        later: list[tuple[Table, Field]] = []
        for table in self.schema.dependency_order():
            if table.name in self.live:
                continue
            deferred = self._deferred(table, created)
            later.extend((table, table.field(name)) for name in deferred)
            statements = self.dialect.create_table(table, deferred=deferred)
            statements += [self.dialect.create_index(table, i) for i in table.indexes]
            words = f"Create table {table.name}"
            self.add("create", words, statements, table=table.name)
            created.add(table.name)
        for table, column in later:
            self.add(
                "create",
                f"Add the reference {table.name}.{column.name} -> "
                f"{column.references.table}",
                self.dialect.add_reference(table, column),
            )

    def _deferred(self, table: Table, created: set[str]) -> list[str]:
        if not self.dialect.can_alter:
            return []
        return [
            c.name
            for c in table.fields
            if c.references and c.references.table not in created | {table.name}
        ]

    def drop_tables(self) -> None:
        gone = [name for name in self.live if name not in self.schema.tables]
        for name in _children_first(gone, self.live):
            self.add(
                "drop-table",
                f"Drop table {name}, which no description names",
                [self.dialect.drop_table(name)],
                data_loss=True,
            )


class _TableChanges:
    """The differences of one existing table, turned into steps."""

    def __init__(self, planner: _Planner, table: Table, live: LiveTable) -> None:
        self.planner = planner
        self.dialect = planner.dialect
        self.table = table
        self.live = live
        self.wanted = self.dialect.expected(table)

    def plan(self) -> None:
        self.check_new_required()
        if self.dialect.can_alter:
            self.plan_alters()
        else:
            self.plan_rebuild()

    def added(self) -> list[Field]:
        return [c for c in self.table.fields if self.live.column(c.name) is None]

    def dropped(self) -> list[LiveColumn]:
        return [c for c in self.live.columns if not self.table.has_field(c.name)]

    def changed(self) -> list[tuple[Field, LiveColumn, str, bool]]:
        """Return (field, live column, what changes, loses data) per changed field."""
        found = []
        for column in self.table.fields:
            live = self.live.column(column.name)
            if live is None:
                continue
            wanted = self.wanted.column(column.name)
            words, loses = _column_change(wanted, live)
            if words:
                found.append((column, live, words, loses))
        return found

    def check_new_required(self) -> None:
        if self.table.name not in self.planner.populated:
            return
        for column in self.added():
            if column.required and column.default is None and not column.auto:
                self.planner.problems.append(
                    f"The new field {self.table.name}.{column.name} is required and "
                    f"has no default, but {self.table.name} holds rows: give it a "
                    f"default in {self.table.origin or 'its description'}, or add "
                    "it as not required first."
                )

    def index_changes(self) -> tuple[list, list]:
        wanted = {index.name: index for index in self.table.indexes}
        live = {index.name: index for index in self.live.indexes}
        drops = [i for name, i in live.items() if wanted.get(name) != i]
        creates = [i for name, i in wanted.items() if live.get(name) != i]
        return drops, creates

    def reference_changes(self) -> tuple[list[str], list[Field]]:
        wanted = self.wanted.references
        live = self.live.references
        drops = [c for c, target in live.items() if wanted.get(c) != target]
        adds = [
            self.table.field(c)
            for c, target in wanted.items()
            if live.get(c) != target and self.live.column(c) is not None
        ]
        return drops, adds

    def plan_alters(self) -> None:
        name, planner, dialect = self.table.name, self.planner, self.dialect
        index_drops, index_creates = self.index_changes()
        reference_drops, reference_adds = self.reference_changes()
        for column in reference_drops:
            constraint = self.live.constraints.get(("reference", column), "")
            planner.add(
                "reference",
                f"Drop the reference of {name}.{column}",
                dialect.drop_constraint(name, constraint, "reference"),
            )
        for index in index_drops:
            self.drop_index(index)
        for column, live, words, loses in self.changed():
            planner.add(
                "alter",
                f"Change {name}.{column.name}: {words}",
                dialect.alter_column(self.table, column, live),
                data_loss=loses,
            )
        self.plan_uniques()
        for column in self.added():
            planner.add(
                "add",
                f"Add column {name}.{column.name}",
                dialect.add_column(self.table, column),
            )
        for column in self.dropped():
            planner.add(
                "drop-column",
                f"Drop column {name}.{column.name}, which no description names",
                dialect.drop_column(name, column.name),
                data_loss=True,
            )
        if self.wanted.primary_key != self.live.primary_key:
            planner.add(
                "alter",
                f"Make ({', '.join(self.table.primary_key)}) the primary key of {name}",
                dialect.set_primary_key(self.table, self.live),
            )
        for column in reference_adds:
            planner.add(
                "reference",
                f"Add the reference {name}.{column.name} -> {column.references.table}",
                dialect.add_reference(self.table, column),
            )
        for index in index_creates:
            planner.add(
                "index",
                f"Create index {index.name} on {name}",
                [dialect.create_index(self.table, index)],
            )

    def drop_index(self, index) -> None:
        kept = any(i.name == index.name for i in self.table.indexes)
        self.planner.add(
            "index",
            f"Drop index {index.name} of {self.table.name}"
            + ("" if kept else ", which the description does not name"),
            [self.dialect.drop_index(self.table.name, index.name)],
            data_loss=not kept,
        )

    def plan_uniques(self) -> None:
        name = self.table.name
        for wanted in self.wanted.columns:
            live = self.live.column(wanted.name)
            if live is None or live.unique == wanted.unique:
                continue
            if wanted.unique:
                statements = self.dialect.add_unique(name, wanted.name)
                words = f"Make {name}.{wanted.name} unique"
            else:
                constraint = self.live.constraints.get(("unique", wanted.name), "")
                statements = self.dialect.drop_constraint(name, constraint, "unique")
                words = f"Let {name}.{wanted.name} repeat (no longer unique)"
            self.planner.add("alter", words, statements)

    def plan_rebuild(self) -> None:
        """Plan SQLite's changes: simple ones by ALTER, the rest by a rebuild."""
        reasons = self.rebuild_reasons()
        index_drops, index_creates = self.index_changes()
        if not reasons:
            for index in index_drops:
                self.drop_index(index)
            for column in self.added():
                self.planner.add(
                    "add",
                    f"Add column {self.table.name}.{column.name}",
                    self.dialect.add_column(self.table, column),
                )
            for index in index_creates:
                self.planner.add(
                    "index",
                    f"Create index {index.name} on {self.table.name}",
                    [self.dialect.create_index(self.table, index)],
                )
            return
        self.rebuild(reasons, index_drops)

    def rebuild_reasons(self) -> list[tuple[str, bool]]:
        name = self.table.name
        reasons = [(f"change {name}.{c.name}: {words}", loses)
                   for c, _, words, loses in self.changed()]
        reasons += [(f"add column {name}.{c.name}", False) for c in self.added()]
        reasons += [(f"drop column {name}.{c.name}", True) for c in self.dropped()]
        drops, adds = self.reference_changes()
        reasons += [(f"drop the reference of {name}.{c}", False) for c in drops]
        reasons += [(f"add the reference of {name}.{c.name}", False) for c in adds]
        for wanted in self.wanted.columns:
            live = self.live.column(wanted.name)
            if live is not None and live.unique != wanted.unique:
                state = "unique" if wanted.unique else "no longer unique"
                reasons.append((f"make {name}.{wanted.name} {state}", False))
        if self.wanted.primary_key != self.live.primary_key:
            reasons.append((f"a new primary key for {name}", False))
        if len(reasons) == len(self.added()) and all(
            self.dialect.can_add(self.table, c) for c in self.added()
        ):
            return []
        return reasons

    def rebuild(self, reasons: list[tuple[str, bool]], index_drops: list) -> None:
        described = {index.name for index in self.table.indexes}
        for index in index_drops:
            if index.name not in described:
                self.drop_index(index)
        words = "; ".join(reason for reason, _ in reasons)
        self.planner.add(
            "rebuild",
            f"Rebuild table {self.table.name}: {words}",
            self.dialect.rebuild(self.table, self.live, self.table.indexes),
            data_loss=any(loses for _, loses in reasons),
        )


def _column_change(wanted: LiveColumn, live: LiveColumn) -> tuple[str, bool]:
    """Say in words what changes in a column, and whether that can lose data."""
    words, loses = [], False
    kind = _type_change(wanted, live)
    if kind != "same":
        words.append(f"{kind} {_shape(live)} to {_shape(wanted)}")
        loses = kind != "widen"
    if wanted.auto != live.auto:
        words.append("auto-numbered" if wanted.auto else "no longer auto-numbered")
        loses = True
    if wanted.required != live.required:
        words.append("required" if wanted.required else "not required")
    if wanted.default != live.default:
        words.append(f"default {wanted.default!r} (was {live.default!r})")
    return ", ".join(words), loses


def _type_change(wanted: LiveColumn, live: LiveColumn) -> str:
    if _shape(wanted) == _shape(live):
        return "same"
    if wanted.type == live.type == "text":
        if wanted.length is None:
            return "widen"
        if live.length is None:
            return "narrow"
        return "widen" if wanted.length > live.length else "narrow"
    if wanted.type == "decimal" and live.type in ("decimal", "integer"):
        digits = (live.precision or 10) - (live.scale or 0)
        more_digits = wanted.precision - wanted.scale >= digits
        more_places = wanted.scale >= (live.scale or 0)
        return "widen" if more_digits and more_places else "narrow"
    return "retype"


def _shape(column: LiveColumn) -> str:
    if column.type == "decimal":
        return f"decimal({column.precision},{column.scale})"
    if column.type == "text" and column.length:
        return f"text({column.length})"
    return column.type


def _renamed_column(live: LiveTable, old: str, new: str) -> LiveTable:
    def name(value: str) -> str:
        return new if value == old else value

    return replace(
        live,
        columns=tuple(replace(c, name=name(c.name)) for c in live.columns),
        primary_key=tuple(name(c) for c in live.primary_key),
        indexes=tuple(
            replace(i, fields=tuple(name(f) for f in i.fields)) for i in live.indexes
        ),
        references={name(c): target for c, target in live.references.items()},
        constraints={(k, name(c)): v for (k, c), v in live.constraints.items()},
    )


def _moved(target: tuple, table, column, new_table, new_column) -> tuple:
    target_table, target_column, on_delete = target
    if target_table != table or column not in (None, target_column):
        return target
    return (new_table, new_column or target_column, on_delete)


def _children_first(names: list[str], live: Mapping[str, LiveTable]) -> list[str]:
    """Order tables so that each comes before the tables it references."""
    ordered: list[str] = []

    def visit(name: str, path: set[str]) -> None:
        if name in ordered or name in path:
            return
        for other in names:
            targets = {t for t, _, _ in live[other].references.values()}
            if name in targets and other != name:
                visit(other, path | {name})
        ordered.append(name)

    for name in sorted(names):
        visit(name, set())
    return ordered
