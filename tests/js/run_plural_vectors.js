// Run tests/vectors/plurals.json through fw/client/plurals.js under node.
//
// Usage: node tests/js/run_plural_vectors.js [plurals.js] [plurals.json]
// Prints one JSON object: {"checked": N, "failures": [...]}, and exits 1
// when a case fails. The file is loaded the way a browser would run it: as
// a script attaching fw.plurals to the global object of a fresh context.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

const root = path.resolve(__dirname, "..", "..");
const scriptPath = process.argv[2] || path.join(root, "fw/client/plurals.js");
const vectorsPath = process.argv[3] || path.join(root, "tests/vectors/plurals.json");

function load(file) {
  const context = vm.createContext({});
  vm.runInContext(fs.readFileSync(file, "utf8"), context, { filename: file });
  return context.fw.plurals;
}

// The script runs in its own context, whose Error classes are not this one's.
function errorKind(error) {
  const name = error && error.name;
  return { TypeError: "type", RangeError: "value" }[name] || "unexpected";
}

function run(plurals, testCase) {
  try {
    return { category: plurals.category(testCase.lang, testCase.count) };
  } catch (error) {
    return { error: errorKind(error), message: String(error && error.message) };
  }
}

function failed(testCase, got) {
  if (testCase.error !== undefined) {
    return got.error !== testCase.error;
  }
  return got.category !== testCase.category;
}

const plurals = load(scriptPath);
const cases = JSON.parse(fs.readFileSync(vectorsPath, "utf8")).cases;
const failures = [];
for (const testCase of cases) {
  const got = run(plurals, testCase);
  if (failed(testCase, got)) {
    failures.push({ case: testCase, got });
  }
}
process.stdout.write(JSON.stringify({ checked: cases.length, failures }) + "\n");
process.exitCode = failures.length ? 1 : 0;
