"""Tests of fw.expressions: the shared vectors, then what only Python can show."""

from __future__ import annotations

import ast
import datetime
import json
import math
import time
import unittest
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

from fw.exceptions import ExpressionError
from fw.expressions import (
    KINDS,
    Expression,
    compile_expression,
    names_used,
    python_source,
    runtime,
)
from fw.expressions.errors import fail
from fw.expressions.parser import MAX_DEPTH, MAX_NESTING, parse

VECTORS = Path(__file__).parent / "vectors" / "expressions.json"

_AT = ("<test function>", 1, 1)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fn_add(a: object, b: object) -> object:
    """Add two numbers, as the vector file's note describes."""
    if not (_is_number(a) and _is_number(b)):
        fail("type", "fn_add adds two numbers.", _AT)
    return runtime.add(a, b, _AT)


def fn_upper(text: object) -> str:
    """Upper-case the ASCII letters of a string."""
    if not isinstance(text, str):
        fail("type", "fn_upper takes a string.", _AT)
    return "".join(c.upper() if "a" <= c <= "z" else c for c in text)


def fn_len(value: object) -> int:
    """Return the length of a string, list or map."""
    if not isinstance(value, (str, list, dict)):
        fail("type", "fn_len takes a string, list or map.", _AT)
    return len(value)


def fn_list(*args: object) -> list:
    """Return a list of the arguments."""
    return list(args)


def fn_join(items: list, separator: str) -> str:
    """Join strings with a separator."""
    return separator.join(items)


def fn_default(value: object, default: object) -> object:
    """Return ``default`` when ``value`` is null."""
    return default if value is None else value


FUNCTIONS = {
    "fn_add": fn_add,
    "fn_upper": fn_upper,
    "fn_len": fn_len,
    "fn_list": fn_list,
    "fn_join": fn_join,
    "fn_default": fn_default,
}


def evaluate(source: str, names: dict | None = None, **where: object) -> object:
    """Compile and evaluate ``source`` with the test functions and ``names``."""
    return compile_expression(source, **where).evaluate({**FUNCTIONS, **(names or {})})


def same(actual: object, expected: object) -> bool:
    """Compare as the vectors say: by value, booleans apart, ints apart from floats."""
    if expected is None or isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, (int, float, str)):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(map(same, actual, expected))
        )
    return (
        isinstance(actual, dict)
        and actual.keys() == expected.keys()
        and all(same(actual[key], expected[key]) for key in expected)
    )


class ExpressionTestCase(unittest.TestCase):
    """Assertions about results and failures."""

    def assertFails(
        self,
        kind: str,
        source: str,
        names: dict | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        **where: object,
    ) -> ExpressionError:
        with self.assertRaises(ExpressionError) as caught:
            evaluate(source, names, **where)

        error = caught.exception
        self.assertEqual(error.kind, kind, str(error))
        if line is not None:
            self.assertEqual(error.line, line, str(error))
        if column is not None:
            self.assertEqual(error.column, column, str(error))
        return error


