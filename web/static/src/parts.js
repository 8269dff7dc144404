// Answer widgets of the item types made of several parts: inline choice, matching,
// ordering, hot text, and the essay box. Each widget exposes
// { node, inputs, read(), write(response) } and calls `changed(typing)` on a change.
// Item texts arrive as HTML the server sanitised (item_bank.rich_text.payload_html): they
// go in through math.js (which typesets their math); inside a <select> only their words.

import { el } from "./dom.js";
import { plainText, richFragment, setRichHtml, typeset } from "./math.js";
import { pickText } from "./strings.js";
import { fileUpload } from "./upload.js";

const GAP_MARKER = /\{\{\s*([A-Za-z0-9_-]{1,40})\s*\}\}/g;

function optionText(option, lang) {
  return plainText(pickText(option.text, lang));
}

function optionHtml(option, lang) {
  return pickText(option.text, lang);
}

/** A stem block (div.stem) with its HTML. */
function stemNode(id, html) {
  return setRichHtml(el("div", { className: "stem", id }), html);
}

/**
 * Put a select in place of each `{{gap}}` marker found in the text of `root` (markers in
 * attributes are not text: their gaps go at the end). Returns the gap ids in page order.
 */
function placeGaps(root, makeSelect) {
  const placed = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
  for (const node of texts) {
    const text = node.nodeValue;
    const pieces = [];
    let at = 0;
    for (const match of text.matchAll(GAP_MARKER)) {
      const select = makeSelect(match[1], placed.length + 1);
      if (!select) continue;
      placed.push(match[1]);
      pieces.push(text.slice(at, match.index), select);
      at = match.index + match[0].length;
    }
    if (pieces.length) node.replaceWith(...pieces, text.slice(at));
  }
  return placed;
}

function selectOf(id, options, ctx, attrs, onChange) {
  const select = el("select", { id, className: "part-select", ...attrs, on: { change: onChange } },
    el("option", { value: "", text: ctx.t("choose") }),
    options.map((option) => el("option", { value: String(option.id), text: optionText(option, ctx.lang) })));
  return select;
}

/** The page-language version of a bilingual map, and which language it is. */
function pickLang(map, lang) {
  if (map && typeof map === "object") {
    if (map[lang] !== undefined) return lang;
    const other = lang === "fr" ? "en" : "fr";
    if (map[other] !== undefined) return other;
  }
  return lang;
}

function inlineChoice(prefix, render, ctx, changed) {
  const { t, lang } = ctx;
  const gaps = Array.isArray(render.gaps) ? render.gaps : [];
  const byId = new Map(gaps.map((gap) => [String(gap.id), gap]));
  const selects = new Map();
  const body = setRichHtml(el("div", { className: "cloze", id: `${prefix}-stem` }), pickText(render.text, lang));
  const makeSelect = (gapId, n) => {
    const gap = byId.get(gapId);
    if (!gap || selects.has(String(gap.id))) return null;
    const select = selectOf(`${prefix}-gap-${gap.id}`, gap.options ?? [], ctx,
      { "aria-label": t("gap_n", { n }), "data-gap": String(gap.id) }, () => changed(false));
    selects.set(String(gap.id), select);
    return select;
  };
  placeGaps(body, makeSelect);
  for (const gap of gaps) {
    const select = makeSelect(String(gap.id), selects.size + 1);
    if (select) body.append(" ", select);
  }
  const stem = pickText(render.stem, lang);
  const node = el("div", { className: "answer answer-inline-choice" },
    stem ? setRichHtml(el("div", { className: "stem" }), stem) : null, body);
  return {
    node,
    inputs: [...selects.values()],
    read() {
      const chosen = {};
      for (const [id, select] of selects) if (select.value) chosen[id] = select.value;
      return Object.keys(chosen).length ? { gaps: chosen } : null;
    },
    write(response) {
      const chosen = response?.gaps && typeof response.gaps === "object" ? response.gaps : {};
      for (const [id, select] of selects) select.value = typeof chosen[id] === "string" ? chosen[id] : "";
    },
  };
}

function matching(prefix, render, ctx, changed) {
  const { lang } = ctx;
  const responses = Array.isArray(render.responses) ? render.responses : [];
  const selects = new Map();
  const rows = (render.premises ?? []).map((premise, index) => {
    const id = `${prefix}-premise-${index}`;
    const select = selectOf(`${id}-select`, responses, ctx, { "data-premise": String(premise.id),
      "aria-labelledby": `${id} ${prefix}-stem` }, () => changed(false));
    selects.set(String(premise.id), select);
    return el("li", { className: "match-row" },
      setRichHtml(el("label", { for: `${id}-select`, id, className: "match-premise" }), optionHtml(premise, lang)),
      select);
  });
  const node = el("div", { className: "answer answer-matching" },
    stemNode(`${prefix}-stem`, pickText(render.stem, lang)),
    el("ul", { className: "match-list" }, rows));
  return {
    node,
    inputs: [...selects.values()],
    read() {
      const pairs = {};
      for (const [id, select] of selects) if (select.value) pairs[id] = select.value;
      return Object.keys(pairs).length ? { pairs } : null;
    },
    write(response) {
      const pairs = response?.pairs && typeof response.pairs === "object" ? response.pairs : {};
      for (const [id, select] of selects) select.value = typeof pairs[id] === "string" ? pairs[id] : "";
    },
  };
}

