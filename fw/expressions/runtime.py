"""Helpers the generated code of an expression calls, as ``rt.<helper>``.

Every helper that can fail takes ``at``, the (origin, line, column) of the
token it stands for, as its last fixed argument; the generated code passes
it as a constant tuple, so a helper reads it only when it raises. What
counts as a number, a list or a map, and each rule applied here, is
written out in docs/expressions.md.

Truthiness is Python's own ``bool()``: null, false, 0, "", [] and {} are
false, every other language value is true (NaN included), and other
objects decide for themselves. The generated code therefore uses Python's
``and``, ``or``, ``not`` and ``if``/``else`` directly, and so may callers.

Exceptions raised by the application's own callables, properties and
containers pass through unchanged, with their tracebacks.
"""

from __future__ import annotations

import builtins
import operator
import types
from collections.abc import Callable, Mapping
from typing import Any

from .errors import Position, fail
from .tokenizer import MAX_SAFE_INTEGER

#: Values with no attributes or items an expression may reach: the
#: language's own values, and Python machinery that leads to code.
_SEALED = (
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    bytearray,
    memoryview,
    list,
    tuple,
    set,
    frozenset,
    range,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ModuleType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
)

#: Builtins never called, even when an application exposes one by mistake.
_REFUSED_CALLS = frozenset(
    id(getattr(builtins, name))
    for name in (
        "__import__",
        "breakpoint",
        "compile",
        "delattr",
        "eval",
        "exec",
        "getattr",
        "globals",
        "input",
        "locals",
        "open",
        "setattr",
        "vars",
    )
)

#: PERF: "map", "sealed" or "object" per type, so that access to application
#: objects skips the slow abstract-class checks after the first time.
_RULES: dict[type, str] = {}
_MAX_REMEMBERED_TYPES = 1000

_NUMBERS = (int, float)
_SIMPLE = frozenset({str, int, float, bool, type(None)})
_ORDERED = frozenset({str, int, float})
_LISTS = (list, tuple)
_PLAIN = (bool, *_NUMBERS, str, *_LISTS, Mapping)


def name(names: Mapping[str, Any], key: str, at: Position) -> Any:
    """Return the name ``key`` from ``names``."""
    try:
        return names[key]
    except KeyError:
        pass

    fail("name", f"The name {key!r} is not defined here; check its spelling, or "
         "give the expression a value under that name.", at)


def attr(value: Any, key: str, at: Position) -> Any:
    """Return ``value.key``: a map's key, or an application object's attribute."""
    kind = type(value)
    if kind is dict or kind is types.MappingProxyType:
        try:
            return value[key]
        except KeyError:
            pass
    return _attribute(value, key, at)


def _attribute(value: Any, key: str, at: Position) -> Any:
    rule = _rule(value)
    if rule == "map":
        if key in value:
            return value[key]
        fail("attribute", f"The map has no key {key!r}; check the spelling, or "
             "test for it first with 'in'.", at)
    if rule == "sealed" or key.startswith("_"):
        fail("attribute", f"Cannot read attribute {key!r} of {_describe(value)}: "
             "only maps and the application's own objects have attributes.", at)

    try:
        return getattr(value, key)
    except AttributeError:
        pass
    fail("attribute", f"There is no attribute {key!r} on {_describe(value)}; "
         "check the spelling.", at)


def _rule(value: Any) -> str:
    """Return how attribute and item access treat ``value``, once per type."""
    kind = type(value)
    rule = _RULES.get(kind)
    if rule is None:
        if len(_RULES) >= _MAX_REMEMBERED_TYPES:
            _RULES.clear()
        rule = _RULES[kind] = _classify(kind)
    return rule


def _classify(kind: type) -> str:
    if issubclass(kind, Mapping):
        return "map"
    if kind is type(None) or issubclass(kind, _SEALED):
        return "sealed"
    return "object"


def item(value: Any, key: Any, at: Position) -> Any:
    """Return ``value[key]``: a map's key, or a list's or string's element."""
    kind = type(value)
    if kind is dict and type(key) is str and key in value:
        return value[key]
    if kind is list and type(key) is int and -len(value) <= key < len(value):
        return value[key]
    return _item(value, key, at)


