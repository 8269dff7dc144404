// One question on the page: its markup, and reading/writing its response in
// the shapes the server accepts (see the item types in ARCHITECTURE.md).
// Item texts (stem, choices) arrive as HTML the server sanitised on the way out
// (item_bank.rich_text.payload_html) and go through setRichHtml, which typesets their
// math; everything the student types only ever reaches the page through textContent.

import { el } from "./dom.js";
import { setRichHtml } from "./math.js";
import { buildPart } from "./parts.js";
import { pickText } from "./strings.js";

const NUMERIC_MAX_LENGTH = 64; // what the server accepts for a numeric answer
const TEXTAREA_FROM = 120; // longer answers get a multi-line box

function formatPoints(points, lang) {
  const n = Number(points);
  return Number.isFinite(n) ? n.toLocaleString(lang === "fr" ? "fr-CA" : "en-CA") : String(points);
}

function choiceOptions(slotData, t) {
  if (slotData.item_type === "true_false") {
    return [{ id: "true", text: t("true"), plain: true }, { id: "false", text: t("false"), plain: true }];
  }
  return (slotData.render?.options ?? []).map((option) => ({ id: String(option.id), text: option.text }));
}

export class Question {
  /**
   * @param slotData {slot, item_type, points, render}
   * @param ctx {t, lang, total, index, onChange(slot, response, {typing}), onFlush(slot), onFlag(slot)}
   */
  constructor(slotData, ctx) {
    this.slot = slotData.slot;
    this.type = slotData.item_type;
    this.ctx = ctx;
    this.inputs = [];
    const { t, lang } = ctx;
    const prefix = `q${this.slot}`;
    const render = slotData.render ?? {};
    this.stemText = pickText(render.stem, lang);

    this.heading = el("h2", { id: `${prefix}-title`, className: "question-title", tabindex: "-1",
      text: t("question_n", { n: ctx.index + 1, total: ctx.total }) });
    this.flagButton = el("button", { type: "button", className: "flag-toggle", "aria-pressed": "false",
      "aria-describedby": `${prefix}-title`, on: { click: () => ctx.onFlag(this.slot) } });
    this.saveState = el("span", { className: "save-state", "data-save-state": "none" });
    this.error = el("p", { className: "question-error", role: "alert", hidden: true });

    const head = el("div", { className: "question-head" },
      this.heading,
      el("span", { className: "question-points",
        text: `${formatPoints(slotData.points, lang)} ${Number(slotData.points) === 1 ? t("point") : t("points")}` }),
      this.saveState,
      this.flagButton);

    this.node = el("section", {
      className: "question", id: prefix, "data-slot": String(this.slot),
      "data-item-type": this.type, "aria-labelledby": `${prefix}-title`,
    }, head, this.buildAnswer(prefix, slotData, render), this.error);
    this.setFlagged(false);
  }

  buildAnswer(prefix, slotData, render) {
    const { t } = this.ctx;
    this.part = buildPart(this.type, prefix, render, this.ctx, (typing) => this.changed(typing),
      () => this.ctx.onFlush(this.slot));
    if (this.part) {
      this.inputs.push(...this.part.inputs);
      return this.part.node;
    }
    if (["single_choice", "true_false", "multiple_response"].includes(this.type)) {
      const multiple = this.type === "multiple_response";
      const options = choiceOptions(slotData, t).map((option) => {
        const id = `${prefix}-${option.id}`;
        const input = el("input", { type: multiple ? "checkbox" : "radio", name: prefix, id, value: option.id,
          on: { change: () => this.changed(false) } });
        this.inputs.push(input);
        const label = el("label", { for: id });
        if (option.plain) label.textContent = option.text;
        else setRichHtml(label, typeof option.text === "string" ? option.text : pickText(option.text, this.ctx.lang));
        return el("div", { className: "option" }, input, label);
      });
      const fieldset = el("fieldset", { className: `answer answer-${multiple ? "checkboxes" : "radios"}` },
        setRichHtml(el("legend", { className: "stem", id: `${prefix}-stem` }), this.stemText),
        el("div", { className: "options" }, options));
      if (multiple) return fieldset;
      // A radio cannot be unticked by itself; "null clears the answer".
      this.clearButton = el("button", { type: "button", className: "clear-answer", text: t("clear_answer"),
        "aria-describedby": `${prefix}-title`, hidden: true, on: { click: () => this.clear() } });
      return el("div", { className: "answer-wrap" }, fieldset, this.clearButton);
    }

    const id = `${prefix}-input`;
    const common = {
      id, name: prefix, autocomplete: "off", autocapitalize: "off", spellcheck: "false",
      "aria-describedby": `${prefix}-title`,
      on: {
        input: () => this.changed(true),
        // Leaving the field sends at once: no answer waits in a debounce when the student moves on.
        blur: () => this.ctx.onFlush(this.slot),
        change: () => this.ctx.onFlush(this.slot),
      },
    };
    let input;
    if (this.type === "numeric") {
      // Sent as typed ("3,5" in French is fine): the server parses, the page never does.
      input = el("input", { ...common, type: "text", inputmode: "decimal", maxlength: NUMERIC_MAX_LENGTH,
        placeholder: t("number_placeholder"), className: "numeric-input" });
    } else {
      const maxLength = Number.isInteger(render.max_length) && render.max_length > 0 ? render.max_length : 500;
      input = maxLength > TEXTAREA_FROM
        ? el("textarea", { ...common, rows: 4, maxlength: maxLength, placeholder: t("text_placeholder") })
        : el("input", { ...common, type: "text", maxlength: maxLength, placeholder: t("text_placeholder") });
    }
    this.inputs.push(input);
    const row = el("div", { className: "input-row" }, input);
    const unit = this.type === "numeric" ? pickText(render.unit, this.ctx.lang) : "";
    if (unit) {
      const unitId = `${prefix}-unit`;
      row.append(el("span", { className: "unit", id: unitId, text: unit }));
      input.setAttribute("aria-describedby", `${prefix}-title ${unitId}`);
    }
    return el("div", { className: `answer answer-${this.type === "numeric" ? "numeric" : "text"}` },
      setRichHtml(el("label", { for: id, className: "stem", id: `${prefix}-stem` }), this.stemText),
      row);
  }

