/*
 * fw's expression language in the browser: the twin of fw/expressions/.
 *
 * docs/expressions.md is the specification; both implementations pass the
 * vectors in tests/vectors/expressions.json. Text is parsed once into a
 * syntax tree, and the tree is turned into nested closures, so evaluating
 * never parses again. No text is ever run as code (no eval, no Function
 * constructor), so the file works under a strict Content Security Policy.
 *
 *   const expr = fw.expressions.compile("age >= 18", {origin: "form"});
 *   expr.evaluate({age: 20});  // true
 *
 * Every error raised on purpose is a fw.expressions.ExpressionError whose
 * kind is one of KINDS and whose line and column point into the text.
 */
(function (root) {
  "use strict";

  const KINDS = Object.freeze([
    "syntax", "limit", "name", "attribute", "index", "type", "division", "call",
  ]);

  const MAX_DEPTH = 64;
  const MAX_NESTING = 32;
  const MAX_SAFE = Number.MAX_SAFE_INTEGER;
  const DEFAULT_ORIGIN = "<expression>";

  const KEYWORDS = new Set([
    "and", "or", "not", "in", "if", "else", "true", "false", "null",
  ]);
  const PYTHON_WORDS = {True: "true", False: "false", None: "null"};
  const CONSTANTS = {true: true, false: false, null: null};
  const HINTS = {
    "=": "write == to compare two values",
    "!": "write not to negate a value",
    "&": "write and to join two conditions",
  };
  const PAIRS = new Set(["==", "!=", "<=", ">="]);
  const SINGLES = new Set("-<>+*/%()[]{},:.|");
  const SPACES = new Set([" ", "\t", "\r", "\n"]);
  const ESCAPES = {"\\": "\\", "'": "'", "\"": "\"", n: "\n", t: "\t", r: "\r"};
  const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);

  const hasOwn = (value, key) => Object.prototype.hasOwnProperty.call(value, key);
  const sourceOf = Function.prototype.toString;

  /** An expression that does not parse, or failed while it was evaluated. */
  class ExpressionError extends Error {
    constructor(text, {kind, origin = DEFAULT_ORIGIN, line, column} = {}) {
      super(describe(text, origin, line, column));
      this.name = "ExpressionError";
      this.kind = kind;
      this.reason = text;
      this.origin = origin;
      this.line = line;
      this.column = column;
    }
  }

  function describe(text, origin, line, column) {
    const where = origin ? [String(origin)] : [];
    if (line !== undefined && line !== null) where.push(`line ${line}`);
    if (column !== undefined && column !== null) where.push(`column ${column}`);

    return where.length ? `${where.join(", ")}: ${text}` : text;
  }

  function fail(kind, text, at) {
    const where = {kind, origin: at.origin, line: at.line, column: at.column};
    throw new ExpressionError(text, where);
  }

  // Tokens

  function tokenize(source, origin, line, column) {
    const scanner = {
      chars: Array.from(source), index: 0, origin, line, lineStart: 0,
      firstColumn: column, tokens: [],
    };
    while (skipSpace(scanner)) scanner.tokens.push(readToken(scanner));

    scanner.tokens.push({kind: "end", text: "", value: null, ...here(scanner)});
    return scanner.tokens;
  }

  function skipSpace(scanner) {
    const chars = scanner.chars;
    while (scanner.index < chars.length && SPACES.has(chars[scanner.index])) {
      if (chars[scanner.index] === "\n") {
        scanner.line += 1;
        scanner.lineStart = scanner.index + 1;
        scanner.firstColumn = 1;
      }
      scanner.index += 1;
    }
    return scanner.index < chars.length;
  }

  function here(scanner, index = scanner.index) {
    const column = scanner.firstColumn + index - scanner.lineStart;
    return {origin: scanner.origin, line: scanner.line, column};
  }

  function readToken(scanner) {
    const char = scanner.chars[scanner.index];
    if (char === "'" || char === "\"") return readString(scanner, char);
    if (char >= "0" && char <= "9") return readNumber(scanner);
    if (isNameStart(char)) return readWord(scanner);
    return readSymbol(scanner);
  }

  function isNameStart(char) {
    return (char >= "A" && char <= "Z") || (char >= "a" && char <= "z") || char === "_";
  }

  function isWordChar(char) {
    return char !== undefined && (isNameStart(char) || (char >= "0" && char <= "9"));
  }

  function isDigit(char) {
    return char !== undefined && char >= "0" && char <= "9";
  }

  function token(scanner, kind, text, value, end) {
    const found = {kind, text, value, ...here(scanner)};
    scanner.index = end;
    return found;
  }

  function readWord(scanner) {
    const chars = scanner.chars;
    let end = scanner.index + 1;
    while (isWordChar(chars[end])) end += 1;

    const text = chars.slice(scanner.index, end).join("");
    if (hasOwn(PYTHON_WORDS, text)) {
      fail("syntax", `Write ${PYTHON_WORDS[text]}, not ${text}: the expression ` +
        "language spells its constants in lower case.", here(scanner));
    }
    return token(scanner, KEYWORDS.has(text) ? "keyword" : "name", text, text, end);
  }

  function readNumber(scanner) {
    const chars = scanner.chars;
    const end = numberEnd(chars, scanner.index);
    if (isWordChar(chars[end])) {
      fail("syntax", "A number runs into a letter, digit or underscore here; " +
        "write integers without leading zeros and separate words from numbers.",
      here(scanner, end));
    }

    const text = chars.slice(scanner.index, end).join("");
    return token(scanner, "number", text, canonical(Number(text)), end);
  }

  function numberEnd(chars, start) {
    let end = start + 1;
    if (chars[start] !== "0") while (isDigit(chars[end])) end += 1;

    if (chars[end] === "." && isDigit(chars[end + 1])) {
      end += 2;
      while (isDigit(chars[end])) end += 1;
    }
    if (chars[end] === "e" || chars[end] === "E") {
      const sign = chars[end + 1] === "+" || chars[end + 1] === "-" ? 1 : 0;
      if (isDigit(chars[end + 1 + sign])) {
        end += 2 + sign;
        while (isDigit(chars[end])) end += 1;
      }
    }
    return end;
  }

  function readSymbol(scanner) {
    const start = scanner.index;
    const char = scanner.chars[start];
    const pair = char + (scanner.chars[start + 1] || "");
    if (PAIRS.has(pair)) return token(scanner, "symbol", pair, pair, start + 2);
    if (SINGLES.has(char)) return token(scanner, "symbol", char, char, start + 1);

    const hint = HINTS[char] || "remove it or put it inside a quoted string";
    fail("syntax", `Unexpected character ${JSON.stringify(char)}: ${hint}.`,
      here(scanner));
  }

  function readString(scanner, quote) {
    const chars = scanner.chars;
    const start = scanner.index;
    const parts = [];
    scanner.index += 1;
    while (chars[scanner.index] !== quote) {
      const char = chars[scanner.index];
      if (char === undefined || char === "\n" || char === "\r") {
        fail("syntax", "This string is not closed before the end of the line; add " +
          `the closing ${quote} (write \\n for a line break inside a string).`,
        here(scanner, start));
      }
      parts.push(char === "\\" ? readEscape(scanner) : char);
      if (char !== "\\") scanner.index += 1;
    }

    const text = chars.slice(start, scanner.index + 1).join("");
    const value = parts.join("");
    const found = {kind: "string", text, value, ...here(scanner, start)};
    scanner.index += 1;
    return found;
  }

  function readEscape(scanner) {
    const char = scanner.chars[scanner.index + 1];
    if (char !== undefined && hasOwn(ESCAPES, char)) {
      scanner.index += 2;
      return ESCAPES[char];
    }
    if (char !== "u") {
      fail("syntax", `Unknown escape \\${char || ""} in a string; use one of ` +
        "\\\\ \\' \\\" \\n \\t \\r, or \\u and four hexadecimal digits.",
      here(scanner));
    }

    const code = readHex4(scanner);
    if (code >= 0xdc00 && code <= 0xdfff) {
      fail("syntax", "A \\u escape gives a lone low surrogate; write a character " +
        "outside the BMP as a high and low surrogate pair.",
      here(scanner, scanner.index - 6));
    }
    if (code >= 0xd800 && code <= 0xdbff) return readLowSurrogate(scanner, code);
    return String.fromCodePoint(code);
  }

  function hexAt(chars, index) {
    const digits = chars.slice(index, index + 4).join("");
    return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : -1;
  }

  function readHex4(scanner) {
    const code = hexAt(scanner.chars, scanner.index + 2);
    if (code < 0) {
      fail("syntax", "A \\u escape needs exactly four hexadecimal digits, as in " +
        "\\u00e9.", here(scanner));
    }

    scanner.index += 6;
    return code;
  }

  function readLowSurrogate(scanner, high) {
    const chars = scanner.chars;
    const isEscape = chars[scanner.index] === "\\" && chars[scanner.index + 1] === "u";
    const low = isEscape ? hexAt(chars, scanner.index + 2) : -1;
    if (low < 0xdc00 || low > 0xdfff) {
      fail("syntax", "A \\u escape gives a high surrogate that no low surrogate " +
        "follows; write the pair, as in \\ud83d\\ude00.",
      here(scanner, scanner.index - 6));
    }

    scanner.index += 6;
    return String.fromCodePoint(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00));
  }

  // Parsing: one function per grammar rule, chains read in loops

  function parse(source, origin, line, column) {
    const parser = {tokens: tokenize(source, origin, line, column), index: 0,
      nesting: 0, origin};
    const tree = parseExpression(parser);

    const next = peek(parser);
    if (next.kind !== "end") {
      unexpected(next, "an operator or the end of the expression");
    }
    return tree;
  }

  function peek(parser, ahead = 0) {
    const tokens = parser.tokens;
    return tokens[Math.min(parser.index + ahead, tokens.length - 1)];
  }

  function advance(parser) {
    const next = peek(parser);
    parser.index += 1;
    return next;
  }

  function accept(parser, text) {
    const next = peek(parser);
    if ((next.kind === "symbol" || next.kind === "keyword") && next.text === text) {
      parser.index += 1;
      return next;
    }
    return null;
  }

  function expect(parser, text, expected) {
    const found = accept(parser, text);
    if (found === null) unexpected(peek(parser), expected);
    return found;
  }

  function unexpected(found, expected) {
    const what = found.kind === "end" ? "the end of the expression"
      : JSON.stringify(found.text);
    fail("syntax", `Found ${what} where ${expected} was expected.`, found);
  }

  function build(type, at, fields, parts) {
    let deepest = 0;
    for (const part of parts) deepest = Math.max(deepest, part.depth);

    const node = {type, line: at.line, column: at.column, depth: 1 + deepest,
      parts, ...fields};
    if (node.depth > MAX_DEPTH) {
      fail("limit", `The expression nests deeper than ${MAX_DEPTH} levels; split ` +
        "it, or compute part of it in code.", at);
    }
    return node;
  }

  function parseExpression(parser) {
    const branches = [];
    let value = parseOr(parser);
    let found;
    while ((found = accept(parser, "if")) !== null) {
      const test = parseOr(parser);
      expect(parser, "else", "'else' and the value for a false condition");
      branches.push([value, found, test]);
      value = parseOr(parser);
    }

    for (const [then, at, test] of branches.reverse()) {
      value = build("Conditional", at, {then, test, otherwise: value},
        [then, test, value]);
    }
    return value;
  }

  function parseOr(parser) {
    return parseChain(parser, "or", parseAnd);
  }

  function parseAnd(parser) {
    return parseChain(parser, "and", parseNot);
  }

  function parseChain(parser, word, operand) {
    const operands = [operand(parser)];
    let first = null;
    let found;
    while ((found = accept(parser, word)) !== null) {
      first = first || found;
      operands.push(operand(parser));
    }

    if (first === null) return operands[0];
    return build(word === "and" ? "And" : "Or", first, {operands}, operands);
  }

  function parseNot(parser) {
    const words = [];
    let found;
    while ((found = accept(parser, "not")) !== null) words.push(found);

    let node = parseComparison(parser);
    for (const word of words.reverse()) {
      node = build("Not", word, {operand: node}, [node]);
    }
    return node;
  }

  function parseComparison(parser) {
    const left = parseSum(parser);
    const [at, op] = comparisonOperator(parser);
    if (op === null) return left;

    const right = parseSum(parser);
    const following = peek(parser);
    if (comparisonOperator(parser)[1] !== null) {
      fail("syntax", "Comparisons cannot be chained; join them with and, as in " +
        "a < b and b < c.", following);
    }
    return build("Compare", at, {op, left, right}, [left, right]);
  }

  function comparisonOperator(parser) {
    const next = peek(parser);
    if (next.kind === "symbol" && COMPARISONS.has(next.text)) {
      return [advance(parser), next.text];
    }
    if (next.kind === "keyword" && next.text === "in") return [advance(parser), "in"];
    if (next.kind === "keyword" && next.text === "not") {
      const following = peek(parser, 1);
      if (following.kind === "keyword" && following.text === "in") {
        parser.index += 2;
        return [next, "not in"];
      }
    }
    return [next, null];
  }

  function parseSum(parser) {
    return parseBinary(parser, ["+", "-"], parseProduct);
  }

  function parseProduct(parser) {
    return parseBinary(parser, ["*", "/", "%"], parseUnary);
  }

  function parseBinary(parser, ops, operand) {
    let node = operand(parser);
    let next;
    while ((next = peek(parser)).kind === "symbol" && ops.includes(next.text)) {
      parser.index += 1;
      const right = operand(parser);
      node = build("Binary", next, {op: next.text, left: node, right}, [node, right]);
    }
    return node;
  }

  function parseUnary(parser) {
    const signs = [];
    let next;
    while ((next = peek(parser)).kind === "symbol" && "-+".includes(next.text)) {
      signs.push(advance(parser));
    }

    let node = parsePostfix(parser);
    for (const sign of signs.reverse()) {
      node = build("Unary", sign, {op: sign.text, operand: node}, [node]);
    }
    return node;
  }

  function parsePostfix(parser) {
    let node = parsePrimary(parser);
    let next;
    while ((next = peek(parser)).kind === "symbol" && hasOwn(POSTFIX, next.text)) {
      node = POSTFIX[next.text](parser, node);
    }
    return node;
  }

  function parseAttribute(parser, value) {
    parser.index += 1;
    const name = takeName(parser, "an attribute name after '.'", "attribute");
    return build("Attribute", name, {value, name: name.text}, [value]);
  }

  function parseItem(parser, value) {
    const at = open(parser);
    const key = parseExpression(parser);
    close(parser, "]");
    return build("Item", at, {value, key}, [value, key]);
  }

  function parseCall(parser, callee) {
    const at = peek(parser);
    const args = parseSequence(parser, ")", parseExpression);
    return build("Call", at, {callee, args}, [callee, ...args]);
  }

  function parseFilter(parser, value) {
    parser.index += 1;
    const name = takeName(parser, "a filter name after '|'", "name");
    let args = [];
    if (peek(parser).text === "(") args = parseSequence(parser, ")", parseExpression);
    return build("Filter", name, {value, name: name.text, args}, [value, ...args]);
  }

  const POSTFIX = {".": parseAttribute, "[": parseItem, "(": parseCall,
    "|": parseFilter};

  function takeName(parser, expected, kind) {
    const next = peek(parser);
    if (next.kind !== "name") unexpected(next, expected);
    if (next.text.startsWith("_")) {
      fail(kind, `The name ${JSON.stringify(next.text)} starts with '_'; such names ` +
        "are private and cannot be reached from an expression.", next);
    }

    parser.index += 1;
    return next;
  }

  function parsePrimary(parser) {
    const next = peek(parser);
    if (next.kind === "number" || next.kind === "string") {
      parser.index += 1;
      return build("Literal", next, {value: next.value}, []);
    }
    if (next.kind === "keyword" && hasOwn(CONSTANTS, next.text)) {
      parser.index += 1;
      return build("Literal", next, {value: CONSTANTS[next.text]}, []);
    }
    if (next.kind === "name") {
      takeName(parser, "a name", "name");
      return build("Name", next, {name: next.text}, []);
    }
    if (next.kind === "symbol" && hasOwn(DISPLAYS, next.text)) {
      return DISPLAYS[next.text](parser);
    }
    unexpected(next, "a value (a name, number, string, list, map or '(')");
  }

  function parseGroup(parser) {
    open(parser);
    const node = parseExpression(parser);
    close(parser, ")");
    return node;
  }

  function parseList(parser) {
    const at = peek(parser);
    const items = parseSequence(parser, "]", parseExpression);
    return build("List", at, {items}, items);
  }

  function parseMap(parser) {
    const at = peek(parser);
    const entries = parseSequence(parser, "}", parseEntry);
    const keys = entries.map((entry) => entry[0]);
    const values = entries.map((entry) => entry[1]);
    return build("Map", at, {keys, values}, values);
  }

  function parseEntry(parser) {
    const key = peek(parser);
    if (key.kind !== "string") unexpected(key, "a quoted string as map key");

    parser.index += 1;
    expect(parser, ":", "':' between a map key and its value");
    return [key.value, parseExpression(parser)];
  }

  const DISPLAYS = {"(": parseGroup, "[": parseList, "{": parseMap};

  function parseSequence(parser, closing, item) {
    open(parser);
    const items = [];
    while (accept(parser, closing) === null) {
      items.push(item(parser));
      if (accept(parser, ",") === null) {
        expect(parser, closing, `',' or ${JSON.stringify(closing)}`);
        break;
      }
    }

    parser.nesting -= 1;
    return items;
  }

  function open(parser) {
    const bracket = advance(parser);
    parser.nesting += 1;
    if (parser.nesting > MAX_NESTING) {
      fail("limit", `More than ${MAX_NESTING} brackets are open at once; simplify ` +
        "the expression.", bracket);
    }
    return bracket;
  }

  function close(parser, closing) {
    expect(parser, closing, JSON.stringify(closing));
    parser.nesting -= 1;
  }

  // What a value is: the language's types, read from JavaScript values

  function isNumber(value) {
    return typeof value === "number";
  }

  function isPlainMap(value) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return false;
    }
    const proto = Object.getPrototypeOf(value);
    return proto === null || Object.getPrototypeOf(proto) === null;
  }

  function isMap(value) {
    return value instanceof Map || isPlainMap(value);
  }

  function isLanguageValue(value) {
    const type = typeof value;
    return value === null || value === undefined || type === "boolean" ||
      type === "number" || type === "string" || Array.isArray(value) || isMap(value);
  }

  /** Return the language's truth of a value: empty and zero values are false. */
  function isTrue(value) {
    if (value === null || value === undefined || value === false) return false;
    if (typeof value === "number") return value !== 0;
    if (typeof value === "string" || Array.isArray(value)) return value.length > 0;
    if (value instanceof Map) return value.size > 0;
    if (isPlainMap(value)) return Object.keys(value).length > 0;
    return true;
  }

  function mapKeys(map) {
    return map instanceof Map ? Array.from(map.keys()) : Object.keys(map);
  }

  function mapHas(map, key) {
    if (map instanceof Map) return map.has(key);
    return typeof key === "string" && hasOwn(map, key);
  }

  function mapGet(map, key) {
    return map instanceof Map ? map.get(key) : map[key];
  }

  function typeName(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "boolean") return "a boolean";
    if (typeof value === "number") return "a number";
    if (typeof value === "string") return "a string";
    if (Array.isArray(value)) return "a list";
    if (isMap(value)) return "a map";
    if (typeof value === "function") return "a function";
    const constructor = Object.getPrototypeOf(Object(value)).constructor;
    const label = typeof constructor === "function" ? constructor.name : "";
    return `a value of type ${label || typeof value}`;
  }

  // Strings by code point

  function codePoints(text) {
    return /[\ud800-\udfff]/.test(text) ? Array.from(text) : text;
  }

  function compareStrings(left, right) {
    let index = 0;
    while (index < left.length && index < right.length) {
      const a = left.codePointAt(index);
      const b = right.codePointAt(index);
      if (a !== b) return a < b ? -1 : 1;
      index += a > 0xffff ? 2 : 1;
    }
    return Math.sign(left.length - right.length);
  }

  function containsString(text, part) {
    let from = text.indexOf(part);
    while (from >= 0 && !onBoundaries(text, from, from + part.length)) {
      from = text.indexOf(part, from + 1);
    }
    return from >= 0;
  }

  function onBoundaries(text, start, end) {
    return !splitsPair(text, start) && !splitsPair(text, end);
  }

  function splitsPair(text, index) {
    const before = text.charCodeAt(index - 1);
    const after = text.charCodeAt(index);
    return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
  }

  // Numbers

  function canonical(value) {
    if (Number.isInteger(value) && Math.abs(value) <= MAX_SAFE) return value + 0;
    return value;
  }

  function requireNumbers(verb, at, ...values) {
    if (values.every(isNumber)) return;

    const described = values.map(typeName).join(" and ");
    fail("type", `Cannot ${verb} ${described}: this operator works on numbers ` +
      "only (true and false are not numbers).", at);
  }

  function requireNonZero(value, at) {
    if (value === 0) {
      fail("division", "Division by zero; test the divisor first, as in " +
        "'a / b if b != 0 else 0'.", at);
    }
  }

  function add(left, right, at) {
    if (isNumber(left) && isNumber(right)) return canonical(left + right);
    if (typeof left === "string" && typeof right === "string") return left + right;
    if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];

    fail("type", `Cannot add ${typeName(left)} and ${typeName(right)}: + adds two ` +
      "numbers, or joins two strings or two lists; convert one side first.", at);
  }

  function floorMod(left, right) {
    let rest = left % right;
    if (rest !== 0 && (rest < 0) !== (right < 0)) rest += right;
    return rest;
  }

  const ARITHMETIC = {
    "-": ["subtract", (a, b) => a - b],
    "*": ["multiply", (a, b) => a * b],
    "/": ["divide", (a, b) => a / b],
    "%": ["take the remainder of", floorMod],
  };

  function arithmetic(op, left, right, at) {
    const [verb, compute] = ARITHMETIC[op];
    requireNumbers(verb, at, left, right);

    if (op === "/" || op === "%") requireNonZero(right, at);
    return canonical(compute(left, right));
  }

  // Comparison and membership

  /** Return whether two values are equal by the language's rules, no coercion. */
  function equal(left, right) {
    if (left === undefined) left = null;
    if (right === undefined) right = null;
    if (typeof left !== "object" || left === null) return left === right;
    if (Array.isArray(left) && Array.isArray(right)) return listsEqual(left, right);
    if (isMap(left) && isMap(right)) return mapsEqual(left, right);
    return left === right;
  }

  function listsEqual(left, right) {
    if (left.length !== right.length) return false;
    return left.every((item, index) => equal(item, right[index]));
  }

  function mapsEqual(left, right) {
    const keys = mapKeys(left);
    if (keys.length !== mapKeys(right).length) return false;
    return keys.every((key) => mapHas(right, key) &&
      equal(mapGet(left, key), mapGet(right, key)));
  }

  const ORDER = {
    "<": (sign) => sign < 0,
    "<=": (sign) => sign <= 0,
    ">": (sign) => sign > 0,
    ">=": (sign) => sign >= 0,
  };

  function order(op, left, right, at) {
    const sign = orderSign(left, right);
    if (sign === null) {
      fail("type", `Cannot compare ${typeName(left)} with ${typeName(right)} using ` +
        `${op}; only two numbers or two strings have an order.`, at);
    }
    return ORDER[op](sign);
  }

  function orderSign(left, right) {
    if (isNumber(left) && isNumber(right)) return numberSign(left, right);
    if (typeof left === "string" && typeof right === "string") {
      return compareStrings(left, right);
    }
    if (isLanguageValue(left) || isLanguageValue(right)) return null;
    return hostSign(left, right);
  }

  function numberSign(left, right) {
    if (left < right) return -1;
    if (left > right) return 1;
    return left === right ? 0 : NaN;
  }

  function hostSign(left, right) {
    const a = primitiveOf(left);
    const b = primitiveOf(right);
    const comparable = typeof a === typeof b && ["number", "bigint"].includes(typeof a);
    return comparable ? numberSign(a, b) : null;
  }

  function primitiveOf(value) {
    if (typeof value === "bigint") return value;
    if (value instanceof Date) return value.getTime();
    return undefined;
  }

  function contains(container, element, at) {
    if (typeof container === "string") {
      if (typeof element === "string") return containsString(container, element);
      fail("type", `Cannot look for ${typeName(element)} in a string; only a ` +
        "string can be found in a string.", at);
    }
    if (Array.isArray(container)) return container.some((item) => equal(element, item));
    if (isMap(container)) return containsKey(container, element);
    if (container instanceof Set) return containsSetItem(container, element);

    fail("type", `Cannot look for a value in ${typeName(container)}; 'in' works on ` +
      "strings, lists and maps.", at);
  }

  function containsKey(map, element) {
    if (!(map instanceof Map)) return mapHas(map, element);
    return mapKeys(map).some((key) => equal(element, key));
  }

  function containsSetItem(set, element) {
    return Array.from(set).some((item) => equal(element, item));
  }

  // Access: names, attributes, items, calls

  function readName(names, key, at) {
    const found = names instanceof Map ? names.has(key) : hasOwn(names, key);
    if (found) return mapGet(names, key);

    fail("name", `The name ${JSON.stringify(key)} is not defined here; check its ` +
      "spelling, or give the expression a value under that name.", at);
  }

  // NOTE: these hold no attributes an expression may read: reaching into
  // them leads to code (functions) or to host internals.
  const SEALED = [Set, WeakSet, WeakMap, Promise, RegExp, ArrayBuffer];

  function isSealed(value) {
    if (typeof value !== "object" || value === null) return true;
    return ArrayBuffer.isView(value) || SEALED.some((kind) => value instanceof kind);
  }

  function attribute(value, key, at) {
    if (isMap(value)) return mapAttribute(value, key, at);
    if (isLanguageValue(value) || isSealed(value) || key === "constructor") {
      fail("attribute", `Cannot read attribute ${JSON.stringify(key)} of ` +
        `${typeName(value)}: only maps and the application's own objects have ` +
        "attributes.", at);
    }
    return objectAttribute(value, key, at);
  }

  function mapAttribute(map, key, at) {
    if (mapHas(map, key)) return mapGet(map, key);

    fail("attribute", `The map has no key ${JSON.stringify(key)}; check the ` +
      "spelling, or test for it first with 'in'.", at);
  }

  function objectAttribute(object, key, at) {
    // NOTE: the root prototype (Object.prototype) is never searched, so
    // toString, valueOf and their kin stay out of reach.
    for (let level = object; level !== null; level = Object.getPrototypeOf(level)) {
      if (Object.getPrototypeOf(level) === null) break;
      if (hasOwn(level, key)) return bindMethod(object, object[key]);
    }

    fail("attribute", `There is no attribute ${JSON.stringify(key)} on ` +
      `${typeName(object)}; check the spelling.`, at);
  }

  function bindMethod(object, value) {
    // NOTE: a refused function stays unbound, so that calling it is refused too.
    const method = typeof value === "function" && mayCall(value);
    return method ? value.bind(object) : value;
  }

  function item(value, key, at) {
    if (isMap(value)) return mapItem(value, key, at);
    if (typeof value === "string" || Array.isArray(value)) {
      return sequenceItem(value, key, at);
    }

    fail("type", `Cannot take an item of ${typeName(value)}; only maps, lists and ` +
      "strings have items.", at);
  }

  function mapItem(map, key, at) {
    if (Array.isArray(key) || isMap(key)) {
      fail("type", `Cannot look up ${typeName(key)} in a map; map keys are ` +
        "strings, numbers, booleans or null.", at);
    }
    if (mapHas(map, key)) return mapGet(map, key);

    fail("index", `The map has no key ${JSON.stringify(String(key))}; test for it ` +
      "first with 'in'.", at);
  }

  function sequenceItem(sequence, key, at) {
    if (!Number.isInteger(key)) {
      fail("type", `A list or string index must be an integer, not ` +
        `${typeName(key)}.`, at);
    }

    const items = typeof sequence === "string" ? codePoints(sequence) : sequence;
    const index = key < 0 ? key + items.length : key;
    if (index >= 0 && index < items.length) return items[index];
    fail("index", `The index ${key} is out of range for ${typeName(sequence)} of ` +
      `length ${items.length}.`, at);
  }

  const REFUSED_CALLS = new Set([
    root.eval, Function, root.setTimeout, root.setInterval,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ].filter((value) => typeof value === "function"));

  // NOTE: by name as well, for copies from other frames and bound copies.
  const REFUSED_NATIVE_NAMES = new RegExp("^(bound )*(eval|Function|AsyncFunction|" +
    "GeneratorFunction|AsyncGeneratorFunction|setTimeout|setInterval|execScript)$");

  // PERF: whether a function may be called is decided once per function.
  const CALLABLE = new WeakMap();

  function mayCall(callee) {
    let verdict = CALLABLE.get(callee);
    if (verdict === undefined) {
      verdict = !isRefused(callee);
      CALLABLE.set(callee, verdict);
    }
    return verdict;
  }

  function isRefused(callee) {
    if (REFUSED_CALLS.has(callee)) return true;

    const text = sourceOf.call(callee);
    if (/^class[\s{]/.test(text)) return true;
    if (!text.includes("[native code]")) return false;
    return hasOwn(callee, "prototype") || REFUSED_NATIVE_NAMES.test(callee.name);
  }

  function call(callee, args, at) {
    if (typeof callee !== "function") {
      fail("call", `Cannot call ${typeName(callee)}; only functions can be ` +
        "called.", at);
    }
    if (!mayCall(callee)) {
      fail("call", "Calling this function is refused: an expression may only call " +
        "the functions and methods the application gives it, and never a class or " +
        "a constructor.", at);
    }
    return Reflect.apply(callee, undefined, args);
  }

  // Compiling: each node becomes a closure of the names

  function compileNode(node, origin) {
    const at = {origin, line: node.line, column: node.column};
    return COMPILERS[node.type](node, at, (part) => compileNode(part, origin));
  }

  const COMPILERS = {
    Literal(node) {
      const value = node.value;
      return () => value;
    },
    Name(node, at) {
      const key = node.name;
      return (names) => readName(names, key, at);
    },
    List(node, at, sub) {
      const items = node.items.map(sub);
      return (names) => items.map((part) => part(names));
    },
    Map(node, at, sub) {
      const keys = node.keys;
      const values = node.values.map(sub);
      return (names) => {
        const map = Object.create(null);
        keys.forEach((key, index) => { map[key] = values[index](names); });
        return map;
      };
    },
    Attribute(node, at, sub) {
      const value = sub(node.value);
      const key = node.name;
      return (names) => attribute(value(names), key, at);
    },
    Item(node, at, sub) {
      const value = sub(node.value);
      const key = sub(node.key);
      return (names) => item(value(names), key(names), at);
    },
    Call(node, at, sub) {
      const callee = sub(node.callee);
      const args = node.args.map(sub);
      return (names) => {
        const func = callee(names);
        return call(func, args.map((part) => part(names)), at);
      };
    },
    Filter(node, at, sub) {
      const args = [node.value, ...node.args].map(sub);
      const key = node.name;
      return (names) => {
        const values = args.map((part) => part(names));
        return call(readName(names, key, at), values, at);
      };
    },
    Unary(node, at, sub) {
      const operand = sub(node.operand);
      const negate = node.op === "-";
      return (names) => {
        const value = operand(names);
        requireNumbers(negate ? "negate" : "apply unary + to", at, value);
        return canonical(negate ? -value : value);
      };
    },
    Not(node, at, sub) {
      const operand = sub(node.operand);
      return (names) => !isTrue(operand(names));
    },
    Binary(node, at, sub) {
      const left = sub(node.left);
      const right = sub(node.right);
      const op = node.op;
      if (op === "+") return (names) => add(left(names), right(names), at);
      return (names) => arithmetic(op, left(names), right(names), at);
    },
    Compare(node, at, sub) {
      return compileCompare(node.op, sub(node.left), sub(node.right), at);
    },
    And(node, at, sub) {
      const operands = node.operands.map(sub);
      return (names) => chain(operands, names, false);
    },
    Or(node, at, sub) {
      const operands = node.operands.map(sub);
      return (names) => chain(operands, names, true);
    },
    Conditional(node, at, sub) {
      const [then, test, otherwise] = [node.then, node.test, node.otherwise].map(sub);
      return (names) => (isTrue(test(names)) ? then(names) : otherwise(names));
    },
  };

  function chain(operands, names, stopWhen) {
    let value;
    for (const operand of operands) {
      value = operand(names);
      if (isTrue(value) === stopWhen) return value;
    }
    return value;
  }

  function compileCompare(op, left, right, at) {
    switch (op) {
      case "==": return (names) => equal(left(names), right(names));
      case "!=": return (names) => !equal(left(names), right(names));
      case "in": return (names) => contains(...membership(left, right, names), at);
      case "not in":
        return (names) => !contains(...membership(left, right, names), at);
      default: return (names) => order(op, left(names), right(names), at);
    }
  }

  function membership(left, right, names) {
    const element = left(names);
    return [right(names), element];
  }

  function namesIn(tree) {
    const found = new Set();
    const pending = [tree];
    while (pending.length) {
      const node = pending.pop();
      if (node.type === "Name" || node.type === "Filter") found.add(node.name);
      pending.push(...node.parts);
    }
    return found;
  }

  /** Parse and compile source once; return an object that evaluates it. */
  function compile(source, {origin = DEFAULT_ORIGIN, line = 1, column = 1} = {}) {
    if (typeof source !== "string") {
      throw new TypeError(`fw.expressions.compile was given ${typeName(source)}; ` +
        "it expects the text of an expression as a string.");
    }

    const tree = parse(source, String(origin), line, column);
    const evaluateTree = compileNode(tree, String(origin));
    return Object.freeze({
      source, origin: String(origin), line, column,
      namesUsed: namesIn(tree),
      evaluate: (names = {}) => evaluateTree(checkNames(names)),
    });
  }

  function checkNames(names) {
    if (names !== null && typeof names === "object") return names;

    throw new TypeError(`An expression was evaluated with ${typeName(names)} as ` +
      "its names; pass an object or a Map of names to values.");
  }

  const api = Object.freeze({
    KINDS, MAX_DEPTH, MAX_NESTING, ExpressionError, compile, equal, isTrue,
  });
  const fw = root.fw || (root.fw = {});
  fw.expressions = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(globalThis);