def _item(value: Any, key: Any, at: Position) -> Any:
    rule = _rule(value)
    if rule == "map":
        return _map_item(value, key, at)
    if isinstance(value, (str, list, tuple)):
        return _sequence_item(value, key, at)
    if rule == "sealed":
        fail("type", f"Cannot take an item of {_describe(value)}; only maps, "
             "lists and strings have items.", at)

    try:
        return value[key]
    except (KeyError, IndexError):
        fail("index", f"There is no item {key!r} in {_describe(value)}.", at)
    except TypeError:
        fail("type", f"Cannot take an item of {_describe(value)} with "
             f"{_describe(key)} as the key.", at)


def _map_item(value: Mapping[Any, Any], key: Any, at: Position) -> Any:
    try:
        return value[key]
    except KeyError:
        pass
    except TypeError:
        fail("type", f"Cannot look up {_describe(key)} in a map; map keys are "
             "strings, numbers, booleans or null.", at)
    fail("index", f"The map has no key {key!r}; test for it first with 'in'.", at)


def _sequence_item(value: Any, key: Any, at: Position) -> Any:
    if not _is_number(key) or isinstance(key, float) and not key.is_integer():
        fail("type", f"A list or string index must be an integer, not "
             f"{_describe(key)}.", at)

    index = int(key)
    if -len(value) <= index < len(value):
        return value[index]
    fail("index", f"The index {index} is out of range for {_describe(value)} of "
         f"length {len(value)}.", at)


def call(function: Any, at: Position, *args: Any) -> Any:
    """Return ``function(*args)`` if ``function`` may be called."""
    if isinstance(function, type) or id(function) in _REFUSED_CALLS:
        fail("call", f"Calling {_describe(function)} is refused: an expression may "
             "only call the functions and methods the application gives it.", at)
    if not callable(function):
        fail("call", f"Cannot call {_describe(function)}; only functions can be "
             "called.", at)
    return function(*args)


def pipe(names: Mapping[str, Any], key: str, at: Position, *args: Any) -> Any:
    """Apply filter ``key`` from ``names``: ``value | f(a)`` is ``f(value, a)``."""
    return call(name(names, key, at), at, *args)


def neg(value: Any, at: Position) -> int | float:
    """Return ``-value`` of a number."""
    _numbers("negate", at, value)
    return _compute(operator.neg, at, value)


def pos(value: Any, at: Position) -> int | float:
    """Return ``+value`` of a number."""
    _numbers("apply unary + to", at, value)
    return _compute(operator.pos, at, value)


def add(left: Any, right: Any, at: Position) -> Any:
    """Return ``left + right``: numbers add, strings and lists join."""
    if _is_number(left) and _is_number(right):
        return _compute(operator.add, at, left, right)
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, _LISTS) and isinstance(right, _LISTS):
        return [*left, *right]
    fail("type", f"Cannot add {_describe(left)} and {_describe(right)}: + adds two "
         "numbers, or joins two strings or two lists; convert one side first.", at)


def sub(left: Any, right: Any, at: Position) -> int | float:
    """Return ``left - right`` of two numbers."""
    _numbers("subtract", at, left, right)
    return _compute(operator.sub, at, left, right)


def mul(left: Any, right: Any, at: Position) -> int | float:
    """Return ``left * right`` of two numbers."""
    _numbers("multiply", at, left, right)
    return _compute(operator.mul, at, left, right)


def div(left: Any, right: Any, at: Position) -> int | float:
    """Return ``left / right``, always the true quotient of two numbers."""
    _numbers("divide", at, left, right)
    _non_zero(right, at)
    return _compute(operator.truediv, at, left, right)


def mod(left: Any, right: Any, at: Position) -> int | float:
    """Return ``left % right``, floored: the result has the sign of ``right``."""
    _numbers("take the remainder of", at, left, right)
    _non_zero(right, at)
    return _compute(operator.mod, at, left, right)


