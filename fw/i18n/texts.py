"""Find the texts of a language through the layers, and fill them in by name.

Texts live in ``languages/<lang>/messages.<ext>`` of any layer, in any
format fw's configuration reads; the most specific layer wins, and a file
that says ``extends`` is merged over the layers below. A key is looked up
as written, then as a dotted path into nested maps ("cart.count" is
``{"cart": {"count": ...}}``).

A text is a template: ``{name}`` is the value called ``name`` of the values
given, a Mapping or any object with attributes; ``{{`` and ``}}`` are
literal braces. A placeholder is only ever a name, so a text cannot reach
into attributes, items or positions, whoever wrote it. A plural text is a
map of forms, chosen by fw.i18n.plurals.form_key.

Environment variables are never put into texts: ``${`` must be written
``$${`` (see docs/configuration.md).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..config import Configuration
from ..exceptions import ConfigError
from .plurals import CATEGORIES, Number, base_language, decimal_text, form_key

if TYPE_CHECKING:
    from ..finder import Finder

logger = logging.getLogger(__name__)

TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*", re.ASCII)

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_EXACT = re.compile(r"=-?[0-9]+", re.ASCII)

Parts = tuple[tuple[str, str | None], ...]


class _Refused(Exception):
    """A template or its values cannot be filled; the text says why."""


@dataclass(frozen=True)
class _Found:
    lang: str
    key: str
    path: tuple[str, ...]
    text: str | dict[str, Any]
    configuration: Configuration


class Texts:
    """Give the texts of each language, falling back to the default language.

    ``text("es", "cart.empty")`` returns the Spanish text; a key Spanish
    lacks comes from ``es``'s base language for a tag like ``es-MX``, then
    from the ``default`` language, and else is the key itself. Each missing
    key is logged once. ``name`` is the file read in each language folder.
    """

    def __init__(
        self,
        finder: Finder,
        *,
        default: str = "en",
        name: str = "messages",
        watch: bool = True,
    ) -> None:
        self.finder = finder
        self.default = check_language(default)
        self.name = name
        self.watch = watch
        self._configurations: dict[str, Configuration] = {}
        self._logged: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def text(self, lang: str, key: str, values: Any = None) -> str:
        """Return the text ``key`` in ``lang``, filled in from ``values`` by name."""
        found = self._find(lang, key)
        if found is None:
            return key

        if not isinstance(found.text, str):
            raise self._error(
                found,
                "is a plural text (a map of forms). Use plural() with a count, "
                "or make the text a string.",
            )
        return self._fill(found, found.path, found.text, _resolver(values))

    def plural(self, lang: str, key: str, count: Number, values: Any = None) -> str:
        """Return the form of text ``key`` that fits ``count`` in ``lang``, filled in.

        ``{count}`` in the text is ``count``, written as plain digits; the
        other placeholders come from ``values``. A text that is a plain
        string serves every count.
        """
        found = self._find(lang, key)
        if found is None:
            return key

        resolve = _counted(values, count)
        if isinstance(found.text, str):
            return self._fill(found, found.path, found.text, resolve)

        form = self._form(found, count)
        return self._fill(found, found.path + (form,), found.text[form], resolve)

    def catalog(self, lang: str) -> dict[str, Any]:
        """Return every text ``lang`` can show, its fallbacks' beneath its own.

        This is what the browser needs to show the same messages; a plural
        text is taken whole from one language, never mixed with another's.
        """
        merged: dict[str, Any] = {}
        for each in reversed(self._chain(check_language(lang))):
            merged = _overlay(merged, self._configuration(each).load(self.name))
        return merged

    def check(self, lang: str) -> None:
        """Read a language's files (cached); ConfigError when one is broken."""
        for each in self._chain(check_language(lang)):
            self._configuration(each).shared(self.name)

    def languages(self) -> list[str]:
        """Return the languages that have a folder in languages/ of any layer."""
        entries = self.finder.entries("languages")
        names = (name for name, is_dir in entries.items() if is_dir)
        return sorted(name for name in names if TAG.fullmatch(name))

    def clear(self) -> None:
        """Forget the texts read, so the next lookups read the files again."""
        with self._lock:
            configurations = list(self._configurations.values())
        for configuration in configurations:
            configuration.clear()

    def _find(self, lang: str, key: str) -> _Found | None:
        for each in self._chain(check_language(lang)):
            configuration = self._configuration(each)
            found = _lookup(configuration.shared(self.name), key)
            if found is not None:
                self._note_fallback(lang, each, key)
                text = self._checked(each, key, found)
                return _Found(each, key, found[0], text, configuration)

        self._log_once(
            logging.WARNING,
            (lang, key, ""),
            "The text %r is missing in language %r and in the default language "
            "%r; the key is shown instead.",
            key,
            lang,
            self.default,
        )
        return None

    def _chain(self, lang: str) -> list[str]:
        chain = [lang, base_language(lang), self.default, base_language(self.default)]
        return list(dict.fromkeys(chain))

    def _configuration(self, lang: str) -> Configuration:
        with self._lock:
            configuration = self._configurations.get(lang)
            if configuration is None:
                folder = f"languages/{lang}"
                configuration = Configuration(
                    self.finder,
                    folder=folder,
                    environ={},
                    watch=self.watch,
                    merge_all=True,
                )
                self._configurations[lang] = configuration
            return configuration

    def _checked(self, lang: str, key: str, found: tuple[tuple[str, ...], Any]) -> Any:
        path, text = found
        if isinstance(text, str) or is_plural(text):
            return text

        what = "a group of texts" if isinstance(text, dict) else type(text).__name__
        raise ConfigError(
            f"The text {key!r} in language {lang!r} is {what}, not a text. Make it "
            "a string, or a map of plural forms (zero, one, two, few, many, other, "
            "=0 ...).",
            **self._where(self._configuration(lang), path),
        )

    def _form(self, found: _Found, count: Number) -> str:
        form = form_key(found.lang, count, found.text)
        if form is None:
            raise self._error(
                found,
                f"has no form for the count {decimal_text(count)} and no 'other' "
                "form. Add an 'other' form: it serves every category a text "
                "leaves out.",
            )
        return form

    def _fill(
        self,
        found: _Found,
        path: tuple[str, ...],
        template: Any,
        resolve: Callable[[str], Any],
    ) -> str:
        try:
            return _fill(template, resolve)
        except _Refused as refused:
            raise self._error(found, str(refused), path=path) from None

    def _error(
        self, found: _Found, problem: str, *, path: tuple[str, ...] | None = None
    ) -> ConfigError:
        where = self._where(found.configuration, path or found.path)
        return ConfigError(
            f"The text {found.key!r} in language {found.lang!r} {problem}", **where
        )

    def _where(
        self, configuration: Configuration, path: tuple[str, ...]
    ) -> dict[str, Any]:
        for origin in configuration.explain(self.name):
            if origin.key[: len(path)] == path:
                return {"origin": str(origin.path), "line": origin.line}
        return {"origin": f"{configuration.folder}/{self.name}"}

    def _note_fallback(self, lang: str, used: str, key: str) -> None:
        if used == lang:
            return
        self._log_once(
            logging.INFO,
            (lang, key, used),
            "The text %r is missing in language %r; the text of %r is shown.",
            key,
            lang,
            used,
        )

    def _log_once(self, level: int, seen: tuple[str, str, str], *args: Any) -> None:
        with self._lock:
            if seen in self._logged:
                return
            self._logged.add(seen)
        logger.log(level, *args)


