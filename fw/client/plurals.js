// fw's plural rules for the browser: the twin of fw/i18n/plurals.py.
//
// fw.plurals.category(lang, count) says which CLDR plural category a count
// takes in a language: "zero", "one", "two", "few", "many" or "other". The
// rules are CLDR's (plurals.xml) for ar, en, es, fr and ru; any other
// language says "other". A count is a number or a decimal text ("1.50"
// keeps its two fraction digits). Integers are BigInt inside, so every
// count gives the category Python gives. No eval, no dependencies.
(function (root) {
  "use strict";

  const CATEGORIES = ["zero", "one", "two", "few", "many", "other"];
  const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

  // Return a finite number as plain decimal digits, never with an exponent.
  function plainNumber(number) {
    if (Number.isInteger(number)) {
      return BigInt(number).toString();
    }
    const text = String(number);
    const match = /^(-?)([0-9])(?:\.([0-9]+))?e([-+][0-9]+)$/.exec(text);
    if (match === null) {
      return text;
    }
    // Only small fractions get here: integers were handled above.
    const digits = match[2] + (match[3] || "");
    const zeros = "0".repeat(-Number(match[4]) - 1);
    return match[1] + "0." + zeros + digits;
  }

  function decimalText(count) {
    if (typeof count === "string") {
      if (!DECIMAL.test(count)) {
        throw new RangeError(
          "A plural count given as text must be plain decimal digits such as " +
            "'3' or '1.50', not " + JSON.stringify(count) + "."
        );
      }
      return count;
    }
    if (typeof count !== "number") {
      throw new TypeError(
        "A plural count must be a number or a decimal text such as '1.50', " +
          "not " + typeof count + "."
      );
    }
    if (!Number.isFinite(count)) {
      throw new RangeError(
        "A plural count must be a finite number, not " + count + "."
      );
    }
    return plainNumber(count);
  }

  function operands(count) {
    const text = decimalText(count).replace(/^-/, "");
    const dot = text.indexOf(".");
    const digits = dot < 0 ? text : text.slice(0, dot);
    const fraction = dot < 0 ? "" : text.slice(dot + 1);
    const trimmed = fraction.replace(/0+$/, "");
    return {
      i: BigInt(digits),
      v: fraction.length,
      w: trimmed.length,
      f: BigInt(fraction || "0"),
      t: BigInt(trimmed || "0"),
      e: 0,
    };
  }

  function baseLanguage(lang) {
    return String(lang).trim().split(/[-_]/)[0].toLowerCase();
  }

  function isMillion(o) {
    // CLDR: e = 0 and i != 0 and i % 1000000 = 0 and v = 0 or e != 0..5
    const million = o.i !== 0n && o.i % 1000000n === 0n && o.v === 0;
    return (o.e === 0 && million) || o.e > 5;
  }

  function english(o) {
    return o.i === 1n && o.v === 0 ? "one" : "other";
  }

  function spanish(o) {
    if (o.i === 1n && o.t === 0n) {
      return "one";
    }
    return isMillion(o) ? "many" : "other";
  }

  function french(o) {
    if (o.i === 0n || o.i === 1n) {
      return "one";
    }
    return isMillion(o) ? "many" : "other";
  }

  function russian(o) {
    if (o.v !== 0) {
      return "other";
    }
    const ones = o.i % 10n;
    const tens = o.i % 100n;
    if (ones === 1n && tens !== 11n) {
      return "one";
    }
    if (ones >= 2n && ones <= 4n && !(tens >= 12n && tens <= 14n)) {
      return "few";
    }
    return "many";
  }

  function arabic(o) {
    if (o.t !== 0n) {
      return "other";
    }
    if (o.i <= 2n) {
      return ["zero", "one", "two"][Number(o.i)];
    }
    const tens = o.i % 100n;
    if (tens >= 3n && tens <= 10n) {
      return "few";
    }
    return tens >= 11n ? "many" : "other";
  }

  const RULES = { ar: arabic, en: english, es: spanish, fr: french, ru: russian };

  const USED = {
    ar: CATEGORIES,
    en: ["one", "other"],
    es: ["one", "many", "other"],
    fr: ["one", "many", "other"],
    ru: ["one", "few", "many", "other"],
  };

  function category(lang, count) {
    const rule = Object.prototype.hasOwnProperty.call(RULES, baseLanguage(lang))
      ? RULES[baseLanguage(lang)]
      : null;
    const values = operands(count);
    return rule === null ? "other" : rule(values);
  }

  function categories(lang) {
    const used = USED[baseLanguage(lang)];
    return Object.prototype.hasOwnProperty.call(USED, baseLanguage(lang))
      ? used.slice()
      : ["other"];
  }

  // Return the form of `forms` ({one: ..., other: ...}) for count, or undefined.
  // An exact form ("=0") wins over the category, and "other" stands in for
  // a category the forms lack, as in fw/i18n/texts.py.
  function select(lang, count, forms) {
    const text = decimalText(count);
    const exact = text.includes(".") ? undefined : forms["=" + BigInt(text).toString()];
    if (typeof exact === "string") {
      return exact;
    }
    const chosen = forms[category(lang, count)];
    return typeof chosen === "string" ? chosen : forms.other;
  }

  const fw = (root.fw = root.fw || {});
  fw.plurals = Object.freeze({
    CATEGORIES: Object.freeze(CATEGORIES.slice()),
    baseLanguage,
    categories,
    category,
    decimalText,
    operands,
    select,
  });
})(globalThis);
