#!/usr/bin/env node
/*
 * Run fw/client/forms.js's pure functions, as a page would load them.
 *
 *   node tests/js/run_forms_cases.js input.json
 *
 * input.json is written by tests/test_forms.py and may hold:
 *
 *   "fills": [[template, params], ...]
 *   "cases": [{"rules": <rules_to_json>, "messages": {...}, "input": {...}}]
 *
 * It prints one JSON object with the same keys: per fill {"text"} or
 * {"refused": true}; per case the {field: [message, ...]} of fw.forms.check.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

const ROOT = path.resolve(__dirname, "..", "..");
const SCRIPTS = ["expressions.js", "validation.js", "forms.js"].map(
  (name) => path.join(ROOT, "fw", "client", name),
);

/** Load the browser files into a new context and return its fw namespace. */
function load() {
  const context = vm.createContext({});
  for (const script of SCRIPTS) {
    vm.runInContext(fs.readFileSync(script, "utf8"), context, {filename: script});
  }
  return context.fw;
}

function runFill(fw, [template, params]) {
  try {
    return {text: fw.forms.fill(template, fw.forms.shownParams(params))};
  } catch (failure) {
    if (failure instanceof fw.forms.FillError) return {refused: true};
    throw failure;
  }
}

function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const fw = load();
  const output = {};
  if (input.fills) output.fills = input.fills.map((each) => runFill(fw, each));
  if (input.cases) {
    output.cases = input.cases.map(
      (each) => JSON.parse(JSON.stringify(
        fw.forms.check(each.rules, each.input, each.messages),
      )),
    );
  }
  process.stdout.write(JSON.stringify(output));
}

main();
