"""Say which CLDR plural category a number takes in a language.

Each shipped language follows the cardinal rules of CLDR's plurals.xml,
written out below as functions of the CLDR operands of the number:

- ``n`` the absolute value, ``i`` its integer digits;
- ``v`` the count of visible fraction digits, with trailing zeros, and ``w``
  without them;
- ``f`` the visible fraction digits as an integer, with trailing zeros, and
  ``t`` without them;
- ``e`` the exponent of compact notation, always 0 here: fw does not count
  in compact notation ("1.2M").

The number is taken as it is written: the text ``"1.0"`` has one visible
fraction digit (v = 1, so English says "1.0 products"), the integer 1 has
none. A float counts like the shortest text that reads back as it, with an
integral float counting as an integer, which is what the browser does with
its numbers (fw/client/plurals.js holds the same rules). A language fw has
no rules for says "other" for every number.

Every ``i % 10**k`` below is the last k digits of ``i``, so integers of any
size give the same category in Python and in the browser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal

CATEGORIES = ("zero", "one", "two", "few", "many", "other")

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)

Number = int | float | Decimal | str


@dataclass(frozen=True)
class Operands:
    """Hold the CLDR operands of one number (all of them non-negative)."""

    i: int
    v: int
    w: int
    f: int
    t: int
    e: int = 0

    @property
    def n(self) -> Decimal:
        """Return the absolute value of the number, exactly."""
        fraction = Decimal(self.f).scaleb(-self.v) if self.v else Decimal(0)
        return Decimal(self.i) + fraction

    @property
    def integral(self) -> bool:
        """Say whether the value has no fraction (``n`` equals ``i``)."""
        return self.t == 0


def decimal_text(number: Number) -> str:
    """Return a number as plain decimal digits, as fw counts and shows it.

    Integers and integral floats have no fraction; another float is its
    shortest round-trip text without an exponent; a Decimal and a text keep
    the fraction digits as written ("1.50" stays "1.50").
    """
    if isinstance(number, bool) or not isinstance(number, Number):
        raise TypeError(
            f"A plural count must be a number or a decimal text such as '1.50', "
            f"not {type(number).__name__} {number!r}."
        )

    if isinstance(number, str):
        return _checked_text(number)

    if not _finite(number):
        raise ValueError(f"A plural count must be a finite number, not {number}.")

    if isinstance(number, float) and not number.is_integer():
        return _plain(Decimal(repr(number)))
    if isinstance(number, float):
        return str(int(number))
    return str(number) if isinstance(number, int) else _plain(number)


def operands(number: Number) -> Operands:
    """Return the CLDR operands of ``number`` (see the module's docstring)."""
    digits, _, fraction = decimal_text(number).lstrip("-").partition(".")

    trimmed = fraction.rstrip("0")
    return Operands(
        i=int(digits),
        v=len(fraction),
        w=len(trimmed),
        f=int(fraction or "0"),
        t=int(trimmed or "0"),
    )


def base_language(lang: str) -> str:
    """Return the primary language subtag, lower-cased: es-MX and es_mx are es."""
    return re.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()


def category(lang: str, number: Number) -> str:
    """Return the plural category of ``number`` in ``lang`` ("other" if unknown)."""
    rule = _RULES.get(base_language(lang))
    values = operands(number)
    return rule(values) if rule is not None else "other"


def categories(lang: str) -> tuple[str, ...]:
    """Return the categories ``lang`` uses, in CLDR order; ("other",) if unknown."""
    return _USED.get(base_language(lang), ("other",))


def form_key(lang: str, number: Number, forms: Collection[str]) -> str | None:
    """Return which of ``forms`` a count takes, or None when none fits.

    An exact form for an integer ("=0") wins, then the category of the
    number, then "other", which stands in for every category left out.
    """
    text = decimal_text(number)
    exact = None if "." in text else f"={int(text)}"
    if exact in forms:
        return exact

    found = category(lang, number)
    if found in forms:
        return found
    return "other" if "other" in forms else None


def shipped() -> tuple[str, ...]:
    """Return the languages fw has plural rules for, sorted."""
    return tuple(sorted(_RULES))


def _checked_text(text: str) -> str:
    if _DECIMAL.fullmatch(text) is None:
        raise ValueError(
            f"A plural count given as text must be plain decimal digits such as "
            f"'3' or '1.50', not {text!r}. Convert it to a number first."
        )
    return text


def _finite(number: int | float | Decimal) -> bool:
    if isinstance(number, Decimal):
        return number.is_finite()
    return isinstance(number, int) or math.isfinite(number)


def _plain(number: Decimal) -> str:
    return format(number, "f")


def _last(i: int, digits: int) -> int:
    """Return ``i % 10**digits``."""
    return i % 10**digits


def _is_million(values: Operands) -> bool:
    # CLDR: e = 0 and i != 0 and i % 1000000 = 0 and v = 0 or e != 0..5
    million = values.i != 0 and _last(values.i, 6) == 0 and values.v == 0
    return (values.e == 0 and million) or values.e > 5


def _english(values: Operands) -> str:
    # CLDR en: one: i = 1 and v = 0
    return "one" if values.i == 1 and values.v == 0 else "other"


def _spanish(values: Operands) -> str:
    # CLDR es: one: n = 1; many: see _is_million
    if values.i == 1 and values.integral:
        return "one"
    return "many" if _is_million(values) else "other"


def _french(values: Operands) -> str:
    # CLDR fr: one: i = 0,1; many: see _is_million
    if values.i in (0, 1):
        return "one"
    return "many" if _is_million(values) else "other"


def _russian(values: Operands) -> str:
    # CLDR ru: one: v = 0 and i % 10 = 1 and i % 100 != 11
    #          few: v = 0 and i % 10 = 2..4 and i % 100 != 12..14
    #          many: v = 0 and (i % 10 = 0 or i % 10 = 5..9 or i % 100 = 11..14)
    if values.v != 0:
        return "other"

    ones, tens = _last(values.i, 1), _last(values.i, 2)
    if ones == 1 and tens != 11:
        return "one"
    if 2 <= ones <= 4 and not 12 <= tens <= 14:
        return "few"
    return "many"


def _arabic(values: Operands) -> str:
    # CLDR ar: zero: n = 0; one: n = 1; two: n = 2;
    #          few: n % 100 = 3..10; many: n % 100 = 11..99
    if not values.integral:
        return "other"

    exact = {0: "zero", 1: "one", 2: "two"}.get(values.i)
    if exact is not None:
        return exact

    tens = _last(values.i, 2)
    if 3 <= tens <= 10:
        return "few"
    return "many" if tens >= 11 else "other"


_RULES: dict[str, Callable[[Operands], str]] = {
    "ar": _arabic,
    "en": _english,
    "es": _spanish,
    "fr": _french,
    "ru": _russian,
}

_USED: dict[str, tuple[str, ...]] = {
    "ar": CATEGORIES,
    "en": ("one", "other"),
    "es": ("one", "many", "other"),
    "fr": ("one", "many", "other"),
    "ru": ("one", "few", "many", "other"),
}
