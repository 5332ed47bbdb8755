"""Read the sections of an access list from configuration data, checked.

Every mistake is a ConfigError that names the file, the line when it is
known, the key, and what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ..exceptions import ConfigError, ExpressionError
from ..plain import Plain
from ..expressions import Expression, compile_expression
from ..expressions.parser import parse
from .caching import is_role_only
from .patterns import Pattern, PatternError

KeyPath = tuple[str | int, ...]

#: Where a key of the configuration was written: (file, line or None).
Locate = Callable[[KeyPath], tuple[str, int | None]]

SECTION_KEYS = ("condition", "presenters", "except", "menu")


class Section(Plain):
    """One section: a condition and the presenters it allows when it holds."""

    __slots__ = ("name", "condition", "presenters", "excepted", "menu", "role_only")
    fields = ("name", "condition", "presenters", "excepted", "menu", "role_only")

    def __init__(
        self,
        name: str,
        condition: Expression,
        presenters: tuple[Pattern, ...],
        excepted: tuple[Pattern, ...] = (),
        menu: Mapping[str, Any] | None = None,
        role_only: bool = False,
    ) -> None:
        self.name = name
        self.condition = condition
        self.presenters = presenters
        self.excepted = excepted
        self.menu = {} if menu is None else menu
        self.role_only = role_only

    def covers(self, presenter: str) -> bool | None:
        """Return True if listed, None if listed but excepted, False if not listed."""
        if not any(pattern.matches(presenter) for pattern in self.presenters):
            return False
        if any(pattern.matches(presenter) for pattern in self.excepted):
            return None
        return True


def read_sections(data: Mapping[str, Any], locate: Locate) -> tuple[Section, ...]:
    """Return the sections of access list ``data`` in order; raise ConfigError."""
    _check_top(data, locate)

    sections = data["sections"]
    if not isinstance(sections, Mapping):
        _fail(locate, ("sections",), f"'sections' is {_kind(sections)}, but it must "
              "be a map from section names to sections.")
    return tuple(_section(str(name), sections[name], locate) for name in sections)


def _check_top(data: Mapping[str, Any], locate: Locate) -> None:
    unknown = [key for key in data if key != "sections"]
    if unknown:
        _fail(locate, (unknown[0],), f"The access list has the unknown key "
              f"{unknown[0]!r}; its only key is 'sections', a map of sections.")
    if "sections" not in data:
        _fail(locate, (), "The access list has no 'sections'; add a map of sections, "
              "each with a condition and its presenters.")


def _section(name: str, raw: Any, locate: Locate) -> Section:
    where = ("sections", name)
    if not isinstance(raw, Mapping):
        _fail(locate, where, f"The section {name!r} is {_kind(raw)}, but it must be "
              "a map with 'condition' and 'presenters'.")
    _check_keys(name, raw, locate)

    condition, role_only = _condition(name, raw["condition"], locate)
    return Section(
        name=name,
        condition=condition,
        presenters=_patterns(name, raw, "presenters", locate),
        excepted=_patterns(name, raw, "except", locate),
        menu=_menu(name, raw.get("menu", {}), locate),
        role_only=role_only,
    )


def _check_keys(name: str, raw: Mapping[str, Any], locate: Locate) -> None:
    unknown = [key for key in raw if key not in SECTION_KEYS]
    if unknown:
        _fail(locate, ("sections", name, unknown[0]), f"The section {name!r} has the "
              f"unknown key {unknown[0]!r}; a section has {', '.join(SECTION_KEYS)}.")
    for key in ("condition", "presenters"):
        if key not in raw:
            _fail(locate, ("sections", name), f"The section {name!r} has no {key!r}; "
                  "every section needs a condition and a list of presenters.")


def _condition(name: str, raw: Any, locate: Locate) -> tuple[Expression, bool]:
    where = ("sections", name, "condition")
    if isinstance(raw, bool):
        # NOTE: INI and XML turn the text true into a boolean; take it back.
        raw = "true" if raw else "false"
    if not isinstance(raw, str):
        _fail(locate, where, f"The condition of section {name!r} is {_kind(raw)}, "
              "but it must be an expression, such as \"user and 'admin' in "
              "user.roles\" or \"true\".")

    origin, line = locate(where)
    try:
        expression = compile_expression(raw, origin=origin, line=line or 1)
    except ExpressionError as error:
        raise ConfigError(
            f"The condition of section {name!r} is not a valid expression "
            f"({error.kind}, column {error.column} of the condition): "
            f"{error.message} See docs/expressions.md.",
            origin=origin,
            line=error.line if line else None,
        ) from None
    return expression, is_role_only(parse(raw, origin))


def _patterns(
    name: str, raw: Mapping[str, Any], key: str, locate: Locate
) -> tuple[Pattern, ...]:
    values = raw.get(key, [])
    if not isinstance(values, (list, tuple)):
        _fail(locate, ("sections", name, key), f"{key!r} of section {name!r} is "
              f"{_kind(values)}, but it must be a list of presenter names and "
              "patterns, such as [\"index\", \"staff/*\"].")

    patterns = []
    for index, value in enumerate(values):
        try:
            patterns.append(Pattern.parse(value))
        except PatternError as error:
            _fail(locate, ("sections", name, key, index), str(error))
    return tuple(patterns)


def _menu(name: str, raw: Any, locate: Locate) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        _fail(locate, ("sections", name, "menu"), f"The menu of section {name!r} is "
              f"{_kind(raw)}, but it must be a map: the menu metadata that widgets "
              "read for the section's presenters.")
    return raw


def _fail(locate: Locate, key: KeyPath, message: str) -> NoReturn:
    origin, line = locate(key)
    raise ConfigError(message, origin=origin, line=line)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"the value {value!r}"
