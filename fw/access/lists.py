"""The access list: which presenter a visitor may reach, decided and explained."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import ExpressionError
from ..plain import Plain
from .caching import Unkeyable, cache_key
from .sections import KeyPath, Locate, Section, read_sections

if TYPE_CHECKING:
    from ..config import Configuration

logger = logging.getLogger(__name__)

#: PERF: cached coverages and results are dropped past this many entries.
_MAX_CACHED = 4096

_OPEN = "no access list is configured, so everything is allowed"

#: A section's verdict on one request: (allows, reason).
Verdict = tuple[bool, str]


class Decision(Plain):
    """Whether a presenter may be reached, which section allowed it, and why."""

    __slots__ = ("allowed", "section", "reasons")
    fields = ("allowed", "section", "reasons")

    def __init__(
        self, allowed: bool, section: str | None, reasons: list[str] | None = None
    ) -> None:
        self.allowed = allowed
        self.section = section
        self.reasons = [] if reasons is None else reasons


class AccessList:
    """Decide access to presenters from sections of conditions and patterns.

    Sections are tried in order; the first whose presenters cover the
    presenter and whose condition holds allows it. When none does, the
    presenter is denied. An access list built from no configuration at all
    (``configured`` false) allows everything.
    """

    def __init__(
        self, sections: Sequence[Section], *, origin: str, configured: bool = True
    ) -> None:
        self.sections = tuple(sections)
        self.origin = origin
        self.configured = configured
        # NOTE: counts conditions evaluated, so tests can see cache hits.
        self.evaluations = 0
        self._coverages: dict[str, tuple[bool | None, ...]] = {}
        self._results: dict[tuple, Verdict] = {}
        self._open: dict[str, bool] = {}
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        data: Mapping[str, Any],
        *,
        origin: str,
        lines: Mapping[KeyPath, int] | None = None,
    ) -> AccessList:
        """Return the access list of configuration ``data`` read from ``origin``.

        ``lines`` maps key paths to the line they were written on (as a
        configuration Document holds them), so that errors name the line.
        Empty ``data`` means no access list: everything is allowed.
        """
        return cls._build(data, origin, _locator(origin, lines or {}))

    @classmethod
    def load(cls, configuration: Configuration, name: str = "acl") -> AccessList:
        """Return the access list of configuration ``name`` through the layers."""
        data = configuration.load(name)
        origins = configuration.explain(name) if data else []

        first = str(origins[0].path) if origins else f"config/{name}"
        return cls._build(data, first, _explained(first, origins))

    def decide(self, presenter: str, names: Mapping[str, Any]) -> Decision:
        """Return whether the visitor described by ``names`` may reach ``presenter``.

        ``presenter`` is the resolved presenter name (``staff/index``), never
        the URL. ``names`` maps service names to values, lazily; a KeyError
        from it means no such service exists.
        """
        return self._decide(presenter, names, {})

    def allows_everyone(self, presenter: str) -> bool:
        """Say whether every visitor may reach ``presenter``, whoever asks.

        True when the sections that cover it, up to the one that allows
        it, have conditions that name nothing (``true``): the answer is
        then the same for every request, and is kept.
        """
        if not self.configured:
            return True
        answer = self._open.get(presenter)
        if answer is None:
            answer = self._opens_to_all(presenter)
            _remember(self._open, presenter, answer)
        return answer

    def _opens_to_all(self, presenter: str) -> bool:
        for index, covered in enumerate(self._coverage(presenter)):
            if not covered:
                continue
            if self.sections[index].condition.names_used:
                return False
            if self._judge(index, {})[0]:
                return True
        return False

    def allows(self, presenter: str, names: Mapping[str, Any]) -> bool:
        """Say whether the visitor may reach ``presenter``, as ``decide`` would.

        PERF: the request path asks this, which gathers no reasons.
        """
        if not self.configured:
            return True
        for index, covered in enumerate(self._coverage(presenter)):
            if covered and self._judge(index, names)[0]:
                return True
        return False

    def reachable(
        self, presenters: Iterable[str], names: Mapping[str, Any]
    ) -> list[str]:
        """Return the presenters of ``presenters`` the visitor may reach, in order."""
        memo: dict[int, Verdict] = {}
        return [p for p in presenters if self._decide(p, names, memo).allowed]

    def explain(self, presenter: str, names: Mapping[str, Any]) -> str:
        """Return, as text, the section that allows ``presenter`` or why none does."""
        decision = self.decide(presenter, names)
        if not self.configured:
            return f"{presenter!r} is allowed: {_OPEN}.\n"

        if decision.allowed:
            head = f"{presenter!r} is allowed by section {decision.section!r}."
        else:
            head = f"{presenter!r} is denied: no section allows it ({self.origin})."
        steps = zip(self.sections, decision.reasons)
        return head + "\n" + "".join(_explained_step(s, r) for s, r in steps)

    @classmethod
    def _build(cls, data: Mapping[str, Any], origin: str, locate: Locate) -> AccessList:
        if not data:
            return cls((), origin=origin, configured=False)
        return cls(read_sections(data, locate), origin=origin)

    def _decide(
        self, presenter: str, names: Mapping[str, Any], memo: dict[int, Verdict]
    ) -> Decision:
        if not self.configured:
            return Decision(True, None, [_OPEN])

        reasons = []
        for index, covered in enumerate(self._coverage(presenter)):
            section = self.sections[index]
            if not covered:
                listed = "excepted" if covered is None else "not listed"
                reasons.append(f"{section.name}: presenter {listed}")
                continue

            if index not in memo:
                memo[index] = self._judge(index, names)
            allowed, reason = memo[index]
            reasons.append(reason)
            if allowed:
                return Decision(True, section.name, reasons)
        return Decision(False, None, reasons)

    def _coverage(self, presenter: str) -> tuple[bool | None, ...]:
        coverage = self._coverages.get(presenter)
        if coverage is None:
            coverage = tuple(section.covers(presenter) for section in self.sections)
            _remember(self._coverages, presenter, coverage)
        return coverage

    def _judge(self, index: int, names: Mapping[str, Any]) -> Verdict:
        """Return one section's verdict, from the cache when its condition allows."""
        section = self.sections[index]
        if not section.role_only:
            return self._evaluate(section, names)

        try:
            key = (index, *cache_key(names, section.condition.names_used))
        except (KeyError, Unkeyable):
            return self._evaluate(section, names)

        verdict = self._results.get(key)
        if verdict is None:
            verdict = self._evaluate(section, names)
            _remember(self._results, key, verdict)
        return verdict

    def _evaluate(self, section: Section, names: Mapping[str, Any]) -> Verdict:
        self.evaluations += 1
        watched = _Watched(names)

        try:
            value = section.condition.evaluate(watched)
        except ExpressionError as error:
            return self._failed(section, error, watched.missing)

        return bool(value), f"{section.name}: condition {'true' if value else 'false'}"

    def _failed(
        self, section: Section, error: ExpressionError, missing: str | None
    ) -> Verdict:
        if error.kind == "name" and missing is not None:
            self._warn_unknown(section, missing)
            unknown = f"condition names the unknown service {missing!r}"
            return False, f"{section.name}: {unknown}"

        logger.debug("Section %r denies: its condition failed: %s", section.name, error)
        return False, f"{section.name}: condition failed: {error.message}"

    def _warn_unknown(self, section: Section, service: str) -> None:
        with self._lock:
            if (section.name, service) in self._warned:
                return
            self._warned.add((section.name, service))

        logger.warning(
            "%s: the condition of section %r names the unknown service %r, so the "
            "section denies; add services/%s.py to a layer or fix the condition.",
            section.condition.origin, section.name, service, service,
        )


class _Watched(Mapping[str, Any]):
    """Pass names through, noting the one that was missing."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = names
        self.missing: str | None = None

    def __getitem__(self, key: str) -> Any:
        try:
            return self.names[key]
        except KeyError:
            self.missing = key
            raise

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _explained_step(section: Section, reason: str) -> str:
    text = f"  {reason}\n"
    if reason.endswith(("not listed", "excepted")):
        return text
    return text + f"      condition: {section.condition.source}\n"


def _remember(cache: dict, key: Any, value: Any) -> None:
    if len(cache) >= _MAX_CACHED:
        cache.clear()
    cache[key] = value


def _locator(origin: str, lines: Mapping[KeyPath, int]) -> Locate:
    def locate(key: KeyPath) -> tuple[str, int | None]:
        for end in range(len(key), 0, -1):
            if key[:end] in lines:
                return origin, lines[key[:end]]
        return origin, None

    return locate


def _explained(first: str, origins: Sequence[Any]) -> Locate:
    """Return a locator over ``Configuration.explain``: file and line per key."""

    def locate(key: KeyPath) -> tuple[str, int | None]:
        for origin in origins:
            if origin.key[: len(key)] == key:
                return str(origin.path), origin.line
        return first, None

    return locate
