// The student's exercise page of the coding lab: the statement, the editor with its
// autosaved draft, "Run" (visible tests or the student's own input), "Submit" with the
// submission's status pushed live over Socket.IO (/lab), and the verdicts.
//
// Safety: program output, test inputs and expected outputs go into the page through
// textContent only (dom.js `el`). The statement is HTML the server sanitised
// (item_bank.rich_text), put in place by math.js like item texts.

import { io } from "socket.io-client";
import { el, setShown } from "./dom.js";
import { makeTranslator, pickText } from "./strings.js";
import { setRichHtml } from "./math.js";
import { createEditor, getCode, goToLine } from "./lab_editor.js";
import { lineDiff, differs } from "./lab_diff.js";
import { DraftKeeper } from "./lab_draft.js";

const POLL_MS = 2000;
const SAFETY_POLL_MS = 15000;
const FINAL = new Set(["graded", "error"]);

class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

async function api(method, url, body) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRFToken"] = csrfToken();
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, null);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload || {};
}

function formatNumber(value, lang) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat(lang === "fr" ? "fr-CA" : "en-CA", { maximumFractionDigits: 2 }).format(value);
}

function formatTime(iso, lang) {
  const date = iso ? new Date(iso) : new Date();
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(lang === "fr" ? "fr-CA" : "en-CA", {
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).format(date);
}

function formatDateTime(iso, lang) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(lang === "fr" ? "fr-CA" : "en-CA", {
    dateStyle: "medium", timeStyle: "short",
  }).format(date);
}

/** A block of program text (input, output, compiler messages): textContent only. */
function textBlock(text, t, className = "lab-pre") {
  const shown = typeof text === "string" && text !== "" ? text : t("no_output");
  return el("pre", { className, text: shown });
}