def check_language(lang: str) -> str:
    """Return ``lang`` when it is a language tag such as en or es-MX, else raise."""
    if not isinstance(lang, str) or TAG.fullmatch(lang) is None:
        raise ValueError(
            f"The language {lang!r} is not a language tag such as 'en' or 'es-MX'. "
            "Pass a tag that fw.i18n.choose returned, or the default language."
        )
    return lang


def is_plural(text: Any) -> bool:
    """Say whether ``text`` is a map of plural forms (one, other, =0 ...)."""
    if not isinstance(text, dict) or not text:
        return False
    return all(key in CATEGORIES or _EXACT.fullmatch(key) for key in text)


def fill(template: str, values: Any = None) -> str:
    """Return ``template`` with each ``{name}`` replaced by that value of ``values``.

    ``values`` is a Mapping, or any object whose attributes are the values.
    A placeholder that is not a plain name, or names a missing value, raises
    ConfigError.
    """
    try:
        return _fill(template, _resolver(values))
    except _Refused as refused:
        raise ConfigError(f"The text {template!r} {refused}") from None


def _fill(template: Any, resolve: Callable[[str], Any]) -> str:
    if not isinstance(template, str):
        raise _Refused(
            f"has a form that is {type(template).__name__}, not a string. "
            "Write each plural form as a string."
        )
    pieces = []
    for literal, name in _parse(template):
        pieces.append(literal if name is None else _show(resolve(name)))
    return "".join(pieces)


@functools.lru_cache(maxsize=1024)
def _parse(template: str) -> Parts:
    """Split a template into (literal, None) and ("", name) parts."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for match in _TOKEN.finditer(template):
        parts.append((template[position : match.start()], None))
        parts.append(_token(match))
        position = match.end()
    parts.append((template[position:], None))
    return tuple(part for part in parts if part != ("", None))


def _token(match: re.Match[str]) -> tuple[str, str | None]:
    token, inner = match[0], match[1]
    if token in ("{{", "}}"):
        return token[0], None
    if inner is None:
        raise _Refused(
            f"has an unmatched {token!r} at character {match.start() + 1}. "
            "Write {{ or }} for a literal brace."
        )
    if _NAME.fullmatch(inner) is None:
        raise _Refused(
            f"holds the placeholder {token}, which is not a plain name. A "
            "placeholder is a name such as {count}: no attributes, indexes, "
            "positions or formats."
        )
    return "", inner


def _resolver(values: Any) -> Callable[[str], Any]:
    def resolve(name: str) -> Any:
        if isinstance(values, Mapping):
            if name in values:
                return values[name]
        elif values is not None and hasattr(values, name):
            return getattr(values, name)
        raise _Refused(
            f"names the placeholder {{{name}}}, but the values given have no "
            f"{name!r}. Give a value called {name!r}, or change the text."
        )

    return resolve


def _counted(values: Any, count: Number) -> Callable[[str], Any]:
    resolve = _resolver(values)
    shown = decimal_text(count)
    return lambda name: shown if name == "count" else resolve(name)


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            return decimal_text(value)
        except ValueError:
            return str(value)
    return str(value)


def _lookup(data: dict[str, Any], key: str) -> tuple[tuple[str, ...], Any] | None:
    if key in data:
        return (key,), data[key]

    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return tuple(key.split(".")), node


def _overlay(base: Any, upper: Any) -> Any:
    """Return ``upper`` over ``base``; plural texts replace, never mix."""
    mergeable = isinstance(base, dict) and isinstance(upper, dict)
    if not mergeable or is_plural(base) or is_plural(upper):
        return upper

    merged = dict(base)
    for key, value in upper.items():
        merged[key] = _overlay(base[key], value) if key in base else value
    return merged