function ordering(prefix, render, ctx, changed) {
  const { t, lang } = ctx;
  const items = (render.items ?? []).map((item) => ({ id: String(item.id), text: optionText(item, lang),
    html: optionHtml(item, lang) }));
  const shown = items.map((item) => item.id);
  let order = [...shown];
  let touched = false; // the shown order is not an answer until the student acts on it
  const list = el("ol", { className: "order-list", "aria-labelledby": `${prefix}-stem` });
  const status = el("p", { className: "order-status", "aria-live": "polite" });
  const inputs = [];
  const rows = new Map(items.map((item) => {
    const up = el("button", { type: "button", className: "order-move", "data-move": "up",
      "aria-label": t("move_up", { item: item.text }), text: "↑",
      on: { click: () => move(item.id, -1, "up") } });
    const down = el("button", { type: "button", className: "order-move", "data-move": "down",
      "aria-label": t("move_down", { item: item.text }), text: "↓",
      on: { click: () => move(item.id, 1, "down") } });
    inputs.push(up, down);
    return [item.id, { node: el("li", { className: "order-item", "data-item": item.id },
      setRichHtml(el("span", { className: "order-text" }), item.html), el("span", { className: "order-buttons" }, up, down)),
    up, down }];
  }));
  const keep = el("button", { type: "button", className: "order-keep", text: t("order_keep"),
    on: { click: () => { touched = true; draw(); changed(false); } } });
  inputs.push(keep);

  function draw() {
    list.replaceChildren(...order.filter((id) => rows.has(id)).map((id, index, all) => {
      const row = rows.get(id);
      row.up.dataset.edge = String(index === 0);
      row.down.dataset.edge = String(index === all.length - 1);
      row.up.setAttribute("aria-disabled", String(index === 0));
      row.down.setAttribute("aria-disabled", String(index === all.length - 1));
      return row.node;
    }));
    keep.hidden = touched;
  }

  function move(id, step, direction) {
    const from = order.indexOf(id);
    const to = from + step;
    if (from < 0 || to < 0 || to >= order.length) return;
    order.splice(from, 1);
    order.splice(to, 0, id);
    touched = true;
    draw();
    // Keep the focus on the moved item's button so that it can keep moving by keyboard.
    rows.get(id)[direction].focus();
    status.textContent = t("moved_to", { n: to + 1, total: order.length });
    changed(false);
  }

  draw();
  const node = el("div", { className: "answer answer-ordering" },
    stemNode(`${prefix}-stem`, pickText(render.stem, lang)),
    el("p", { className: "hint", text: t("order_hint") }), list, keep, status);
  return {
    node,
    inputs,
    read() {
      return touched ? { order: [...order] } : null;
    },
    write(response) {
      const given = Array.isArray(response?.order) ? response.order.map(String) : null;
      const valid = given && given.length === shown.length && shown.every((id) => given.includes(id));
      order = valid ? given : [...shown];
      touched = Boolean(valid);
      draw();
    },
  };
}

function hotText(prefix, render, ctx, changed) {
  const { t, lang } = ctx;
  const passageLang = pickLang(render.passage, lang);
  const segments = Array.isArray(render.passage?.[passageLang]) ? render.passage[passageLang] : [];
  const max = Number.isInteger(render.max_selections) ? render.max_selections : Infinity;
  const spans = new Map();
  const status = el("p", { className: "hot-status", "aria-live": "polite" });
  const passage = el("p", { className: "hot-passage", "aria-labelledby": `${prefix}-stem` });
  for (const segment of segments) {
    if (segment.id === undefined) {
      passage.append(richFragment(segment.text));
      continue;
    }
    const id = String(segment.id);
    const button = setRichHtml(el("button", { type: "button", className: "hot-span", "aria-pressed": "false",
      "data-span": id, on: { click: () => toggle(id) } }), segment.text);
    spans.set(id, button);
    passage.append(button);
  }
  typeset(passage);
  const selectedCount = () => [...spans.values()].filter((b) => b.getAttribute("aria-pressed") === "true").length;

  function toggle(id) {
    const button = spans.get(id);
    const pressed = button.getAttribute("aria-pressed") === "true";
    if (!pressed && selectedCount() >= max) {
      status.textContent = t("max_selections", { n: max });
      return;
    }
    button.setAttribute("aria-pressed", String(!pressed));
    status.textContent = "";
    changed(false);
  }

  const node = el("div", { className: "answer answer-hot-text" },
    stemNode(`${prefix}-stem`, pickText(render.stem, lang)),
    Number.isFinite(max) ? el("p", { className: "hint", text: t("select_up_to", { n: max }) }) : null,
    passage, status);
  return {
    node,
    inputs: [...spans.values()],
    read() {
      const selected = [...spans].filter(([, b]) => b.getAttribute("aria-pressed") === "true").map(([id]) => id);
      return selected.length ? { selected } : null;
    },
    write(response) {
      const chosen = new Set(Array.isArray(response?.selected) ? response.selected.map(String) : []);
      for (const [id, button] of spans) button.setAttribute("aria-pressed", String(chosen.has(id)));
    },
  };
}

