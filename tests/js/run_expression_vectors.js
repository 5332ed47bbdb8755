#!/usr/bin/env node
/*
 * Run the shared expression vectors with fw/client/expressions.js.
 *
 *   node tests/js/run_expression_vectors.js [--csp] [vectors.json]
 *
 * With --csp the file runs in a fresh context where code generation from
 * strings is refused (eval and new Function throw), as under a strict
 * Content Security Policy.
 *
 * Prints one JSON line per vector, in order: {"index", "result"} for a
 * value, {"index", "error", "line", "column", "message"} for an
 * ExpressionError, {"index", "exception"} for anything else thrown. An
 * integer-valued number within 2**53 - 1 prints as an integer, any other
 * number with a fraction or exponent (so that Python reads a float back),
 * and infinities and NaN as Infinity, -Infinity and NaN.
 *
 * Required as a module, it exports load() (the fw.expressions namespace,
 * loaded the way a browser would run the file) and the test functions.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

const ROOT = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "fw", "client", "expressions.js");
const VECTORS = path.join(ROOT, "tests", "vectors", "expressions.json");

/** Run the browser file as a classic script and return fw.expressions. */
function load() {
  if (!globalThis.fw || !globalThis.fw.expressions) {
    vm.runInThisContext(fs.readFileSync(SCRIPT, "utf8"), {filename: SCRIPT});
  }
  return globalThis.fw.expressions;
}

/** Run the file where eval and new Function are refused; return the context. */
function loadStrict(globals = {}) {
  const options = {codeGeneration: {strings: false, wasm: false}};
  const context = vm.createContext(globals, options);
  const probe = "try { eval('1'); 'allowed' } catch (error) { error.name }";
  if (vm.runInContext(probe, context) !== "EvalError") {
    throw new Error("The strict context still generates code from strings.");
  }

  vm.runInContext(fs.readFileSync(SCRIPT, "utf8"), context, {filename: SCRIPT});
  return context;
}

function testFunctions(expressions) {
  const fail = (text) => {
    const at = {kind: "type", origin: "<test function>", line: 1, column: 1};
    throw new expressions.ExpressionError(text, at);
  };
  const isNumber = (value) => typeof value === "number";
  const isMap = (value) => value !== null && typeof value === "object" &&
    !Array.isArray(value);

  return {
    fn_add(a, b) {
      if (!isNumber(a) || !isNumber(b)) fail("fn_add adds two numbers.");
      const sum = a + b;
      return Number.isInteger(sum) && Math.abs(sum) <= Number.MAX_SAFE_INTEGER
        ? sum + 0 : sum;
    },
    fn_upper(text) {
      if (typeof text !== "string") fail("fn_upper takes a string.");
      return text.replace(/[a-z]/g, (letter) => letter.toUpperCase());
    },
    fn_len(value) {
      if (typeof value === "string") return Array.from(value).length;
      if (Array.isArray(value)) return value.length;
      if (value instanceof Map) return value.size;
      if (isMap(value)) return Object.keys(value).length;
      return fail("fn_len takes a string, list or map.");
    },
    fn_list(...args) {
      return args;
    },
    fn_join(items, separator) {
      if (!items.every((item) => typeof item === "string")) {
        throw new TypeError("fn_join joins strings only.");
      }
      return items.join(separator);
    },
    fn_default(value, fallback) {
      return value === null || value === undefined ? fallback : value;
    },
  };
}

/** Return JSON text in which numbers keep the language's canonical form. */
function toJson(value) {
  if (typeof value === "number") return numberJson(value);
  if (value === undefined || value === null) return "null";
  if (typeof value === "string" || typeof value === "boolean") {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value instanceof Map) return entriesJson(Array.from(value.entries()));
  if (typeof value === "object") return entriesJson(Object.entries(value));
  return JSON.stringify({$host: typeof value});
}

function numberJson(value) {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) {
    return String(value + 0);
  }
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function entriesJson(entries) {
  const parts = entries.map(([key, item]) => `${JSON.stringify(String(key))}:` +
    toJson(item));
  return `{${parts.join(",")}}`;
}

function outcome(expressions, functions, vector) {
  const names = Object.assign(Object.create(null), functions, vector.names || {});
  try {
    return {result: expressions.compile(vector.expr).evaluate(names)};
  } catch (error) {
    if (!(error instanceof expressions.ExpressionError)) {
      return {exception: `${error.name}: ${error.message}`};
    }
    const {kind, line, column, message} = error;
    return {error: kind, line, column, message};
  }
}

function lineFor(index, found) {
  if (!("result" in found)) return JSON.stringify({index, ...found});
  return `{"index":${index},"result":${toJson(found.result)}}`;
}

function main(args) {
  const strict = args.includes("--csp");
  const file = args.find((arg) => arg !== "--csp") || VECTORS;
  const expressions = strict ? loadStrict().fw.expressions : load();
  const functions = testFunctions(expressions);
  const document = JSON.parse(fs.readFileSync(file, "utf8"));

  const lines = document.vectors.map((vector, index) =>
    lineFor(index, outcome(expressions, functions, vector)));
  process.stdout.write(lines.join("\n") + "\n");
}

module.exports = {load, loadStrict, testFunctions, toJson};

if (require.main === module) main(process.argv.slice(2));
