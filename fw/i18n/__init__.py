"""Languages: texts per language, CLDR plural categories, the visitor's choice.

- plurals: which plural category ("one", "few", "other" ...) a number takes
  in a language, by CLDR's rules; fw/client/plurals.js is the browser's twin;
- texts: texts by key from each layer's ``languages/<lang>/`` folder, filled
  in by name, with plural forms and a fallback to the default language;
- choice: the language to answer in, from the session, the Accept-Language
  header or the default.

See docs/languages.md.
"""

from .choice import choose, match_tag, parse_accept_language
from .plurals import CATEGORIES, Operands, categories, category, operands
from .texts import Texts, fill

__all__ = [
    "CATEGORIES",
    "Operands",
    "Texts",
    "categories",
    "category",
    "choose",
    "fill",
    "match_tag",
    "operands",
    "parse_accept_language",
]
