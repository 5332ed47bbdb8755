/*
 * Form validation in the page: fw's messages next to the fields, at once.
 *
 * fw.forms.Form.render (fw/forms/) writes each form with two JSON scripts,
 * named by the form's data-fw-rules and data-fw-messages attributes: the
 * rules (rules_to_json) and the message texts in the visitor's language,
 * unfilled. This file checks the form with fw.validation.validate (load
 * expressions.js and validation.js first), fills the messages exactly as
 * Python's fw.i18n.fill does, shows them in each field's error list, and
 * holds back a submit while a field is invalid. The server checks again.
 *
 * The logic (fill, messageFor, check) is plain functions; the DOM wiring is
 * thin. No eval, no Function constructor, no inline handlers: it runs under a
 * strict Content Security Policy.
 */
(function (root) {
  "use strict";

  const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;
  const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
  const SEPARATOR = ", ";

  /** A message template that cannot be filled; the text says why. */
  class FillError extends Error {}

  /** Fill each {name} of template from values; {{ and }} are braces. */
  function fill(template, values) {
    let out = "";
    let position = 0;
    for (const match of String(template).matchAll(TOKEN)) {
      out += template.slice(position, match.index) + token(match, values);
      position = match.index + match[0].length;
    }
    return out + template.slice(position);
  }

  function token(match, values) {
    const [text, inner] = match;
    if (text === "{{" || text === "}}") return text[0];
    if (inner === undefined) {
      throw new FillError(`unmatched ${text} at character ${match.index + 1}`);
    }
    if (!NAME.test(inner)) {
      throw new FillError(`the placeholder ${text} is not a plain name`);
    }
    const given = values !== null && typeof values === "object" &&
      Object.prototype.hasOwnProperty.call(values, inner) &&
      values[inner] !== undefined;
    if (!given) throw new FillError(`no value called ${inner}`);
    return shown(values[inner]);
  }

  /** Write a value as Python's str() shows it in a filled text. */
  function shown(value) {
    if (value === null) return "";
    if (value === true || value === false) return value ? "True" : "False";
    if (typeof value === "number") return numberText(value);
    return String(value);
  }

  /** Write a number as plain decimal digits, never with an exponent. */
  function numberText(number) {
    if (!Number.isFinite(number)) {
      return Number.isNaN(number) ? "nan" : number > 0 ? "inf" : "-inf";
    }
    if (Number.isInteger(number)) return BigInt(number).toString();
    return expanded(String(number));
  }

  function expanded(text) {
    const [mantissa, exponentText] = text.split("e");
    if (exponentText === undefined) return text;
    const negative = mantissa.startsWith("-");
    const [whole, fraction = ""] = mantissa.replace("-", "").split(".");
    const digits = whole + fraction;
    const point = whole.length + Number(exponentText);
    const body = point <= 0
      ? "0." + "0".repeat(-point) + digits
      : digits.padEnd(point, "0").slice(0, point) +
        (digits.length > point ? "." + digits.slice(point) : "");
    return (negative ? "-" : "") + body;
  }

  /** Return params with each list written as its items joined by ", ". */
  function shownParams(params) {
    const out = {};
    for (const [name, value] of Object.entries(params || {})) {
      out[name] = Array.isArray(value) ? value.map(listItem).join(SEPARATOR) : value;
    }
    return out;
  }

  function listItem(value) {
    if (typeof value === "number") return numberText(value);
    return value === null ? "" : shown(value);
  }

  /** Return an error's message from the page's texts, its params filled in. */
  function messageFor(error, messages) {
    const has = Object.prototype.hasOwnProperty.call(messages || {}, error.message);
    const template = has ? messages[error.message] : error.message;
    try {
      return fill(template, shownParams(error.params));
    } catch (failure) {
      if (failure instanceof FillError) return template;
      throw failure;
    }
  }

  /** Return {field: [message, ...]} for the fields that fail, {} when all pass. */
  function check(rules, values, messages) {
    const errors = root.fw.validation.validate(rules, values);
    const out = {};
    for (const [name, found] of Object.entries(errors)) {
      out[name] = found.map((error) => messageFor(error, messages));
    }
    return out;
  }

  /** Read the JSON script element called id from doc. */
  function embedded(doc, id) {
    const element = id ? doc.getElementById(id) : null;
    if (!element) throw new Error(`fw forms: no script element with id ${id}`);
    return JSON.parse(element.textContent);
  }

  /** Validate form on input and on submit, showing fw's messages. */
  function attach(form) {
    const doc = form.ownerDocument;
    const rules = embedded(doc, form.getAttribute("data-fw-rules"));
    const messages = embedded(doc, form.getAttribute("data-fw-messages"));
    const names = new Set(rules.fields.map((field) => field.name));
    const touched = new Set();
    const verdict = () => check(rules, new root.FormData(form), messages);

    form.noValidate = true;
    const onChange = (event) => {
      const name = event.target && event.target.name;
      if (!names.has(name)) return;
      touched.add(name);
      showAll(form, verdict(), touched);
    };
    form.addEventListener("input", onChange);
    form.addEventListener("change", onChange);
    form.addEventListener("submit", (event) => {
      names.forEach((name) => touched.add(name));
      const found = verdict();
      showAll(form, found, touched);
      if (Object.keys(found).length) {
        event.preventDefault();
        focusFirst(form, rules, found);
      }
    });
  }

  function showAll(form, found, touched) {
    for (const name of touched) show(form, name, found[name] || []);
  }

  /** Put a field's messages in its error list and mark it (in)valid. */
  function show(form, name, texts) {
    const doc = form.ownerDocument;
    const list = doc.getElementById(`${form.id}-${name}--errors`);
    if (list) {
      const items = texts.map((text) => {
        const item = doc.createElement("p");
        item.className = "fw-error";
        item.textContent = text;
        return item;
      });
      list.replaceChildren(...items);
    }
    const control = form.elements.namedItem(name);
    if (control && control.setAttribute) {
      if (texts.length) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
    const wrapper = list && list.closest("[data-fw-field]");
    if (wrapper) wrapper.classList.toggle("fw-invalid", texts.length > 0);
  }

  function focusFirst(form, rules, found) {
    const first = rules.fields.find((field) => found[field.name]);
    const control = first && form.elements.namedItem(first.name);
    if (control && control.focus) control.focus();
  }

  /** Attach to every form of doc that carries fw rules. */
  function start(doc) {
    doc.querySelectorAll("form[data-fw-rules]").forEach(attach);
  }

  const fw = root.fw || (root.fw = {});
  fw.forms = Object.freeze({
    FillError, fill, shownParams, messageFor, check, attach, start,
  });

  const doc = root.document;
  if (doc && doc.querySelectorAll) {
    if (doc.readyState === "loading") {
      doc.addEventListener("DOMContentLoaded", () => start(doc));
    } else {
      start(doc);
    }
  }
})(globalThis);
