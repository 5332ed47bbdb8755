/*
 * Form validation in the browser: the twin of fw/validation/.
 *
 * docs/validation.md is the specification; both implementations pass the
 * cases in tests/vectors/validation.json. The rules are the JSON that
 * fw.validation.rules_to_json writes on the server; conditions need
 * fw/client/expressions.js loaded first. Nothing here uses eval or new
 * Function: the file runs under a strict Content Security Policy.
 *
 *   const rules = JSON.parse(document.getElementById("rules").textContent);
 *   fw.validation.validate(rules, new FormData(form));
 *   // {age: [{rule: "min", message: "validation.min", params: {min: 18}}]}
 */
(function (root) {
  "use strict";

  const RULES = Object.freeze([
    "required", "type", "min_length", "max_length", "pattern", "integer_digits",
    "decimals", "min", "max", "one_of", "equal_to", "condition",
  ]);
  const TYPES = Object.freeze([
    "text", "integer", "decimal", "boolean", "date", "time", "datetime", "email",
    "url",
  ]);
  const MAX_SAFE = Number.MAX_SAFE_INTEGER;
  const TRUE_WORDS = new Set(["on", "true", "1", "yes"]);
  const FALSE_WORDS = new Set(["off", "false", "0", "no"]);

  const TRIM = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
  const INTEGER = /^[+-]?[0-9]+$/;
  const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/;
  const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
  const TIME = /^([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$/;
  const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;
  const LABEL = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;
  const EMAIL = new RegExp(
    String.raw`^[A-Za-z0-9.!#$%&'*+/=?^_\x60{|}~-]+@` +
    `${LABEL}(?:\\.${LABEL})*$`,
  );
  const HOST_PART = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?`;
  const URL_PATTERN = new RegExp(
    String.raw`^[Hh][Tt][Tt][Pp][Ss]?://` +
    `${HOST_PART}(?:\\.${HOST_PART})*` +
    String.raw`(?::[0-9]{1,5})?(?:[/?#][!-~]*)?$`,
  );

  const hasOwn = (value, key) => Object.prototype.hasOwnProperty.call(value, key);
  const prepared = new WeakMap();

  // Reading form strings

  /** Return text with line breaks as "\n" and ASCII space trimmed. */
  function clean(text) {
    if (text === null || text === undefined) return "";

    if (typeof text !== "string") {
      throw new TypeError(`A form value must be a string or null, not ${typeof text}` +
        "; pass the form's text as it arrived.");
    }

    return text.replace(/\r\n?/g, "\n").replace(TRIM, "");
  }

  /** Return raw read as a value of type kind: {text, value, ok, missing}. */
  function read(kind, raw) {
    const text = clean(raw);

    if (kind === "boolean") return readBoolean(text);

    if (text === "") return reading("", null, true);

    const value = READERS[kind](text);
    return value === null ? reading(text, null, false) : reading(text, value, true);
  }

  function reading(text, value, ok) {
    return {text, value, ok, missing: ok && text === "" && value === null};
  }

  function readBoolean(text) {
    const word = text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
    if (word === "" || FALSE_WORDS.has(word)) return reading(text, false, true);
    if (TRUE_WORDS.has(word)) return reading(text, true, true);
    return reading(text, null, false);
  }

  function canonical(number) {
    return number + 0;
  }

  function readText(text) {
    return CONTROL.test(text) ? null : text;
  }

  function readInteger(text) {
    if (!INTEGER.test(text)) return null;
    const digits = text.replace(/^[+-]/, "").replace(/^0+/, "");
    if (digits.length > 16 || Number(digits || "0") > MAX_SAFE) return null;
    return canonical(Number(text));
  }

  function readDecimal(text) {
    return DECIMAL.test(text) ? canonical(Number(text)) : null;
  }

  function readDate(text) {
    const found = DATE.exec(text);
    if (!found) return null;
    const [year, month, day] = found.slice(1).map(Number);
    if (year < 1 || month < 1 || month > 12) return null;
    return day >= 1 && day <= daysIn(year, month) ? text : null;
  }

  function daysIn(year, month) {
    if (month === 2) {
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      return leap ? 29 : 28;
    }
    return [4, 6, 9, 11].includes(month) ? 30 : 31;
  }

  function readTime(text) {
    const found = TIME.exec(text);
    if (!found) return null;
    const [hours, minutes, seconds = "00"] = found.slice(1);
    if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return null;
    return `${hours}:${minutes}:${seconds}`;
  }

  function readDatetime(text) {
    const separator = text.slice(10, 11);
    if (separator !== "T" && separator !== " ") return null;
    const day = readDate(text.slice(0, 10));
    const clock = readTime(text.slice(11));
    return day && clock ? `${day}T${clock}` : null;
  }

  const READERS = {
    text: readText,
    integer: readInteger,
    decimal: readDecimal,
    date: readDate,
    time: readTime,
    datetime: readDatetime,
    email: (text) => (EMAIL.test(text) ? text : null),
    url: (text) => (URL_PATTERN.test(text) ? text : null),
  };

  // Exact decimals, compared as text so that no digit is lost to doubles

  function decimalParts(text) {
    const unsigned = text.replace(/^[+-]/, "");
    const [whole, fraction = ""] = unsigned.split(".");
    const parts = {
      whole: whole.replace(/^0+/, ""),
      fraction: fraction.replace(/0+$/, ""),
    };
    const zero = parts.whole === "" && parts.fraction === "";
    parts.sign = zero ? 0 : (text[0] === "-" ? -1 : 1);
    return parts;
  }

  /** Return -1, 0 or 1 as decimal text a is below, equal to or above b. */
  function compareDecimals(a, b) {
    const left = decimalParts(a);
    const right = decimalParts(b);
    if (left.sign !== right.sign) return left.sign < right.sign ? -1 : 1;

    return left.sign * compareMagnitudes(left, right);
  }

  function compareMagnitudes(left, right) {
    if (left.whole.length !== right.whole.length) {
      return left.whole.length < right.whole.length ? -1 : 1;
    }
    const width = Math.max(left.fraction.length, right.fraction.length);
    const a = left.whole + left.fraction.padEnd(width, "0");
    const b = right.whole + right.fraction.padEnd(width, "0");
    return a === b ? 0 : (a < b ? -1 : 1);
  }

  // Rules

  function prepare(rules) {
    const data = typeof rules === "string" ? JSON.parse(rules) : rules;
    if (!data || !Array.isArray(data.fields)) {
      throw new TypeError("fw.validation.validate takes the rules that " +
        "rules_to_json wrote (an object with a fields list); got something else.");
    }
    if (!prepared.has(data)) prepared.set(data, data.fields.map(prepareField));
    return prepared.get(data);
  }

  function prepareField(field) {
    const rules = field.rules.map((rule) => {
      if (!RULES.includes(rule.rule)) {
        throw new TypeError(`The field ${field.name} has the unknown rule ` +
          `${rule.rule}; the server and fw/client/validation.js disagree.`);
      }
      return {...rule, compiled: compileRule(rule)};
    });
    return {name: field.name, type: field.type, rules};
  }

  function compileRule(rule) {
    if (rule.rule === "pattern") return new RegExp(rule.regex, "u");
    if (rule.rule !== "condition") return null;

    const expressions = root.fw && root.fw.expressions;
    if (!expressions) {
      throw new Error("A validation condition needs fw/client/expressions.js; " +
        "load it before fw/client/validation.js.");
    }
    return expressions.compile(rule.value, {origin: rule.origin});
  }

  function formValue(values, name) {
    if (values === null || values === undefined) return undefined;
    const value = typeof values.get === "function"
      ? values.get(name)
      : (hasOwn(values, name) ? values[name] : undefined);
    const isFile = typeof Blob !== "undefined" && value instanceof Blob;
    return isFile ? undefined : value;
  }

  /** Return {field: [error, ...]} for the fields that fail; {} when all pass. */
  function validate(rules, values) {
    const fields = prepare(rules);
    const readings = new Map();
    for (const field of fields) {
      readings.set(field.name, read(field.type, formValue(values, field.name)));
    }
    const form = Object.create(null);
    for (const [name, found] of readings) form[name] = found.value;

    const errors = Object.create(null);
    for (const field of fields) {
      const found = fieldErrors(field, readings.get(field.name), form);
      if (found.length) errors[field.name] = found;
    }
    return errors;
  }

  function ruleOf(field, name) {
    return field.rules.find((rule) => rule.rule === name) || null;
  }

  function fieldErrors(field, found, form) {
    const required = ruleOf(field, "required");
    if (found.missing || (required && found.value === false)) {
      return required ? [error(required, {})] : [];
    }

    if (!found.ok) return [error(ruleOf(field, "type"), {type: field.type})];

    const names = {form, value: found.value};
    const errors = [];
    for (const rule of field.rules) {
      const check = CHECKS[rule.rule];
      const params = check ? check(field, rule, found, names) : null;
      if (params !== null) errors.push(error(rule, params));
    }
    return errors;
  }

  function error(rule, params) {
    return {rule: rule.rule, message: rule.message, params};
  }

  function length(text) {
    let count = 0;
    for (const _ of text) count += 1;
    return count;
  }

  function compare(field, value, limit) {
    if (field.type === "decimal") return compareDecimals(value, limit);
    return value === limit ? 0 : (value < limit ? -1 : 1);
  }

  function comparable(field, found) {
    return field.type === "decimal" ? found.text : found.value;
  }

  /** Say whether two read values are equal by the expression language's ==. */
  function same(left, right) {
    if (typeof left === "boolean" || typeof right === "boolean") return left === right;
    return left !== null && typeof left === typeof right && left === right;
  }

  function isTrue(value) {
    return root.fw.expressions.isTrue(value);
  }

  const CHECKS = {
    min_length(field, rule, found) {
      const count = length(found.text);
      return count >= rule.value ? null : {min_length: rule.value, length: count};
    },
    max_length(field, rule, found) {
      const count = length(found.text);
      return count <= rule.value ? null : {max_length: rule.value, length: count};
    },
    pattern(field, rule, found) {
      return rule.compiled.test(found.text) ? null : {pattern: rule.value};
    },
    integer_digits(field, rule, found) {
      const whole = found.text.replace(/^[+-]/, "").split(".")[0].replace(/^0+/, "");
      return whole.length <= rule.value ? null : {integer_digits: rule.value};
    },
    decimals(field, rule, found) {
      const fraction = (found.text.split(".")[1] || "").replace(/0+$/, "");
      return fraction.length <= rule.value ? null : {decimals: rule.value};
    },
    min(field, rule, found) {
      const below = compare(field, comparable(field, found), rule.value) < 0;
      return below ? {min: rule.value} : null;
    },
    max(field, rule, found) {
      const above = compare(field, comparable(field, found), rule.value) > 0;
      return above ? {max: rule.value} : null;
    },
    one_of(field, rule, found) {
      const allowed = rule.value.some((option) => same(found.value, option));
      return allowed ? null : {one_of: rule.value.slice()};
    },
    equal_to(field, rule, found, names) {
      const other = names.form[rule.value];
      return same(found.value, other === undefined ? null : other)
        ? null : {equal_to: rule.value};
    },
    condition(field, rule, found, names) {
      try {
        return isTrue(rule.compiled.evaluate(names)) ? null : {};
      } catch (failure) {
        if (failure instanceof root.fw.expressions.ExpressionError) return {};
        throw failure;
      }
    },
  };

  const api = Object.freeze({
    RULES, TYPES, clean, read, validate, compareDecimals, same,
  });
  const fw = root.fw || (root.fw = {});
  fw.validation = api;
})(globalThis);