class VectorTests(ExpressionTestCase):
    """Every shared vector, as the JavaScript twin runs them too."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.document = json.loads(VECTORS.read_text(encoding="utf-8"))

    def test_file_describes_its_functions_and_kinds(self) -> None:
        self.assertEqual(set(self.document["functions"]), set(FUNCTIONS))
        self.assertEqual(set(self.document["kinds"]), KINDS)
        self.assertGreaterEqual(len(self.document["vectors"]), 150)

    def test_every_vector_has_one_outcome_and_a_known_kind(self) -> None:
        for vector in self.document["vectors"]:
            with self.subTest(expr=vector["expr"]):
                self.assertNotEqual("result" in vector, "error" in vector)
                self.assertIn(vector.get("error", "syntax"), KINDS)

    def test_vectors(self) -> None:
        for vector in self.document["vectors"]:
            with self.subTest(expr=vector["expr"], names=vector.get("names")):
                self.run_vector(vector)

    def run_vector(self, vector: dict) -> None:
        names = vector.get("names")
        if "error" in vector:
            self.assertFails(
                vector["error"],
                vector["expr"],
                names,
                line=vector.get("line"),
                column=vector.get("column"),
            )
            return

        result = evaluate(vector["expr"], names)
        self.assertTrue(same(result, vector["result"]), f"got {result!r}")


class TokenTests(ExpressionTestCase):
    """Positions, starting points and the forms of literals."""

    def test_positions_start_where_the_caller_says(self) -> None:
        expr = compile_expression("1 + x", origin="page.html", line=7, column=12)
        with self.assertRaises(ExpressionError) as caught:
            expr.evaluate({})

        error = caught.exception
        self.assertEqual((error.line, error.column), (7, 16))
        self.assertEqual(error.origin, "page.html")
        self.assertEqual(str(error).split(":")[0], "page.html, line 7, column 16")

    def test_later_lines_start_at_column_one(self) -> None:
        with self.assertRaises(ExpressionError) as caught:
            compile_expression("1 +\n\t x", origin="t", line=3, column=20).evaluate({})

        self.assertEqual((caught.exception.line, caught.exception.column), (4, 3))

    def test_carriage_returns_are_spaces(self) -> None:
        self.assertEqual(evaluate("1\r\n+\r\n2"), 3)
        self.assertFails("name", "1 +\r\n y", line=2, column=2)

    def test_columns_count_code_points(self) -> None:
        self.assertFails("name", "'\U0001F600' + x", column=7)

    def test_literal_values_are_canonical(self) -> None:
        self.assertIs(type(evaluate("2.0")), int)
        self.assertIs(type(evaluate("1e300")), float)
        self.assertEqual(evaluate("12345678901234567890123"), 1.2345678901234568e22)
        self.assertEqual(evaluate("1e999"), math.inf)
        self.assertEqual(evaluate("-1e999"), -math.inf)

    def test_python_constants_get_a_hint(self) -> None:
        error = self.assertFails("syntax", "x == True")

        self.assertIn("Write true, not True", str(error))

    def test_unclosed_string_points_at_its_quote(self) -> None:
        self.assertFails("syntax", "1 + 'abc", column=5)


class ParserTests(ExpressionTestCase):
    """Tree shape, depth and the limits."""

    def test_depth_of_a_chain_is_one_level(self) -> None:
        tree = parse(" or ".join(["x"] * 500), "t")

        self.assertEqual(tree.depth, 2)
        self.assertEqual(len(tree.parts()), 500)

    def test_conditional_groups_to_the_right(self) -> None:
        tree = parse("a if b else c if d else e", "t")

        self.assertEqual(tree.otherwise.test.name, "d")

    def test_very_deep_nesting_is_a_clean_error(self) -> None:
        for source in (
            "(" * 3_000 + "1" + ")" * 3_000,
            "[" * 3_000,
            "f(" * 3_000,
            "-" * 3_000 + "1",
            "not " * 3_000 + "x",
            "1" + " + 1" * 3_000,
            "x" + ".a" * 3_000,
            "x" + " | f" * 3_000,
            "1 if x else " * 3_000 + "2",
        ):
            with self.subTest(source=source[:20]):
                self.assertFails("limit", source)

    def test_deepest_accepted_tree_compiles(self) -> None:
        source = "x" + "[0]" * (MAX_DEPTH - 1)
        nested: list = [1]
        for _ in range(MAX_DEPTH - 2):
            nested = [nested]

        self.assertEqual(evaluate(source, {"x": nested}), 1)
        self.assertFails("limit", source + "[0]")

    def test_most_open_brackets_accepted(self) -> None:
        source = "fn_list(" * MAX_NESTING + ")" * MAX_NESTING
        nested: list = []
        for _ in range(MAX_NESTING - 1):
            nested = [nested]

        self.assertEqual(evaluate(source), nested)
        self.assertFails("limit", "fn_list(" + source + ")")

    def test_long_inputs(self) -> None:
        text = "ab" * 50_000
        self.assertEqual(evaluate(repr(text)), text)
        self.assertEqual(evaluate("[" + "1, " * 5_000 + "]"), [1] * 5_000)
        self.assertIs(evaluate(" and ".join(["x"] * 2_000), {"x": 1}), 1)


class ApiTests(ExpressionTestCase):
    """compile_expression, python_source and names_used."""

    def test_expression_keeps_its_source_and_names(self) -> None:
        expr = compile_expression("a.b + c | f", origin="rules.toml", line=3)

        self.assertIsInstance(expr, Expression)
        self.assertEqual(expr.source, "a.b + c | f")
        self.assertEqual((expr.origin, expr.line, expr.column), ("rules.toml", 3, 1))
        self.assertEqual(expr.names_used, {"a", "c", "f"})

    def test_same_text_at_same_place_compiles_once(self) -> None:
        first = compile_expression("1 + x", origin="cache-test")

        self.assertIs(compile_expression("1 + x", origin="cache-test"), first)
        again = compile_expression("1 + x", origin="cache-test", line=2)
        self.assertIsNot(again, first)

    def test_names_used(self) -> None:
        source = "user.age >= min and 'x' in roles | sorted(key) if flag else other.x"

        expected = {"user", "min", "roles", "sorted", "key", "flag", "other"}
        self.assertEqual(names_used(source), expected)
        self.assertEqual(names_used("1 + 2"), set())

    def test_python_source_reads_only_names_and_rt(self) -> None:
        source = python_source("a.b[c](d) | f(1) if not x in [y] else {'k': -z % 2}")

        free = {node.id for node in ast.walk(ast.parse(source, mode="eval"))
                if isinstance(node, ast.Name)}
        self.assertEqual(free, {"names", "rt"})

    def test_python_source_runs_embedded_without_builtins(self) -> None:
        source = python_source("x * 2 if x > 1 else 0", origin="page.html", line=9)
        code = compile(f"[{source} for names in rows]", "generated", "eval")

        rows = [{"x": 1}, {"x": 3}]
        self.assertEqual(eval(code, {"__builtins__": {}, "rt": runtime, "rows": rows}),
                         [0, 6])

    def test_embedded_runtime_errors_keep_their_place(self) -> None:
        source = python_source("1 +\n  x.y", origin="page.html", line=9, column=14)

        with self.assertRaises(ExpressionError) as caught:
            eval(source, {"__builtins__": {}, "rt": runtime, "names": {"x": {}}})
        error = caught.exception
        self.assertEqual((error.kind, error.origin, error.line, error.column),
                         ("attribute", "page.html", 10, 5))

    def test_syntax_errors_have_kind_and_message(self) -> None:
        with self.assertRaises(ExpressionError) as caught:
            python_source("a +* b", origin="acl.ini", line=4, column=11)

        error = caught.exception
        self.assertEqual(error.kind, "syntax")
        self.assertTrue(str(error).startswith("acl.ini, line 4, column 14: "))


class Account:
    """An application object with attributes, a property and methods."""

    kind = "account"

    def __init__(self, balance: int) -> None:
        self.balance = balance
        self._secret = "hidden"

    @property
    def overdrawn(self) -> bool:
        return self.balance < 0

    def plus(self, amount: int) -> int:
        return self.balance + amount

    def fail(self) -> None:
        raise LookupError("from the application")


class ObjectTests(ExpressionTestCase):
    """Application objects, Python containers and host-only rules."""

    def test_object_attributes_properties_and_methods(self) -> None:
        names = {"acct": Account(-5)}

        self.assertEqual(evaluate("acct.balance", names), -5)
        self.assertIs(evaluate("acct.overdrawn", names), True)
        self.assertEqual(evaluate("acct.plus(7)", names), 2)
        self.assertEqual(evaluate("acct.kind", names), "account")
        self.assertFails("attribute", "acct.missing", names, column=6)

    def test_application_exceptions_pass_through(self) -> None:
        with self.assertRaises(LookupError):
            evaluate("acct.fail()", {"acct": Account(1)})

    def test_tuples_are_lists_and_mappings_are_maps(self) -> None:
        names = {"t": (1, 2), "m": MappingProxyType({"a": 1}), "o": OrderedDict(b=2)}

        self.assertEqual(evaluate("t[1] + m.a + o['b']", names), 5)
        self.assertEqual(evaluate("t + [3]", names), [1, 2, 3])
        self.assertIs(evaluate("t == [1, 2]", names), True)
        self.assertIs(evaluate("'a' in m and 2 in t", names), True)
        self.assertFails("attribute", "m.keys", names)

    def test_results_are_canonical_numbers(self) -> None:
        self.assertIs(type(evaluate("x * 2", {"x": 1.5})), int)
        self.assertIs(type(evaluate("x + 0", {"x": 2**53})), float)
        self.assertIs(type(evaluate("x", {"x": 2.0})), float)

    def test_nan_is_true_and_unequal(self) -> None:
        names = {"nan": math.nan}

        self.assertIs(evaluate("nan or 1", names), names["nan"])
        self.assertIs(evaluate("nan == nan", names), False)
        self.assertIs(evaluate("nan in [nan]", names), False)

    def test_huge_numbers_from_names_are_a_limit(self) -> None:
        self.assertFails("limit", "x * 1.5", {"x": 10**400})
        self.assertFails("limit", "x + 0", {"x": 10**400})

    def test_other_numbers_are_objects(self) -> None:
        self.assertFails("type", "x + 1", {"x": Decimal("1")})
        self.assertIs(evaluate("x == 1", {"x": Decimal("1")}), False)

    def test_objects_use_their_own_order_and_membership(self) -> None:
        names = {"a": datetime.date(2024, 1, 1), "b": datetime.date(2024, 6, 1),
                 "s": {"x"}}

        self.assertIs(evaluate("a < b", names), True)
        self.assertIs(evaluate("'x' in s", names), True)
        self.assertFails("type", "a < 1", names)
        self.assertFails("type", "a < s", names)

    def test_empty_application_containers_are_false(self) -> None:
        self.assertEqual(evaluate("s or 'empty'", {"s": set()}), "empty")


class SafetyTests(ExpressionTestCase):
    """Nothing but what the caller exposes is reachable."""

    def test_no_builtins(self) -> None:
        for name in ("len", "open", "eval", "print", "object", "type"):
            with self.subTest(name=name):
                self.assertFails("name", f"{name}(1)", {})

    def test_underscores_are_refused_before_evaluation(self) -> None:
        for source, kind in (
            ("__builtins__", "name"),
            ("x.__class__", "attribute"),
            ("x._secret", "attribute"),
            ("x.__class__.__mro__", "attribute"),
            ("x | __import__", "name"),
            ("false and x.__dict__", "attribute"),
        ):
            with self.subTest(source=source), self.assertRaises(ExpressionError) as c:
                compile_expression(source)
            self.assertEqual(c.exception.kind, kind)

    def test_classic_escapes_fail(self) -> None:
        for source in (
            "().__class__.__bases__[0].__subclasses__()",
            "''.__class__.__mro__[1]",
            "[].__class__",
            "x.format",
            "'{0.__class__}'.format(x)",
        ):
            with self.subTest(source=source), self.assertRaises(ExpressionError):
                evaluate(source, {"x": "abc"})

    def test_builtin_values_have_no_attributes(self) -> None:
        for value in ("s", 1, 1.5, True, None, [1], (1,), {1}, b"x", len, Account):
            with self.subTest(value=value):
                self.assertFails("attribute", "x.real", {"x": value})
                self.assertFails("attribute", "x.upper", {"x": value})

    def test_python_machinery_has_no_attributes(self) -> None:
        def generator():
            yield 1

        for value in (generator(), fn_add, Account(1).plus, math, print):
            with self.subTest(value=value):
                self.assertFails("attribute", "x.gi_frame", {"x": value})
                self.assertFails("attribute", "x.pi", {"x": value})

    def test_classes_and_dangerous_builtins_are_not_called(self) -> None:
        for value in (dict, Account, type, eval, exec, getattr, open, __import__):
            with self.subTest(value=value):
                self.assertFails("call", "x('1')", {"x": value}, column=2)

    def test_exposed_objects_cannot_be_mutated_through_maps(self) -> None:
        data = {"a": [1]}

        self.assertFails("attribute", "d.clear()", {"d": data})
        self.assertFails("attribute", "d.a.append(2)", {"d": data})
        self.assertEqual(data, {"a": [1]})

    def test_maps_read_keys_not_methods(self) -> None:
        self.assertEqual(evaluate("d.get", {"d": {"get": 4}}), 4)
        self.assertEqual(evaluate("d.items", {"d": {"items": [1]}}), [1])

    def test_no_repetition_so_no_huge_results(self) -> None:
        self.assertFails("type", "'a' * 1000000000")
        self.assertFails("type", "[1] * 1000000000")

    def test_every_error_has_a_known_kind(self) -> None:
        for source in ("1 +", "x", "1 / 0", "'a' - 1", "x.y", "x[1]", "x()", "(" * 40):
            with self.subTest(source=source), self.assertRaises(ExpressionError) as c:
                evaluate(source, {"x": []} if source != "x" else {})
            self.assertIn(c.exception.kind, KINDS)


class SpeedTests(unittest.TestCase):
    """Compiled once, evaluated fast."""

    def test_hundred_thousand_evaluations_under_a_second(self) -> None:
        expr = compile_expression("user.age >= 18 and 'admin' in user.roles")
        names = {"user": {"age": 30, "roles": ["staff", "admin"]}}

        start = time.perf_counter()
        for _ in range(100_000):
            expr.evaluate(names)
        elapsed = time.perf_counter() - start

        self.assertIs(expr.evaluate(names), True)
        self.assertLess(elapsed, 1.0)

    def test_object_names_are_fast_too(self) -> None:
        expr = compile_expression("user.age >= 18 and 'admin' in user.roles")
        names = {"user": SimpleNamespace(age=30, roles=["admin"])}

        start = time.perf_counter()
        for _ in range(100_000):
            expr.evaluate(names)

        self.assertLess(time.perf_counter() - start, 1.0)


if __name__ == "__main__":
    unittest.main()
