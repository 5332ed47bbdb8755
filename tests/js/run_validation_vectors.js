#!/usr/bin/env node
/*
 * Run validation cases with fw/client/validation.js, as a browser would.
 *
 *   node tests/js/run_validation_vectors.js input.json
 *
 * input.json is written by tests/test_validation_js.py (only Python turns
 * rule descriptions into the JSON the browser gets) and may hold:
 *
 *   "cases":    [{"rules": <rules_to_json>, "input": {...}}, ...]
 *   "readings": [[type, form string], ...]
 *   "patterns": [[shared regex source, text], ...]
 *
 * It prints one JSON object with the same keys: per case {"errors"} or
 * {"exception"}; per reading {"ok", "text", "value"}, an infinite value
 * written as {"number": "Infinity"} (or "-Infinity"); per pattern a boolean.
 *
 * The two browser files run as classic scripts in a fresh context whose
 * global object is the only thing they share, as in a page.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

const ROOT = path.resolve(__dirname, "..", "..");
const SCRIPTS = ["expressions.js", "validation.js"].map(
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

function runCase(fw, item) {
  try {
    return {errors: fw.validation.validate(item.rules, item.input)};
  } catch (failure) {
    return {exception: `${failure.name}: ${failure.message}`};
  }
}

function runReading(fw, [kind, text]) {
  const {ok, text: cleaned, value} = fw.validation.read(kind, text);
  const finite = typeof value !== "number" || Number.isFinite(value);
  return {ok, text: cleaned, value: finite ? value : {number: String(value)}};
}

function run(file) {
  const fw = load();
  const input = JSON.parse(fs.readFileSync(file, "utf8"));
  const output = {
    cases: (input.cases || []).map((item) => runCase(fw, item)),
    readings: (input.readings || []).map((item) => runReading(fw, item)),
    patterns: (input.patterns || []).map(
      ([source, text]) => new RegExp(source, "u").test(text),
    ),
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

if (require.main === module) {
  if (process.argv.length !== 3) {
    process.stderr.write("usage: node run_validation_vectors.js input.json\n");
    process.exit(2);
  }
  run(process.argv[2]);
}

module.exports = {load};