function extendedText(prefix, render, ctx, changed, onFlush) {
  const { t, lang } = ctx;
  const maxLength = Number.isInteger(render.max_length) && render.max_length > 0 ? render.max_length : 10000;
  const id = `${prefix}-input`;
  const count = el("p", { className: "char-count", id: `${prefix}-count` });
  const box = el("textarea", { id, name: prefix, rows: 10, maxlength: maxLength, className: "essay-input",
    placeholder: t("text_placeholder"), "aria-describedby": `${prefix}-title ${prefix}-count`,
    on: { input: () => { showCount(); changed(true); }, blur: onFlush, change: onFlush } });
  function showCount() {
    count.textContent = t("characters", { n: box.value.length.toLocaleString(lang === "fr" ? "fr-CA" : "en-CA"),
      max: maxLength.toLocaleString(lang === "fr" ? "fr-CA" : "en-CA") });
  }
  showCount();
  const words = Number.isInteger(render.expected_words) ? render.expected_words : null;
  const node = el("div", { className: "answer answer-essay" },
    setRichHtml(el("label", { for: id, className: "stem", id: `${prefix}-stem` }), pickText(render.stem, lang)),
    words ? el("p", { className: "hint", text: t("expected_words", { n: words }) }) : null,
    box, count);
  return {
    node,
    inputs: [box],
    read() {
      return box.value === "" ? null : { text: box.value };
    },
    write(response) {
      box.value = typeof response?.text === "string" ? response.text : "";
      showCount();
    },
  };
}

// Names of the sandbox's languages (coding_lab's `code` items); proper names, not translated.
const LANGUAGE_NAMES = { python3: "Python 3", c: "C", cpp: "C++", java: "Java", javascript: "JavaScript" };

/** A code item's answer: a plain monospace text area that starts with the starter code. */
function codeAnswer(prefix, render, ctx, changed, onFlush) {
  const { t, lang } = ctx;
  const maxLength = Number.isInteger(render.max_length) && render.max_length > 0 ? render.max_length : 65536;
  const starter = typeof render.starter === "string" ? render.starter : "";
  const language = LANGUAGE_NAMES[render.language] ?? String(render.language ?? "");
  const id = `${prefix}-input`;
  const box = el("textarea", { id, name: prefix, rows: 16, maxlength: maxLength, className: "code-input",
    spellcheck: "false", autocapitalize: "off", autocomplete: "off", wrap: "off", translate: "no",
    "aria-describedby": `${prefix}-title ${prefix}-language`,
    on: { input: () => changed(true), blur: onFlush, change: onFlush } });
  box.value = starter;
  const node = el("div", { className: "answer answer-code" },
    setRichHtml(el("label", { for: id, className: "stem", id: `${prefix}-stem` }), pickText(render.stem, lang)),
    el("p", { className: "hint", id: `${prefix}-language`, text: t("code_hint", { language }) }),
    box);
  return {
    node,
    inputs: [box],
    read() {
      // The starter code untouched is no answer.
      return box.value.trim() === "" || box.value === starter ? null : { code: box.value };
    },
    write(response) {
      box.value = typeof response?.code === "string" ? response.code : starter;
    },
  };
}

const BUILDERS = {
  inline_choice: inlineChoice,
  matching,
  ordering,
  hot_text: hotText,
  extended_text: extendedText,
  code: codeAnswer,
  file_upload: (prefix, render, ctx, changed, onFlush) =>
    fileUpload(prefix, render, ctx, changed, onFlush, setRichHtml),
};

/** A widget for `type`, or null when the type is not one of these. */
export function buildPart(type, prefix, render, ctx, changed, onFlush) {
  const build = BUILDERS[type];
  return build ? build(prefix, render ?? {}, ctx, changed, onFlush) : null;
}
