"""Tests of fw/client/expressions.js, the JavaScript twin, run with node.

The shared vectors run through tests/js/run_expression_vectors.js, and
every outcome is compared twice: with what the vector expects, and with
what the Python implementation gives for the same text and names. Then
come the behaviours only JavaScript can show (host objects, refused
calls, the strict Content Security Policy).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import unittest
from pathlib import Path

from fw.exceptions import ExpressionError
from fw.expressions import KINDS
from tests.test_expressions import evaluate

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "fw" / "client" / "expressions.js"
RUNNER = ROOT / "tests" / "js" / "run_expression_vectors.js"
VECTORS = ROOT / "tests" / "vectors" / "expressions.json"

NODE = shutil.which("node")
NO_NODE = (
    "node is not installed, so fw/client/expressions.js is not tested here; "
    "install Node.js 20 or later to run these tests (CI has it)."
)


def run_node(*args: str) -> str:
    """Run node with ``args`` from the repository root; return its output."""
    done = subprocess.run(
        [NODE, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise AssertionError(f"node failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def is_number(value: object) -> bool:
    """Return whether ``value`` is a language number (booleans are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same_value(left: object, right: object) -> bool:
    """Compare as values correspond across the two languages."""
    if is_number(left) and is_number(right):
        both_nan = math.isnan(left) and math.isnan(right)
        return both_nan or left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_value, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(
            same_value(left[key], right[key]) for key in left
        )
    return left == right


def python_outcome(vector: dict) -> dict:
    """Return what the Python implementation gives for ``vector``."""
    try:
        result = evaluate(vector["expr"], vector.get("names"))
    except ExpressionError as error:
        return {"error": error.kind, "line": error.line, "column": error.column}
    except Exception as error:  # noqa: BLE001 - any other failure is an outcome
        return {"exception": type(error).__name__}
    return {"result": result}


def expected_outcome(vector: dict) -> dict:
    """Return the outcome a vector asks for, with only the keys it gives."""
    if "result" in vector:
        return {"result": vector["result"]}
    keys = ("error", "line", "column")
    return {key: vector[key] for key in keys if key in vector}


def agrees(actual: dict, wanted: dict) -> bool:
    """Return whether ``actual`` has the result or error ``wanted`` describes."""
    if "result" in wanted:
        return "result" in actual and same_value(actual["result"], wanted["result"])
    if "exception" in wanted:
        return "exception" in actual
    return all(actual.get(key) == value for key, value in wanted.items())


def mismatches(vectors: list, outcomes: list, wanted: list, label: str) -> list:
    """Describe every vector whose JavaScript outcome disagrees with ``wanted``."""
    found = []
    for index, (vector, actual, expected) in enumerate(zip(vectors, outcomes, wanted)):
        if not agrees(actual, expected):
            found.append(
                f"vector {index} {vector['expr'][:60]!r}: JavaScript gave "
                f"{_brief(actual)}, {label} {_brief(expected)}"
            )
    return found


def _brief(outcome: dict) -> str:
    shown = {key: value for key, value in outcome.items()
             if key not in ("index", "message")}
    return json.dumps(shown, default=str)[:160]


@unittest.skipIf(NODE is None, NO_NODE)
class VectorTests(unittest.TestCase):
    """Every shared vector, in node, against the file and against Python."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.vectors = json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]
        cls.outcomes = cls.run_vectors()
        cls.strict_outcomes = cls.run_vectors("--csp")

    @classmethod
    def run_vectors(cls, *options: str) -> list:
        output = run_node(str(RUNNER), *options, str(VECTORS))
        # NOTE: split at "\n" only: messages may hold U+2028, which splitlines()
        # would also break at.
        return [json.loads(line) for line in output.split("\n") if line]

    def test_the_file_has_enough_vectors(self) -> None:
        self.assertGreaterEqual(len(self.vectors), 300)

    def test_one_line_per_vector_in_order(self) -> None:
        indexes = [outcome["index"] for outcome in self.outcomes]

        self.assertEqual(indexes, list(range(len(self.vectors))))

    def test_javascript_gives_what_the_vectors_expect(self) -> None:
        wanted = [expected_outcome(vector) for vector in self.vectors]

        found = mismatches(self.vectors, self.outcomes, wanted, "the vector expects")
        if found:
            self.fail(f"{len(found)} mismatches:\n" + "\n".join(found))

    def test_javascript_gives_what_python_gives(self) -> None:
        wanted = [python_outcome(vector) for vector in self.vectors]

        found = mismatches(self.vectors, self.outcomes, wanted, "Python gave")
        if found:
            self.fail(f"{len(found)} mismatches:\n" + "\n".join(found))

    def test_errors_have_known_kinds_and_located_messages(self) -> None:
        for outcome in self.outcomes:
            if "error" in outcome:
                with self.subTest(index=outcome["index"]):
                    self.assertIn(outcome["error"], KINDS)
                    where = f", line {outcome['line']}, column {outcome['column']}: "
                    self.assertIn(where, outcome["message"])

    def test_without_code_generation_nothing_changes(self) -> None:
        self.assertEqual(self.strict_outcomes, self.outcomes)


class SourceTests(unittest.TestCase):
    """The shipped file itself: no code from strings, readable lines."""

    def setUp(self) -> None:
        self.text = SCRIPT.read_text(encoding="utf-8")

    def test_no_code_is_generated_from_strings(self) -> None:
        for pattern in (
            r"\beval\s*\(",
            r"\bnew\s+Function\b",
            r"\bFunction\s*\(",
            r"\bset(Timeout|Interval)\s*\(",
            r"\bimport\s*\(",
            r"\bwith\s*\(",
        ):
            with self.subTest(pattern=pattern):
                self.assertIsNone(re.search(pattern, self.text))

    def test_lines_fit_the_style(self) -> None:
        long_lines = [n for n, line in enumerate(self.text.splitlines(), 1)
                      if len(line) > 88]

        self.assertEqual(long_lines, [])


# Each case is a JavaScript function body; it returns a JSON value. The
# helpers: ex (fw.expressions), run(source, names, where) evaluates with the
# test functions added, and outcome(...) returns {value} or the error caught.
_PRELUDE = """
const runner = require(%(runner)s);
const ex = runner.load();
const functions = runner.testFunctions(ex);
const run = (source, names = {}, where) =>
  ex.compile(source, where).evaluate(Object.assign({}, functions, names));
const caught = (error) => ({thrown: error.name, kind: error.kind,
  line: error.line, column: error.column, message: error.message,
  reason: error.reason, origin: error.origin,
  isExpressionError: error instanceof ex.ExpressionError,
  isError: error instanceof Error});
const outcome = (...args) => {
  try { return {value: run(...args)}; } catch (error) { return caught(error); }
};
class Account {
  constructor(balance) { this.balance = balance; this._secret = "hidden"; }
  get overdrawn() { return this.balance < 0; }
  plus(amount) { return this.balance + amount; }
  fail() { throw new RangeError("from the application"); }
}
Account.prototype.kind = "account";
const results = {};
for (const [name, body] of Object.entries(CASES)) {
  try { results[name] = body(); } catch (error) { results[name] = caught(error); }
}
process.stdout.write(JSON.stringify(results));
"""

CASES = {
    "positions": """
        return outcome("1 + x", {}, {origin: "page.html", line: 7, column: 12});
    """,
    "later_lines": """
        return outcome("1 +\\n\\t x", {}, {origin: "t", line: 3, column: 20});
    """,
    "compiled_once": """
        const expr = ex.compile("a * 2 + fn_len(b)", {origin: "rules"});
        const values = [1, 2.5].map((a) => expr.evaluate({a, b: "xy",
          fn_len: functions.fn_len}));
        return {values, source: expr.source, origin: expr.origin,
          line: expr.line, column: expr.column,
          names: Array.from(expr.namesUsed).sort(), frozen: Object.isFrozen(expr)};
    """,
    "errors_at_compile_time": """
        return ["1 +", "false and x._y", "x | _f", "(".repeat(33)].map((source) => {
          try { ex.compile(source); return null; } catch (error) {
            return error.kind; }
        });
    """,
    "deep_texts_are_limits": """
        const n = 3000;
        return ["(".repeat(n) + "1" + ")".repeat(n), "[".repeat(n), "f(".repeat(n),
          "-".repeat(n) + "1", "not ".repeat(n) + "x", "1" + " + 1".repeat(n),
          "x" + ".a".repeat(n), "x" + " | f".repeat(n),
          "1 if x else ".repeat(n) + "2"].map((source) => outcome(source).kind);
    """,
    "long_inputs": """
        const text = "ab".repeat(50000);
        return [run("'" + text + "'").length,
          run("[" + "1, ".repeat(5000) + "]").length,
          run(Array(2000).fill("x").join(" and "), {x: 1})];
    """,
    "host_maps": """
        const m = new Map([["a", 1], ["b", [2]], [1, "one"]]);
        const names = {m, e: new Map()};
        return [run("m.a + m['b'][0]", names), run("'a' in m", names),
          run("m[1]", names), run("m == {'a': 1, 'b': [2]}", names),
          run("e == {}", names), run("e or 'empty'", names),
          run("fn_len(m)", names), outcome("m.c", names).kind,
          ex.compile("x + 1").evaluate(new Map([["x", 2]]))];
    """,
    "objects": """
        const names = {acct: new Account(-5)};
        return {balance: run("acct.balance", names),
          overdrawn: run("acct.overdrawn", names), plus: run("acct.plus(7)", names),
          kind: run("acct.kind", names), missing: outcome("acct.missing", names),
          hidden: ["constructor", "toString", "valueOf", "hasOwnProperty",
            "isPrototypeOf"].map((key) => outcome("acct." + key, names).kind)};
    """,
    "application_errors_pass_through": """
        return outcome("acct.fail()", {acct: new Account(1)});
    """,
    "undefined_is_null": """
        const names = {u: undefined, o: new (class { constructor() {
          this.u = undefined; } })()};
        return [run("u == null", names), run("o.u == null", names),
          run("u or 1", names), outcome("u + 1", names).kind, run("not u", names)];
    """,
    "refused_calls": """
        const refused = [class K {}, Function, globalThis.eval, Date, Map, Object,
          Array, Object.getPrototypeOf(async function () {}).constructor,
          Object.getPrototypeOf(function* () {}).constructor, setTimeout,
          globalThis.eval.bind(null), Function.bind(null).bind(null)];
        return refused.map((x) => {
          const found = outcome("x('1')", {x});
          return [found.kind, found.column];
        });
    """,
    "allowed_calls": """
        function plain(a) { return a + 1; }
        const holder = new (class { constructor() { this.f = Function; } })();
        return [run("x(1)", {x: plain}), run("x(1)", {x: (a) => a * 2}),
          run("x(1)", {x: plain.bind(null)}), outcome("o.f('return 1')",
            {o: holder}).kind];
    """,
    "dates_and_sets": """
        const names = {a: new Date(2024, 0, 1), b: new Date(2024, 5, 1),
          s: new Set(["x"])};
        return [run("a < b", names), run("a >= b", names),
          outcome("a < 1", names).kind, run("a.getFullYear()", names),
          run("'x' in s", names), run("'y' in s", names),
          outcome("s.size", names).kind, run("s or 1", names) === names.s];
    """,
    "nan": """
        const names = {nan: NaN};
        return [Number.isNaN(run("nan or 1", names)), run("nan == nan", names),
          run("nan in [nan]", names), run("not nan", names),
          run("nan < 1 or nan >= 1", names)];
    """,
    "map_displays_have_no_prototype": """
        const plain = run("{'a': 1}");
        const proto = run("{'__proto__': 1}");
        return [Object.getPrototypeOf(plain), Object.getPrototypeOf(proto),
          Object.keys(proto), proto.__proto__];
    """,
    "nothing_is_mutated": """
        const data = {a: [1]};
        return [outcome("d.a.push(2)", {d: data}).kind,
          outcome("d.a.concat", {d: data}).kind, data.a];
    """,
    "source_must_be_text": """
        try { ex.compile(42); return null; } catch (error) {
          return [error.name, error.message]; }
    """,
    "names_must_be_a_mapping": """
        try { ex.compile("1").evaluate(null); return null; } catch (error) {
          return [error.name, error.message]; }
    """,
    "helpers": """
        return [ex.isTrue([]), ex.isTrue(NaN), ex.isTrue(new Map()), ex.isTrue({}),
          ex.isTrue(Object.create(null)), ex.isTrue("0"), ex.isTrue(-0),
          ex.equal([1, {a: 1}], [1.0, {a: 1}]), ex.equal(true, 1),
          ex.equal(null, undefined), ex.equal("a", "a"),
          Array.from(ex.KINDS), ex.MAX_DEPTH, ex.MAX_NESTING];
    """,
    "speed": """
        const expr = ex.compile("user.age >= 18 and 'admin' in user.roles");
        const names = {user: {age: 30, roles: ["staff", "admin"]}};
        const start = process.hrtime.bigint();
        for (let i = 0; i < 100000; i += 1) expr.evaluate(names);
        const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
        return [expr.evaluate(names), elapsed];
    """,
    "browser_namespace": """
        const context = runner.loadStrict({fw: {other: 1}});
        const expr = context.fw.expressions.compile("'a' + 'b'");
        return [context.fw.other, expr.evaluate({}), typeof context.module];
    """,
}


@unittest.skipIf(NODE is None, NO_NODE)
class BehaviourTests(unittest.TestCase):
    """What only the JavaScript side can show, all run in one node process."""

    @classmethod
    def setUpClass(cls) -> None:
        cases = ",\n".join(
            f"{json.dumps(name)}: () => {{{body}}}" for name, body in CASES.items()
        )
        prelude = _PRELUDE % {"runner": json.dumps(str(RUNNER))}
        script = f"const CASES = {{{cases}}};\n{prelude}"
        cls.results = json.loads(run_node("-e", script))

    def test_positions_start_where_the_caller_says(self) -> None:
        error = self.results["positions"]

        self.assertTrue(error["isExpressionError"] and error["isError"])
        self.assertEqual((error["kind"], error["line"], error["column"]),
                         ("name", 7, 16))
        self.assertEqual(error["origin"], "page.html")
        self.assertTrue(error["message"].startswith("page.html, line 7, column 16: "))
        self.assertEqual(error["message"].split(": ", 1)[1], error["reason"])

    def test_later_lines_start_at_column_one(self) -> None:
        error = self.results["later_lines"]

        self.assertEqual((error["line"], error["column"]), (4, 3))

    def test_compiled_once_evaluated_with_any_names(self) -> None:
        found = self.results["compiled_once"]

        self.assertEqual(found["values"], [4, 7])
        self.assertEqual((found["origin"], found["line"], found["column"]),
                         ("rules", 1, 1))
        self.assertEqual(found["names"], ["a", "b", "fn_len"])
        self.assertTrue(found["frozen"])

    def test_text_errors_are_raised_when_compiling(self) -> None:
        self.assertEqual(self.results["errors_at_compile_time"],
                         ["syntax", "attribute", "name", "limit"])

    def test_very_deep_nesting_is_a_clean_limit(self) -> None:
        self.assertEqual(self.results["deep_texts_are_limits"], ["limit"] * 9)

    def test_long_inputs(self) -> None:
        self.assertEqual(self.results["long_inputs"], [100_000, 5_000, 1])

    def test_host_maps_are_maps(self) -> None:
        self.assertEqual(self.results["host_maps"],
                         [3, True, "one", False, True, "empty", 3, "attribute", 3])

    def test_application_objects(self) -> None:
        found = self.results["objects"]

        self.assertEqual(
            [found["balance"], found["overdrawn"], found["plus"], found["kind"]],
            [-5, True, 2, "account"],
        )
        self.assertEqual((found["missing"]["kind"], found["missing"]["column"]),
                         ("attribute", 6))
        self.assertEqual(found["hidden"], ["attribute"] * 5)

    def test_application_errors_pass_through(self) -> None:
        error = self.results["application_errors_pass_through"]

        self.assertEqual(error["thrown"], "RangeError")
        self.assertFalse(error["isExpressionError"])

    def test_undefined_from_the_host_is_null(self) -> None:
        self.assertEqual(self.results["undefined_is_null"],
                         [True, True, 1, "type", True])

    def test_classes_constructors_and_eval_are_not_called(self) -> None:
        self.assertEqual(self.results["refused_calls"], [["call", 2]] * 12)

    def test_plain_functions_are_called(self) -> None:
        self.assertEqual(self.results["allowed_calls"], [2, 2, 2, "call"])

    def test_dates_order_and_sets_hold(self) -> None:
        self.assertEqual(self.results["dates_and_sets"],
                         [True, False, "type", 2024, True, False, "attribute", True])

    def test_nan_is_true_and_unequal(self) -> None:
        self.assertEqual(self.results["nan"], [True, False, False, False, False])

    def test_map_displays_have_no_prototype(self) -> None:
        self.assertEqual(self.results["map_displays_have_no_prototype"],
                         [None, None, ["__proto__"], 1])

    def test_values_cannot_be_mutated(self) -> None:
        self.assertEqual(self.results["nothing_is_mutated"],
                         ["attribute", "attribute", [1]])

    def test_source_must_be_text(self) -> None:
        name, message = self.results["source_must_be_text"]

        self.assertEqual(name, "TypeError")
        self.assertIn("a number", message)

    def test_names_must_be_a_mapping(self) -> None:
        name, message = self.results["names_must_be_a_mapping"]

        self.assertEqual(name, "TypeError")
        self.assertIn("null", message)

    def test_exported_helpers(self) -> None:
        found = self.results["helpers"]

        self.assertEqual(found[:11],
                         [False, True, False, False, False, True, False, True,
                          False, True, True])
        self.assertEqual(set(found[11]), KINDS)
        self.assertEqual(found[12:], [64, 32])

    def test_hundred_thousand_evaluations_under_a_second(self) -> None:
        value, elapsed = self.results["speed"]

        self.assertIs(value, True)
        self.assertLess(elapsed, 1.0)

    def test_the_browser_namespace_is_shared(self) -> None:
        self.assertEqual(self.results["browser_namespace"], [1, "ab", "undefined"])


if __name__ == "__main__":
    unittest.main()