  changed(typing) {
    this.updateClearButton();
    this.ctx.onChange(this.slot, this.read(), { typing });
  }

  clear() {
    this.write(null);
    this.ctx.onChange(this.slot, null, { typing: false });
    this.inputs[0]?.focus();
  }

  /** The response in the server's shape, or null when unanswered. */
  read() {
    if (this.part) return this.part.read();
    switch (this.type) {
      case "single_choice": {
        const checked = this.inputs.find((input) => input.checked);
        return checked ? { choice: checked.value } : null;
      }
      case "true_false": {
        const checked = this.inputs.find((input) => input.checked);
        return checked ? { value: checked.value === "true" } : null;
      }
      case "multiple_response": {
        // In the displayed order of the options, so equal answers compare equal.
        const choices = this.inputs.filter((input) => input.checked).map((input) => input.value);
        return choices.length ? { choices } : null;
      }
      case "numeric": {
        const value = this.inputs[0].value;
        return value === "" ? null : { value };
      }
      default: {
        const text = this.inputs[0]?.value ?? "";
        return text === "" ? null : { text };
      }
    }
  }

  /** Show a response (from the server or the outbox) on the inputs. */
  write(response) {
    if (this.part) {
      this.part.write(response);
      return;
    }
    switch (this.type) {
      case "single_choice":
        this.inputs.forEach((input) => { input.checked = response?.choice === input.value; });
        break;
      case "true_false":
        this.inputs.forEach((input) => {
          input.checked = typeof response?.value === "boolean" && String(response.value) === input.value;
        });
        break;
      case "multiple_response": {
        const chosen = new Set(Array.isArray(response?.choices) ? response.choices.map(String) : []);
        this.inputs.forEach((input) => { input.checked = chosen.has(input.value); });
        break;
      }
      case "numeric":
        this.inputs[0].value = response?.value === undefined || response?.value === null ? "" : String(response.value);
        break;
      default:
        if (this.inputs[0]) this.inputs[0].value = typeof response?.text === "string" ? response.text : "";
    }
    this.updateClearButton();
  }

  updateClearButton() {
    if (this.clearButton) this.clearButton.hidden = !this.inputs.some((input) => input.checked);
  }

  isFocused() {
    return this.inputs.includes(document.activeElement);
  }

  setDisabled(disabled) {
    this.inputs.forEach((input) => { input.disabled = disabled; });
    if (this.clearButton) this.clearButton.disabled = disabled;
  }

  setFlagged(flagged) {
    const { t } = this.ctx;
    this.flagButton.setAttribute("aria-pressed", String(flagged));
    this.flagButton.textContent = flagged ? `⚑ ${t("unflag")}` : `⚐ ${t("flag")}`;
    this.node.dataset.flagged = String(flagged);
  }

  setAnswered(answered) {
    this.node.dataset.answered = String(answered);
  }

  /** "pending" while a save of this question waits in the outbox, "saved" once acknowledged. */
  setSaveState(state) {
    const { t } = this.ctx;
    this.saveState.dataset.saveState = state;
    this.saveState.textContent = state === "pending" ? t("saving") : state === "saved" ? t("saved") : "";
  }

  showError(message) {
    this.error.textContent = message || "";
    this.error.hidden = !message;
  }

  setVisible(visible) {
    this.node.hidden = !visible;
  }

  focusHeading() {
    this.heading.focus();
  }
}
