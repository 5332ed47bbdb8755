"""Reports: a page of a table's records as HTML, counted, paged and sorted.

A :class:`Report` shows described fields of one table as columns. The
visitor's query chooses the page (``page=3``) and the order (``sort=-price``);
both are checked against the description before any query runs. A sort
that names no column of the report, or is not text of the form ``name`` or
``-name``, is ignored (the report keeps its default order), so a hostile
query never reaches the database. The count line uses the table's ``terms``
(zero, one, many) through :meth:`fw.i18n.Texts.plural`. See docs/forms.md.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..exceptions import ConfigError
from ..i18n import Texts
from ..templates.markup import Markup
from . import fields as inputs

logger = logging.getLogger(__name__)

PAGE = "page"
SORT = "sort"
MAX_PER_PAGE = 500
WINDOW = 3
UNSORTABLE = ("file", "json")

_PAGE_NUMBER = re.compile(r"[0-9]{1,40}", re.ASCII)
_LAST_PAGE = 10**9
_SORT = re.compile(r"(-?)([a-z_][a-z0-9_]{0,62})", re.ASCII)


@dataclass(frozen=True)
class ReportPage:
    """One page of a report: its records, the total count and where it stands."""

    rows: tuple[Any, ...]
    count: int
    page: int
    pages: int
    sort: str | None


class Report:
    """Show a table's records: columns from described fields, paged and sorted.

    ``columns`` are field names of ``table`` (default: every field but
    files and json); ``sort`` is the default order ("-price"), which must
    name a column too.
    """

    def __init__(
        self,
        table: Any,
        columns: Iterable[str] | None = None,
        *,
        per_page: int = 20,
        sort: str | None = None,
        report_id: str = "report",
    ) -> None:
        self.table = table
        self.columns = _checked_columns(table, columns)
        self.per_page = _checked_per_page(table, per_page)
        self.report_id = inputs.check_name(report_id, origin=table.origin)
        self.sortable = tuple(
            name for name in self.columns if table.field(name).type not in UNSORTABLE
        )
        self.sort = self._default_sort(sort)

    def fetch(self, source: Any, query: Mapping[str, str] | None = None) -> ReportPage:
        """Return the page ``query`` asks for, from TableRecords or a Query."""
        query = query or {}
        sort = sort_order(query.get(SORT), self.sortable) or self.sort
        count = source.find().count()

        pages = max(1, math.ceil(count / self.per_page))
        page = min(page_number(query.get(PAGE)), pages)
        selected = source.find().order(*self._order(sort))
        offset = (page - 1) * self.per_page
        rows = selected.limit(self.per_page).offset(offset).all()
        return ReportPage(tuple(rows), count, page, pages, sort)

    def render(
        self,
        page: ReportPage,
        *,
        texts: Texts,
        lang: str,
        query: Mapping[str, str] | None = None,
        path: str = "",
    ) -> Markup:
        """Return the page as HTML in ``lang``; links keep the other query values."""
        links = _Links(path, dict(query or {}), page)
        summary = Markup('<p class="fw-count">{0}</p>\n').format(
            self.summary(page.count, texts=texts, lang=lang)
        )
        body = self._table(page, texts, lang, links) if page.rows else Markup("")
        return Markup(
            '<section class="fw-report" id="{0}">\n{1}{2}{3}</section>\n'
        ).format(self.report_id, summary, body, self._pages(page, links))

    def summary(self, count: int, *, texts: Texts, lang: str) -> str:
        """Return the line counting the records: the zero, one or many term."""
        term = "zero" if count == 0 else "one" if count == 1 else "many"
        key = self.table.terms.get(term)
        if key is None:
            return str(count)
        return texts.plural(lang, key, count)

    def label(self, name: str, *, texts: Texts, lang: str) -> str:
        """Return a column's heading: its label's text, else its name made readable."""
        key = self.table.field(name).label
        return texts.text(lang, key) if key else inputs.humanized(name)

    def _default_sort(self, sort: str | None) -> str | None:
        if sort is None:
            return None
        checked = sort_order(sort, self.sortable)
        if checked is None:
            raise ConfigError(
                f"The report's default sort {sort!r} names no sortable column of "
                f"{self.table.name}; write one of {', '.join(self.sortable)}, with "
                "'-' in front for descending order.",
                origin=self.table.origin or None,
            )
        return checked

    def _order(self, sort: str | None) -> list[str]:
        keys = [name for name in self.table.primary_key if sort != name]
        return [sort, *keys] if sort else keys

    def _table(
        self, page: ReportPage, texts: Texts, lang: str, links: _Links
    ) -> Markup:
        heads = Markup("").join(
            self._heading(name, page.sort, texts, lang, links) for name in self.columns
        )
        rows = Markup("").join(self._row(record) for record in page.rows)
        return Markup(
            '<table class="fw-table">\n<thead><tr>{0}</tr></thead>\n'
            "<tbody>\n{1}</tbody>\n</table>\n"
        ).format(heads, rows)

    def _heading(
        self, name: str, sort: str | None, texts: Texts, lang: str, links: _Links
    ) -> Markup:
        label = self.label(name, texts=texts, lang=lang)
        if name not in self.sortable:
            return Markup('<th scope="col">{0}</th>').format(label)

        state = {name: "ascending", f"-{name}": "descending"}.get(sort or "", "none")
        wanted = f"-{name}" if state == "ascending" else name
        return Markup(
            '<th scope="col" aria-sort="{0}"><a href="{1}">{2}</a></th>'
        ).format(state, links.sorted_by(wanted), label)

    def _row(self, record: Any) -> Markup:
        cells = Markup("").join(
            Markup('<td class="fw-{0}">{1}</td>').format(
                self.table.field(name).type, _shown(record[name])
            )
            for name in self.columns
        )
        return Markup("<tr>{0}</tr>\n").format(cells)

    def _pages(self, page: ReportPage, links: _Links) -> Markup:
        if page.pages == 1:
            return Markup("")

        items = [links.page_link(number) for number in _window(page)]
        if page.page > 1:
            items.insert(0, links.page_link(page.page - 1, "‹", "prev"))
        if page.page < page.pages:
            items.append(links.page_link(page.page + 1, "›", "next"))
        return Markup('<nav class="fw-pages">{0}</nav>\n').format(
            Markup(" ").join(items)
        )


@dataclass(frozen=True)
class _Links:
    """Build a report's links: the path, the query's other values, one change."""

    path: str
    query: dict[str, str]
    page: ReportPage

    def href(self, **changes: str) -> str:
        merged = {**self.query, **changes}
        return f"{self.path}?{urlencode(merged)}"

    def sorted_by(self, sort: str) -> str:
        kept = {key: value for key, value in self.query.items() if key != PAGE}
        return _Links(self.path, kept, self.page).href(sort=sort)

    def page_link(self, number: int, text: str = "", rel: str = "") -> Markup:
        changes = {PAGE: str(number)}
        if self.page.sort:
            changes[SORT] = self.page.sort
        if number == self.page.page and not rel:
            return Markup('<span aria-current="page">{0}</span>').format(number)
        relation = Markup(' rel="{0}"').format(rel) if rel else ""
        return Markup('<a href="{0}"{1}>{2}</a>').format(
            self.href(**changes), relation, text or number
        )


def sort_order(value: Any, sortable: Sequence[str]) -> str | None:
    """Return ``value`` when it sorts by a sortable column ("-price"), else None."""
    found = _SORT.fullmatch(value) if isinstance(value, str) else None
    if found is None or found.group(2) not in sortable:
        if value is not None:
            logger.debug("The sort %r names no sortable column; it is ignored.", value)
        return None
    return value


def page_number(value: Any) -> int:
    """Return the page a query value asks for: a whole number from 1, else 1."""
    if not isinstance(value, str) or _PAGE_NUMBER.fullmatch(value) is None:
        return 1
    return min(max(1, int(value)), _LAST_PAGE)


def _checked_columns(table: Any, columns: Iterable[str] | None) -> tuple[str, ...]:
    if columns is None:
        return tuple(f.name for f in table.fields if f.type not in UNSORTABLE)

    names = tuple(columns)
    unknown = [name for name in names if not table.has_field(name)]
    if unknown or not names:
        raise ConfigError(
            f"A report of {table.name} needs columns that are its fields; "
            f"{', '.join(unknown) or 'none'} given wrongly. Its fields are "
            f"{', '.join(table.field_names)}.",
            origin=table.origin or None,
        )
    return names


def _checked_per_page(table: Any, per_page: Any) -> int:
    whole = isinstance(per_page, int) and not isinstance(per_page, bool)
    if not whole or not 1 <= per_page <= MAX_PER_PAGE:
        raise ConfigError(
            f"A report's per_page must be a whole number from 1 to {MAX_PER_PAGE}, "
            f"not {per_page!r}.",
            origin=table.origin or None,
        )
    return per_page


def _window(page: ReportPage) -> list[int]:
    """Return the page numbers to link: the first, the last, and near the current."""
    near = range(max(1, page.page - WINDOW), min(page.pages, page.page + WINDOW) + 1)
    return sorted({1, *near, page.pages})


def _shown(value: Any) -> str:
    if value is True:
        return "✓"
    return inputs.form_string(value)
