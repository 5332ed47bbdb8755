"""Tests of fw/client/validation.js under node: the same verdicts as Python.

Every test here needs node (v20 in CI); without it they are skipped with a
message that says so.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from typing import Any

from fw.validation import TYPES, read, rules_for_form, rules_to_json, shared_source
from tests.test_validation import PatternTestCase, load_vectors

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "js" / "run_validation_vectors.js"
SCRIPT = ROOT / "fw" / "client" / "validation.js"
NODE = shutil.which("node")
BOTH = ("expressions", "validation")
SKIP = "node is not installed, so the JavaScript validation cannot run here (CI has it)"

#: Form strings read with every type on both sides: digits of other
#: scripts, space that is not ASCII, case folding traps, number edges.
STRINGS = [
    "", " ", "\t\n", "\u00a0", "\u2028", "\ufeff1", "1\u200b", "\u0663", "\uff11",
    "1e3", "0x10", "-0", "+0", "0.0", "-.0", ".5", "5.", "+-1", "1_0",
    "9007199254740991", "9007199254740992", "-9007199254740993", "1" * 30,
    "0" * 30 + "1", "1" + "0" * 400, "0." + "0" * 30 + "1",
    "0.30000000000000001", "123456789.123456789",
    "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0000-12-31",
    "2024-1-01", "10:61", "23:59:59", "24:00", "07:05", "2024-01-01T10:00",
    "2024-01-01 10:00:59", "2024-01-01T10:00:00Z",
    "a@b", "a@b.c", "a.@b", "a@b..c", "\u0130@x.y", "http://x.y/\u00e9",
    "https://x.y/?q=1#f", "HTTP://X", "ON", "oN", "yes", "\u0130", "\u212a",
    "\u017f", "true\u0000", "a\r\nb", "a\rb", " \r\n x \r\n ", "a\u000bb",
    "\U0001f600", "e\u0301", "\ud7ff",
]

#: Texts tried against every accepted pattern.
SAMPLES = [
    "", "a", "abc", "ABC", "a-b", "a\nb", "a\u2028b", "\u00e9", "e\u0301", "$",
    "\\", ".", "[", "-", "]", "ab" * 3, "xx", "xxx", "xxxxx", "yyy", "abcxyyy",
    "\U0001f600", "\U0001f601\U0001f601", "$^./{}[]()|*+?\\",
]


def _tag(value: Any) -> tuple:
    if isinstance(value, dict):
        return ("number", value["number"])
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, float) and math.isinf(value):
        return ("number", "Infinity" if value > 0 else "-Infinity")
    return ("number", float(value))


@unittest.skipIf(NODE is None, SKIP)
class NodeTestCase(unittest.TestCase):
    """Run node once per class, on everything the tests below compare."""

    output: dict = {}

    @classmethod
    def setUpClass(cls) -> None:
        cls.cases = load_vectors()
        cls.readings = [[kind, text] for kind in TYPES for text in STRINGS]
        cls.patterns = [
            [shared_source(pattern), text]
            for pattern in [*PatternTestCase.ACCEPTED, *_vector_patterns(cls.cases)]
            for text in SAMPLES
        ]
        cls.output = _run_node({
            "cases": [
                {"rules": json.loads(rules_to_json(rules_for_form(case["rules"]))),
                 "input": case["input"]}
                for case in cls.cases
            ],
            "readings": cls.readings,
            "patterns": cls.patterns,
        })

    def test_javascript_gives_the_expected_errors_in_order(self):
        for case, found in zip(self.cases, self.output["cases"], strict=True):
            with self.subTest(case["name"]):
                self.assertNotIn("exception", found)

                self.assertEqual(list(found["errors"].items()),
                                 list(case["errors"].items()))

    def test_every_type_reads_every_string_alike(self):
        for (kind, text), found in zip(self.readings, self.output["readings"],
                                       strict=True):
            with self.subTest(kind=kind, text=text):
                mine = read(kind, text)

                self.assertEqual(found["ok"], mine.ok)
                self.assertEqual(found["text"], mine.text)
                self.assertEqual(_tag(found["value"]), _tag(mine.value))

    def test_shared_patterns_match_the_same_texts(self):
        for (source, text), found in zip(self.patterns, self.output["patterns"],
                                         strict=True):
            with self.subTest(source=source, text=text):
                self.assertEqual(found, re.fullmatch(source, text) is not None)


@unittest.skipIf(NODE is None, SKIP)
class BrowserBehaviourTestCase(unittest.TestCase):
    """What only the browser side has: FormData-like input, loading order."""

    RULES = rules_to_json(rules_for_form({
        "name": {"required": True, "max_length": 3},
        "age": {"type": "integer", "condition": "value >= 18"},
    }))

    def node(self, body: str, *, scripts: tuple[str, ...] = BOTH) -> Any:
        paths = [json.dumps(str(SCRIPT.parent / f"{name}.js")) for name in scripts]
        loads = "".join(
            f"vm.runInContext(fs.readFileSync({path}, 'utf8'), context);"
            for path in paths
        )
        program = (
            "const fs = require('fs'); const vm = require('vm');"
            "const context = vm.createContext({});" + loads +
            "const fw = context.fw; const rules = " + self.RULES + ";"
            "const result = (() => {" + body + "})();"
            "process.stdout.write(JSON.stringify(result));"
        )
        done = subprocess.run(
            [NODE, "-e", program], capture_output=True, text=True, timeout=30
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_form_data_maps_and_json_text_give_the_same_verdict(self):
        found = self.node(
            "const data = new URLSearchParams('name=abcd&age=17');"
            "const map = new Map([['name', 'abcd'], ['age', '17']]);"
            f"return [fw.validation.validate(rules, data),"
            f" fw.validation.validate({json.dumps(self.RULES)}, map),"
            " fw.validation.validate(rules, {name: 'abcd', age: '17'})];"
        )

        self.assertEqual(found[0], found[1])
        self.assertEqual(found[0], found[2])
        self.assertEqual([e["rule"] for e in found[0]["name"]], ["max_length"])
        self.assertEqual([e["rule"] for e in found[0]["age"]], ["condition"])

    def test_conditions_need_the_expressions_script(self):
        found = self.node(
            "try { fw.validation.validate(rules, {}); return 'no error'; }"
            " catch (error) { return error.message; }",
            scripts=("validation",),
        )

        self.assertIn("fw/client/expressions.js", found)

    def test_rules_without_conditions_need_nothing_else(self):
        found = self.node(
            "const plain = {fields: [rules.fields[0]]};"
            "return fw.validation.validate(plain, {name: ''});",
            scripts=("validation",),
        )

        self.assertEqual(found["name"][0]["message"], "validation.required")

    def test_rules_the_script_does_not_know_are_refused(self):
        found = self.node(
            "const odd = {fields: [{name: 'x', type: 'text',"
            " rules: [{rule: 'shout', value: 1, message: 'm'}]}]};"
            "try { fw.validation.validate(odd, {}); return 'no error'; }"
            " catch (error) { return error.message; }"
        )

        self.assertIn("unknown rule shout", found)

    def test_the_script_runs_under_a_strict_content_security_policy(self):
        source = SCRIPT.read_text(encoding="utf-8")

        self.assertNotRegex(source, r"\beval\s*\(")
        self.assertNotRegex(source, r"\bFunction\s*\(")
        self.assertNotIn("setTimeout(\"", source)


def _vector_patterns(cases: list[dict]) -> list[str]:
    found = []
    for case in cases:
        for spec in case["rules"].values():
            pattern = spec.get("pattern")
            if isinstance(pattern, str) and pattern not in found:
                found.append(pattern)
    return found


def _run_node(data: dict) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "input.json")
        path.write_text(json.dumps(data), encoding="utf-8")
        done = subprocess.run(
            [NODE, str(RUNNER), str(path)], capture_output=True, text=True, timeout=60
        )
    if done.returncode != 0:
        raise AssertionError(f"node failed: {done.stderr}")
    return json.loads(done.stdout)


if __name__ == "__main__":
    unittest.main()