class LabPage {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.lang = data.lang === "en" ? "en" : "fr";
    this.t = makeTranslator(data.strings);
    this.api = data.api;
    this.submissions = new Map(); // id -> summary
    this.watched = new Map(); // id -> poll timer
    this.events = new Map(); // id -> last status event (they can arrive before the 202)
    this.inputs = new Map(); // visible test name -> its stdin
    this.shownSubmission = null;
    this.nodes = {
      statement: document.getElementById("statement"),
      visibleTests: document.getElementById("visible-tests"),
      editor: document.getElementById("editor"),
      saveStatus: document.getElementById("save-status"),
      run: document.getElementById("run-button"),
      runInput: document.getElementById("run-input-button"),
      stdin: document.getElementById("stdin"),
      submit: document.getElementById("submit-button"),
      message: document.getElementById("lab-message"),
      live: document.getElementById("live-status"),
      results: document.getElementById("results"),
      resultsTitle: document.getElementById("results-title"),
      resultsBody: document.getElementById("results-body"),
      history: document.getElementById("history"),
      attemptsUsed: document.getElementById("attempts-used"),
    };
  }

  async start() {
    let view;
    try {
      view = await api("GET", this.api.assignment);
    } catch (error) {
      this.nodes.statement.replaceChildren(el("p", { className: "flash flash-error", role: "alert",
        text: error.body?.message || this.t("load_failed") }));
      this.setBusy(true);
      return;
    }
    this.view = view;
    this.showStatement(view);
    // The visible tests' inputs, to show beside a failed test's outputs.
    this.inputs = new Map((view.public_tests || []).filter((test) => !test.hidden)
      .map((test) => [test.name, test.stdin]));
    this.showVisibleTests(view.public_tests || []);
    this.startEditor(view);
    for (const summary of view.submissions || []) this.submissions.set(summary.id, summary);
    this.renderHistory();
    this.nodes.run.addEventListener("click", () => this.runVisible());
    this.nodes.runInput.addEventListener("click", () => this.runWithInput());
    this.nodes.submit.addEventListener("click", () => this.submit());
    this.connect();
    // A submission still being graded when the page was (re)loaded: follow it.
    for (const summary of this.submissions.values()) {
      if (!FINAL.has(summary.status)) this.follow(summary.id);
    }
    const last = [...this.submissions.values()].filter((s) => FINAL.has(s.status)).pop();
    if (last) this.showSubmission(last.id);
  }

  // -- statement and tests ---------------------------------------------------------------

  showStatement(view) {
    const html = pickText(view.statement || {}, this.lang);
    setRichHtml(this.nodes.statement, html);
  }

  showVisibleTests(tests) {
    const visible = tests.filter((test) => !test.hidden);
    const hidden = tests.length - visible.length;
    const box = this.nodes.visibleTests;
    box.replaceChildren();
    if (visible.length) {
      box.append(el("h3", { text: this.t("visible_tests") }));
      const list = el("ul", { className: "plain lab-public-tests" });
      for (const test of visible) {
        const item = el("li", { className: "lab-public-test" }, el("strong", { text: test.name }));
        if (test.kind === "function") {
          item.append(" ", el("span", { className: "muted", text: this.t("function_test") }));
        } else {
          item.append(
            el("div", { className: "lab-io" },
              el("div", {}, el("span", { className: "lab-io-label", text: this.t("input") }), textBlock(test.stdin, this.t)),
              el("div", {}, el("span", { className: "lab-io-label", text: this.t("expected") }), textBlock(test.expected, this.t))));
        }
        list.append(item);
      }
      box.append(list);
    }
    if (hidden > 0) box.append(el("p", { className: "muted", text: this.t("hidden_tests_n", { n: hidden }) }));
  }

  // -- the editor and its draft ----------------------------------------------------------

  startEditor(view) {
    const key = `ardoise.lab.draft.${this.data.user_id}.${this.data.assignment_id}`;
    this.drafts = new DraftKeeper({
      key,
      save: (code) => api("PUT", this.api.draft, { code }),
      onState: (state, detail) => this.saveState(state, detail),
    });
    const serverDraft = view.draft && typeof view.draft.code === "string" ? view.draft : null;
    const local = this.drafts.pendingLocal();
    let doc = serverDraft ? serverDraft.code : (view.starter_code || "");
    let restored = false;
    if (local && local.code !== doc) {
      doc = local.code;
      restored = true;
    }
    const label = this.nodes.editor.dataset.label || this.t("editor_label", { language: this.data.language_label });
    this.editor = createEditor({
      language: view.language || this.data.language,
      doc,
      label,
      describedBy: "editor-help",
      nonce: this.data.style_nonce,
      onChange: (code) => this.drafts.changed(code),
    });
    this.nodes.editor.replaceChildren(this.editor.dom);
    if (restored) {
      this.drafts.start(doc, false);
      this.showMessage(this.t("restored_local"), "warn");
    } else {
      this.drafts.start(doc, true); // the server's draft, or its starter code: nothing to send
      if (serverDraft) this.saveState("saved", serverDraft.saved_at);
      else this.nodes.saveStatus.textContent = this.t("not_saved_yet");
    }
    // Leaving the page: one last try to send what was typed (the local copy stays anyway).
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.drafts.flush();
    });
  }

  saveState(state, detail) {
    const status = this.nodes.saveStatus;
    status.classList.toggle("lab-save-failed", state === "failed");
    if (state === "saving") status.textContent = this.t("saving");
    else if (state === "saved") status.textContent = this.t("saved_at", { time: formatTime(detail, this.lang) });
    else if (state === "failed") status.textContent = this.t("save_failed");
  }

  code() {
    return getCode(this.editor);
  }

  // -- messages --------------------------------------------------------------------------

  showMessage(text, kind = "error") {
    const node = this.nodes.message;
    node.className = `flash flash-${kind}`;
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    node.textContent = text;
    setShown(node, Boolean(text));
  }

  refusal(error, fallback) {
    // The API's message is translated on the server (its code is in error.body.error).
    return error.body?.message || fallback;
  }

  setBusy(busy) {
    this.busy = busy;
    this.nodes.run.disabled = busy;
    this.nodes.runInput.disabled = busy;
    this.nodes.submit.disabled = busy || this.data.status === "closed" || Boolean(this.waitUntil);
    this.root.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // -- run -------------------------------------------------------------------------------

  async runVisible() {
    this.showMessage("");
    this.setBusy(true);
    this.nodes.live.textContent = this.t("running_tests");
    try {
      const answer = await api("POST", this.api.run, { code: this.code() });
      this.shownSubmission = null;
      this.showResults(this.t("run_results"), answer, { run: true });
      // Said once by the status region; the results themselves are read on demand.
      const tests = Array.isArray(answer.tests) ? answer.tests : [];
      this.nodes.live.textContent = tests.length ? this.t("passed_n", {
        n: tests.filter((test) => test.verdict === "passed").length, total: tests.length }) : "";
    } catch (error) {
      this.nodes.live.textContent = "";
      this.showMessage(this.refusal(error, this.t("run_failed")));
    } finally {
      this.setBusy(false);
    }
  }

  async runWithInput() {
    this.showMessage("");
    this.setBusy(true);
    this.nodes.live.textContent = this.t("running_tests");
    try {
      const answer = await api("POST", this.api.run, { code: this.code(), stdin: this.nodes.stdin.value });
      this.shownSubmission = null;
      this.showProgramRun(answer);
      this.nodes.live.textContent = this.t("run_with_input");
    } catch (error) {
      this.nodes.live.textContent = "";
      this.showMessage(this.refusal(error, this.t("run_failed")));
    } finally {
      this.setBusy(false);
    }
  }

  showProgramRun(answer) {
    const body = [];
    const ok = answer.status === "ok";
    body.push(el("p", { className: "lab-run-status", text: this.t("exit_status", {
      status: ok ? this.t("status_ok") : this.t("status_other", { status: answer.status || "?" }) }) }));
    if (answer.compile_output) {
      body.push(el("h3", { text: this.t("compile_output") }), textBlock(answer.compile_output, this.t, "lab-pre lab-compile"));
    }
    body.push(el("h3", { text: this.t("program_output") }), textBlock(answer.stdout, this.t, "lab-pre lab-stdout"));
    if (answer.stderr) body.push(el("h3", { text: this.t("errors") }), textBlock(answer.stderr, this.t, "lab-pre lab-stderr"));
    body.push(...this.explanations(answer.explanations));
    this.setResults(this.t("run_with_input"), body);
  }

  // -- submit and live status ------------------------------------------------------------

  async submit() {
    this.showMessage("");
    await this.drafts.flush();
    this.setBusy(true);
    this.nodes.live.textContent = this.t("submitting");
    let answer;
    try {
      answer = await api("POST", this.api.submissions, { code: this.code() });
    } catch (error) {
      this.nodes.live.textContent = "";
      this.showMessage(this.refusal(error, this.t("submit_failed")));
      const seconds = Number(error.body?.seconds);
      if (error.body?.error === "submit_too_soon" && seconds > 0) this.holdSubmit(seconds);
      this.setBusy(false);
      return;
    }
    const summary = { id: answer.id, number: answer.number, status: answer.status || "queued",
      score: null, max_score: null, submitted_at: new Date().toISOString() };
    const early = this.events.get(answer.id);
    if (early) Object.assign(summary, this.fromEvent(early));
    this.submissions.set(summary.id, summary);
    this.renderHistory();
    this.updateAttempts();
    this.setBusy(false);
    this.shownSubmission = summary.id;
    this.announceStatus(summary);
    if (FINAL.has(summary.status)) this.showSubmission(summary.id);
    else this.follow(summary.id);
  }

  holdSubmit(seconds) {
    this.waitUntil = Date.now() + seconds * 1000;
    this.setBusy(this.busy);
    window.setTimeout(() => {
      this.waitUntil = null;
      this.setBusy(this.busy);
    }, seconds * 1000);
  }

  updateAttempts() {
    const node = this.nodes.attemptsUsed;
    if (!node) return;
    const limit = this.view?.rules?.attempt_limit;
    const used = this.submissions.size;
    node.textContent = limit ? this.t("attempts_of", { n: used, max: limit }) : this.t("attempts_n", { n: used });
  }

  connect() {
    this.socket = io("/lab", {
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000,
    });
    this.socket.on("submission:status", (event) => this.onStatus(event));
    this.socket.on("connect", () => {
      this.root.dataset.live = "on";
      // Events missed while disconnected: ask once for every submission still followed.
      for (const id of this.watched.keys()) this.poll(id);
    });
    this.socket.on("disconnect", () => { this.root.dataset.live = "off"; });
  }

  fromEvent(event) {
    const update = { status: event.status };
    if (event.status === "graded") {
      update.score = event.score;
      update.max_score = event.max_score;
    }
    return update;
  }

  onStatus(event) {
    if (!event || event.assignment_id !== this.data.assignment_id) return;
    this.events.set(event.submission_id, event);
    const summary = this.submissions.get(event.submission_id);
    if (!summary) return; // the 202 has not arrived yet; submit() reads this.events
    Object.assign(summary, this.fromEvent(event));
    this.renderHistory();
    if (this.shownSubmission === summary.id) this.announceStatus(summary);
    if (FINAL.has(summary.status)) {
      this.unfollow(summary.id);
      if (this.shownSubmission === summary.id || this.shownSubmission === null) this.showSubmission(summary.id);
    }
  }

  /** Follow a submission until it is graded: live events, and a poll when the socket is down. */
  follow(id) {
    if (this.watched.has(id)) return;
    this.watched.set(id, null);
    this.poll(id);
  }

  unfollow(id) {
    window.clearTimeout(this.watched.get(id));
    this.watched.delete(id);
  }

  async poll(id) {
    if (!this.watched.has(id)) return;
    window.clearTimeout(this.watched.get(id));
    let view = null;
    try {
      view = await api("GET", this.api.submission + encodeURIComponent(id));
    } catch {
      view = null;
    }
    if (!this.watched.has(id)) return;
    if (view) {
      const summary = this.submissions.get(id);
      if (summary) {
        Object.assign(summary, { status: view.status, score: view.score, max_score: view.max_score,
          days_late: view.days_late });
        this.renderHistory();
        if (this.shownSubmission === id) this.announceStatus(summary);
      }
      if (FINAL.has(view.status)) {
        this.unfollow(id);
        if (this.shownSubmission === id || this.shownSubmission === null) this.renderSubmission(view);
        return;
      }
    }
    const live = this.socket && this.socket.connected;
    if (!live) this.nodes.live.textContent = this.t("live_off");
    this.watched.set(id, window.setTimeout(() => this.poll(id), live ? SAFETY_POLL_MS : POLL_MS));
  }

  announceStatus(summary) {
    const words = this.t(`status_${summary.status}`);
    this.nodes.live.textContent = `${this.t("submission_n", { n: summary.number })} — ${words}`;
  }

  async showSubmission(id) {
    this.shownSubmission = id;
    try {
      const view = await api("GET", this.api.submission + encodeURIComponent(id));
      this.renderSubmission(view);
    } catch (error) {
      this.showMessage(this.refusal(error, this.t("load_failed")));
    }
  }

  renderSubmission(view) {
    const summary = this.submissions.get(view.id);
    if (summary) Object.assign(summary, { status: view.status, score: view.score, max_score: view.max_score });
    this.renderHistory();
    this.shownSubmission = view.id;
    this.announceStatus(view);
    this.showResults(this.t("submission_results", { n: view.number }), view, { run: false });
  }

  // -- history ---------------------------------------------------------------------------

  renderHistory() {
    const list = this.nodes.history;
    const rows = [...this.submissions.values()].sort((a, b) => b.number - a.number);
    list.replaceChildren();
    if (!rows.length) {
      list.append(el("li", { className: "muted", text: this.t("no_submissions") }));
      return;
    }
    for (const summary of rows) {
      const graded = summary.status === "graded";
      const item = el("li", { className: `lab-history-item status-${summary.status}`, "data-submission-id": summary.id },
        el("strong", { text: this.t("submission_n", { n: summary.number }) }),
        el("span", { className: `badge lab-badge-${summary.status}`, text: this.t(`status_${summary.status}`) }),
        graded ? el("span", { className: "lab-score", text: this.t("score", {
          score: formatNumber(summary.score, this.lang), max: formatNumber(summary.max_score, this.lang) }) }) : null,
        summary.submitted_at ? el("time", { datetime: summary.submitted_at, className: "muted",
          text: formatDateTime(summary.submitted_at, this.lang) }) : null,
        FINAL.has(summary.status) ? el("button", { type: "button", className: "link-like",
          text: this.t("details"), "aria-label": `${this.t("details")} — ${this.t("submission_n", { n: summary.number })}`,
          on: { click: () => this.showSubmission(summary.id) } }) : null);
      list.append(item);
    }
  }

  // -- verdicts --------------------------------------------------------------------------

  setResults(title, children) {
    this.nodes.resultsTitle.textContent = title;
    this.nodes.resultsBody.replaceChildren(...children);
    setShown(this.nodes.results, true);
  }

  showResults(title, answer, { run }) {
    const tests = Array.isArray(answer.tests) ? answer.tests : [];
    const body = [];
    if (!run) {
      if (answer.status === "graded") {
        body.push(el("p", { className: "lab-total score", text: this.t("score", {
          score: formatNumber(answer.score, this.lang), max: formatNumber(answer.max_score, this.lang) }) }));
        if (answer.days_late > 0) body.push(el("p", { className: "flash flash-warn", text: this.t("days_late", { n: answer.days_late }) }));
      } else if (answer.status === "error") {
        body.push(el("p", { className: "flash flash-error", text: this.t("status_error") }));
      }
    }
    if (tests.length) {
      const passed = tests.filter((test) => test.verdict === "passed").length;
      body.push(el("p", { className: "lab-summary summary", text: this.t("passed_n", { n: passed, total: tests.length }) }));
    }
    if (answer.compile_output) {
      body.push(el("h3", { text: this.t("compile_output") }), textBlock(answer.compile_output, this.t, "lab-pre lab-compile"));
    }
    body.push(...this.explanations(answer.explanations));
    if (tests.length) {
      const list = el("ol", { className: "plain lab-tests" });
      for (const test of tests) list.append(this.testItem(test));
      body.push(list);
    }
    this.setResults(title, body);
  }

  verdictBadge(verdict) {
    const key = `verdict_${verdict}`;
    const words = this.t(key);
    return el("span", { className: `badge lab-verdict lab-verdict-${verdict === "passed" ? "passed" : "failed"}`,
      "data-verdict": verdict, text: words === key ? verdict : words });
  }

  testItem(test) {
    const passed = test.verdict === "passed";
    const head = el("div", { className: "lab-test-head" },
      this.verdictBadge(test.verdict),
      el("span", { className: "lab-test-name", text: test.name }),
      test.hidden ? el("span", { className: "muted", text: `(${this.t("test_hidden")})` }) : null,
      typeof test.weight === "number" && test.weight !== 1 ? el("span", { className: "muted", text: this.t("weight", { n: formatNumber(test.weight, this.lang) }) }) : null);
    const item = el("li", { className: `lab-test ${passed ? "is-passed" : "is-failed"}`, "data-test": test.name }, head);
    if (test.hidden) return item; // hidden tests: the verdict only
    const details = [];
    if (!passed && test.hint) details.push(el("p", { className: "lab-hint" }, el("strong", { text: `${this.t("hint")} ` }), test.hint));
    if (test.assertion) {
      details.push(el("div", { className: "lab-assertion" }, el("span", { className: "lab-io-label", text: this.t("assertion") }),
        textBlock(test.assertion, this.t, "lab-pre")));
    }
    const given = this.inputs.get(test.name);
    if (!passed && typeof given === "string" && given !== "") {
      details.push(el("div", { className: "lab-given" }, el("span", { className: "lab-io-label", text: this.t("input") }),
        textBlock(given, this.t)));
    }
    const isFunction = test.expected == null && typeof test.stdout !== "string";
    // A program that did not compile, or a test not run, printed nothing worth comparing.
    const ran = test.verdict !== "compile_error" && test.verdict !== "not_run";
    if (ran && !isFunction && (typeof test.expected === "string" || typeof test.stdout === "string")) {
      const rows = lineDiff(test.expected || "", test.stdout || "");
      if (!passed && differs(rows)) details.push(this.diffTable(rows));
      const io = el("div", { className: "lab-io" },
        el("div", {}, el("span", { className: "lab-io-label", text: this.t("expected") }), textBlock(test.expected, this.t)),
        el("div", {}, el("span", { className: "lab-io-label", text: this.t("actual") }), textBlock(test.stdout, this.t, "lab-pre lab-stdout")));
      if (passed) details.push(el("details", {}, el("summary", { text: this.t("details") }), io));
      else details.push(io);
    }
    if (!passed && test.stderr) {
      details.push(el("div", {}, el("span", { className: "lab-io-label", text: this.t("errors") }),
        textBlock(test.stderr, this.t, "lab-pre lab-stderr")));
    }
    if (details.length) item.append(el("div", { className: "lab-test-body" }, ...details));
    return item;
  }

  diffTable(rows) {
    const table = el("table", { className: "lab-diff" },
      el("caption", { text: this.t("diff") }));
    const body = el("tbody");
    for (const row of rows) {
      const sign = row.op === "expected" ? "−" : row.op === "actual" ? "+" : " ";
      body.append(el("tr", { className: `lab-diff-${row.op}` },
        el("td", { className: "lab-diff-sign", "aria-hidden": "true", text: sign }),
        el("td", { className: "lab-diff-text" },
          el("span", { className: "visually-hidden", text: row.op === "expected" ? `${this.t("diff_expected")} ` : row.op === "actual" ? `${this.t("diff_actual")} ` : "" }),
          row.text === "" ? el("span", { className: "muted", text: "⏎" }) : row.text)));
    }
    table.append(body);
    return table;
  }

  explanations(list) {
    if (!Array.isArray(list) || !list.length) return [];
    const blocks = [];
    for (const found of list) {
      const parts = [];
      const title = found.title || this.t("explanation");
      parts.push(el("h4", { text: title }));
      if (found.line) {
        parts.push(el("p", { className: "lab-where" }, this.t("at_line", { n: found.line }), " ",
          el("button", { type: "button", className: "link-like", text: this.t("go_to_line", { n: found.line }),
            on: { click: () => goToLine(this.editor, found.line) } })));
      }
      if (found.meaning) parts.push(el("p", { text: found.meaning }));
      if (found.text) parts.push(el("p", { text: found.text }));
      if (found.cause) parts.push(el("p", {}, el("strong", { text: `${this.t("likely_cause")} ` }), found.cause));
      if (found.hint) parts.push(el("p", {}, el("strong", { text: `${this.t("what_to_try")} ` }), found.hint));
      if (found.raw) {
        parts.push(el("details", { className: "lab-raw" }, el("summary", { text: this.t("raw_message") }),
          textBlock(found.raw, this.t, "lab-pre")));
      }
      blocks.push(el("section", { className: "lab-explanation" }, ...parts));
    }
    return blocks;
  }
}

function start() {
  const root = document.getElementById("lab-app");
  const source = document.getElementById("lab-data");
  if (!root || !source) return;
  const page = new LabPage(root, JSON.parse(source.textContent));
  page.start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