def eq(left: Any, right: Any) -> bool:
    """Return whether two values are equal, without converting either."""
    kind = type(left)
    if kind is type(right) and kind in _SIMPLE:
        return left == right
    return _equal(left, right)


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return left == right
    if isinstance(left, _LISTS) and isinstance(right, _LISTS):
        return len(left) == len(right) and all(map(eq, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return _maps_equal(left, right)
    if _is_plain(left) or _is_plain(right):
        return isinstance(left, str) and isinstance(right, str) and left == right
    return bool(left == right)


def _maps_equal(left: Mapping[Any, Any], right: Mapping[Any, Any]) -> bool:
    if len(left) != len(right):
        return False
    return all(key in right and eq(value, right[key]) for key, value in left.items())


def lt(left: Any, right: Any, at: Position) -> bool:
    """Return ``left < right`` of two numbers or two strings."""
    if type(left) is type(right) and type(left) in _ORDERED:
        return left < right
    return _order(operator.lt, "<", left, right, at)


def le(left: Any, right: Any, at: Position) -> bool:
    """Return ``left <= right`` of two numbers or two strings."""
    if type(left) is type(right) and type(left) in _ORDERED:
        return left <= right
    return _order(operator.le, "<=", left, right, at)


def gt(left: Any, right: Any, at: Position) -> bool:
    """Return ``left > right`` of two numbers or two strings."""
    if type(left) is type(right) and type(left) in _ORDERED:
        return left > right
    return _order(operator.gt, ">", left, right, at)


def ge(left: Any, right: Any, at: Position) -> bool:
    """Return ``left >= right`` of two numbers or two strings."""
    if type(left) is type(right) and type(left) in _ORDERED:
        return left >= right
    return _order(operator.ge, ">=", left, right, at)


def _order(
    op: Callable[[Any, Any], Any], symbol: str, left: Any, right: Any, at: Position
) -> bool:
    both_numbers = _is_number(left) and _is_number(right)
    if both_numbers or isinstance(left, str) and isinstance(right, str):
        return op(left, right)

    if not (_is_plain(left) or _is_plain(right)):
        try:
            return bool(op(left, right))
        except TypeError:
            pass
    fail("type", f"Cannot compare {_describe(left)} with {_describe(right)} using "
         f"{symbol}; only two numbers or two strings have an order.", at)


def is_in(element: Any, container: Any, at: Position) -> bool:
    """Return ``element in container``: a substring, list element or map key."""
    if isinstance(container, str):
        if isinstance(element, str):
            return element in container
        fail("type", f"Cannot look for {_describe(element)} in a string; only a "
             "string can be found in a string.", at)
    if isinstance(container, (*_LISTS, Mapping)):
        if type(element) is str:
            return element in container
        return any(eq(element, candidate) for candidate in container)
    return _is_in_object(element, container, at)


def _is_in_object(element: Any, container: Any, at: Position) -> bool:
    if not (container is None or isinstance(container, (bool, *_NUMBERS))):
        try:
            return element in container
        except TypeError:
            pass
    fail("type", f"Cannot look for a value in {_describe(container)}; 'in' works on "
         "strings, lists and maps.", at)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBERS) and value.__class__ is not bool


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, _PLAIN)


def _numbers(verb: str, at: Position, *values: Any) -> None:
    if not all(_is_number(value) for value in values):
        described = " and ".join(_describe(value) for value in values)
        fail("type", f"Cannot {verb} {described}: this operator works on numbers "
             "only (true and false are not numbers).", at)


def _non_zero(value: int | float, at: Position) -> None:
    if value == 0:
        fail("division", "Division by zero; test the divisor first, as in "
             "'a / b if b != 0 else 0'.", at)


def _compute(op: Callable[..., Any], at: Position, *values: Any) -> int | float:
    try:
        return _canonical(op(*values))
    except OverflowError:
        pass
    fail("limit", "A number is too large to compute with; keep numbers below "
         "about 1e308.", at)


def _canonical(value: int | float) -> int | float:
    """Return an arithmetic result in its one canonical form.

    Integer-valued results within the safe range are ints; larger integers
    become the nearest float, the value JavaScript computes.
    """
    safe = -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if type(value) is int:
        return value if safe else float(value)
    if safe and value.is_integer():
        return int(value)
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if _is_number(value):
        return "a number"
    for kinds, word in ((str, "a string"), (_LISTS, "a list"), (Mapping, "a map")):
        if isinstance(value, kinds):
            return word
    if callable(value) and not isinstance(value, type):
        return "a function"
    return f"a value of type {type(value).__name__}"
