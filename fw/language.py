"""The visitor's language, and texts in it, for one request.

The language is the one the visitor chose (kept in the session), else the
best match of the Accept-Language header among the languages the layers
hold texts for, else the application's default (``language`` in
``config/settings.*``, "en" without one).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .exceptions import ConfigError
from .sessions import COOKIE

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .context import Context
    from .i18n import Texts

SESSION_KEY = "language"
DEFAULT = "en"

def default_language(context: Context) -> str:
    """Return the application's default language from its settings."""
    return str(context.config("settings").get("language") or DEFAULT)


def make_texts(context: Context) -> Texts:
    """Return the texts of the request's layers (service ``texts``).

    One Texts is kept per stack of layers, so files are read once (and
    again only when they change, outside production).
    """
    app, stack = context.app, context.stack or context.app.layers.base
    key = (stack.key, default_language(context))
    texts = app.texts.get(key)
    if texts is None:
        # PERF: fw.i18n loads when a request first needs texts, not before.
        from .i18n import Texts

        texts = Texts(stack.finder, default=key[1], watch=app.watch)
        app.texts[key] = texts
    return texts


def choose_language(context: Context) -> str:
    """Return the language to answer in (service ``language``)."""
    from .i18n import choose

    chosen = None
    if context.request.cookies.get(COOKIE):
        chosen = context.service("session").get(SESSION_KEY)
    texts = context.service("texts")
    default = default_language(context)
    available = texts.languages() or [default]
    header = context.request.headers.get("accept-language")
    chosen = choose(chosen, header, available, default=default)
    return chosen if _readable(texts, chosen) else default


def _readable(texts: Texts, lang: str) -> bool:
    """Say whether a language's texts load; a broken file is logged, not shown."""
    try:
        texts.check(lang)
    except ConfigError as error:
        log.error("The texts of %r are broken; the default answers: %s", lang, error)
        return False
    return True
