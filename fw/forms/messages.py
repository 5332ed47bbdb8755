"""Validation messages in the visitor's language, for the page and the browser.

An error of fw.validation names a message key and its params. The server
fills the key's text with :func:`fw.i18n.fill`; the browser gets the same
texts, unfilled, embedded in the page, and fw/client/forms.js fills them
the same way. Params are first made into what a message shows: a list
(``one_of``) becomes its items joined by ", ", on both sides.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ..exceptions import ConfigError
from ..i18n import Texts, fill
from ..i18n.plurals import decimal_text

log = logging.getLogger(__name__)

SEPARATOR = ", "


def shown_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``params`` with each list written as its items joined by ", "."""
    return {
        name: _joined(value) if isinstance(value, (list, tuple)) else value
        for name, value in params.items()
    }


def message(texts: Texts, lang: str, error: Mapping[str, Any]) -> str:
    """Return an error's message in ``lang``, its params filled in.

    A text whose placeholders the rule's params cannot fill is shown as
    written, as the browser shows it, and the mistake is logged for the
    person who wrote the text: a typo there must not break the form.
    """
    params = shown_params(error.get("params", {}))
    try:
        return texts.text(lang, error["message"], params)
    except ConfigError as mistake:
        log.error("A message cannot be filled, so it is shown as written: %s", mistake)
        return templates(texts, lang, [error["message"]])[error["message"]]


def templates(texts: Texts, lang: str, keys: Iterable[str]) -> dict[str, str]:
    """Return the unfilled text of each message key in ``lang`` (else the key)."""
    catalog = texts.catalog(lang)
    return {key: _template(catalog, key) for key in dict.fromkeys(keys)}


def fill_template(template: str, params: Mapping[str, Any]) -> str:
    """Fill a message template from an error's params, as the browser does."""
    return fill(template, shown_params(params))


def script_json(data: Any) -> str:
    """Return ``data`` as JSON that is safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _joined(items: Iterable[Any]) -> str:
    return SEPARATOR.join(_item(item) for item in items)


def _item(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return decimal_text(value)
    return "" if value is None else str(value)


def _template(catalog: Mapping[str, Any], key: str) -> str:
    found: Any = catalog.get(key)
    if found is None:
        found = catalog
        for part in key.split("."):
            found = found.get(part) if isinstance(found, Mapping) else None
    return found if isinstance(found, str) else key
