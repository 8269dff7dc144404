// The proctor's live view of a sitting: poll the progress endpoint every five
// seconds and update the table rows in place (a rebuilt row would steal the
// keyboard focus from a proctor about to press Pause), with Pause / Resume /
// +5 min buttons that call the REST API. Integrity flags show as badges and put
// their student at the top; the sitting's `proctor:event`s (Socket.IO `/proctor`)
// refresh the table at once rather than at the next poll.

import { io } from "socket.io-client";

const POLL_MS = 5000;
const MAX_POLL_MS = 30000;

function csrfToken(table) {
  return document.querySelector('meta[name="csrf-token"]')?.content || table.dataset.csrf || "";
}

// HH:MM:SS in the browser's time zone: compact, and read the same way in French and English
// (fr-CA's locale format, "09 h 40 min 56 s", does not fit a table cell).
function localTime(iso) {
  const ms = Date.parse(iso);
  if (!iso || !Number.isFinite(ms)) return "—";
  const date = new Date(ms);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

function timeCell(cell, iso) {
  let time = cell.querySelector("time");
  if (!time) {
    time = document.createElement("time");
    cell.replaceChildren(time);
  }
  if (iso) time.setAttribute("datetime", iso);
  else time.removeAttribute("datetime");
  time.textContent = localTime(iso);
}

class ProgressTable {
  constructor(table) {
    this.table = table;
    this.url = table.dataset.progressUrl;
    this.body = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
    this.rows = new Map();
    this.delay = POLL_MS;
    this.status = document.getElementById("watch-status");
    if (!this.status) {
      this.status = document.createElement("p");
      this.status.id = "watch-status";
      this.status.className = "watch-status";
      this.status.setAttribute("role", "status");
      table.after(this.status);
    }
  }

  label(name, fallback) {
    return this.table.getAttribute(`data-label-${name}`) || fallback;
  }

  stateLabel(state) {
    return this.table.getAttribute(`data-state-${state}`) || state || "";
  }

  async poll() {
    try {
      const response = await fetch(this.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      this.render(await response.json());
      this.table.dataset.updatedAt = new Date().toISOString();
      this.delay = POLL_MS;
      if (this.status.dataset.source === "poll") this.say("", "poll");
    } catch (error) {
      // The server restarting must not stop the watch: slow down and keep trying.
      this.delay = Math.min(this.delay * 2, MAX_POLL_MS);
      this.table.dataset.stale = "true";
      console.warn("ardoise: progress not refreshed", error);
      return;
    } finally {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.poll(), this.delay);
    }
    this.table.dataset.stale = "false";
  }

  render(payload) {
    const candidates = Array.isArray(payload?.candidates) ? payload.candidates : [];
    const seen = new Set();
    candidates.forEach((candidate, index) => {
      const key = String(candidate.person_id);
      seen.add(key);
      let row = this.rows.get(key);
      if (!row) {
        row = this.createRow(key);
        this.rows.set(key, row);
      }
      this.fillRow(row, candidate);
      // Keep the server's order without moving rows that are already in place.
      if (this.body.children[index] !== row.tr) this.body.insertBefore(row.tr, this.body.children[index] || null);
    });
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.tr.remove();
        this.rows.delete(key);
      }
    }
    // Rows the server rendered with the page give way to the live ones.
    const live = new Set([...this.rows.values()].map((row) => row.tr));
    [...this.body.rows].forEach((tr) => { if (!live.has(tr)) tr.remove(); });
  }

  createRow(key) {
    const tr = document.createElement("tr");
    tr.dataset.personId = key;
    const cells = {};
    for (const name of ["username", "name", "state", "flags", "progress", "last_saved", "deadline", "actions"]) {
      const cell = document.createElement(name === "username" ? "th" : "td");
      if (name === "username") cell.scope = "row";
      cell.className = `col-${name}`;
      cells[name] = cell;
      tr.append(cell);
    }
    const bar = document.createElement("progress");
    const barText = document.createElement("span");
    barText.className = "progress-text";
    cells.progress.append(bar, barText);

    const button = (action, text) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `watch-${action}`;
      b.dataset.action = action;
      b.textContent = text;
      b.addEventListener("click", () => this.act(row, action, b));
      return b;
    };
    const row = { tr, cells, bar, barText, candidate: null };
    row.pause = button("pause", this.label("pause", "Pause"));
    row.resume = button("resume", this.label("resume", "Resume"));
    row.extend = button("extend", this.label("extend", "+5 min"));
    row.unlock = button("unlock", this.label("unlock", "Unlock"));
    row.message = button("announce", this.label("announce", "Message"));
    row.end = button("end", this.label("end", "End"));
    return row;
  }

  fillRow(row, candidate) {
    row.candidate = candidate;
    const { cells } = row;
    const state = candidate.state || "not_started";
    row.tr.dataset.attemptId = candidate.attempt_id || "";
    row.tr.dataset.state = state;
    cells.name.textContent = candidate.name ?? "";
    cells.state.textContent = this.stateLabel(state);
    const flags = Array.isArray(candidate.flags) ? candidate.flags : [];
    row.tr.dataset.flags = String(flags.length);
    row.tr.classList.toggle("flagged", flags.length > 0);
    const shown = [...cells.flags.children].map((badge) => badge.dataset.rule).join(",");
    if (shown !== flags.join(",")) {
      cells.flags.replaceChildren(...flags.map((rule) => {
        const badge = document.createElement("span");
        badge.className = `badge flag flag-${rule}`;
        badge.dataset.rule = rule;
        badge.textContent = this.table.getAttribute(`data-flag-${rule}`) || rule;
        return badge;
      }));
    }
    const total = Number(candidate.total) || 0;
    const answered = Math.min(Number(candidate.answered) || 0, total);
    row.bar.max = Math.max(total, 1);
    row.bar.value = answered;
    row.barText.textContent = `${answered}/${total}`;
    row.bar.setAttribute("aria-label", `${candidate.username ?? ""}: ${answered}/${total}`);
    timeCell(cells.last_saved, candidate.last_saved_at);
    // The student's integrity report (timeline, addresses, notes) from their name.
    const reportUrl = candidate.attempt_id && this.table.dataset.reportUrl
      ? this.table.dataset.reportUrl.replace("__attempt__", encodeURIComponent(candidate.attempt_id)) : "";
    const link = cells.username.querySelector("a");
    if (reportUrl && (!link || link.getAttribute("href") !== reportUrl)) {
      const anchor = document.createElement("a");
      anchor.href = reportUrl;
      anchor.textContent = candidate.username ?? "";
      cells.username.replaceChildren(anchor);
    } else if (!reportUrl) {
      cells.username.textContent = candidate.username ?? "";
    }
    timeCell(cells.deadline, candidate.deadline);

    const open = Boolean(candidate.attempt_id) && ["in_progress", "paused", "idle", "disconnected"].includes(state);
    const locked = Boolean(candidate.attempt_id) && state === "locked";
    // Only the buttons that make sense are in the cell (not merely hidden: the base
    // stylesheet's button display would beat the hidden attribute). The cell is
    // only touched when the set changes, so a focused button stays focused.
    const wanted = open ? [state === "paused" ? row.resume : row.pause, row.extend, row.message, row.unlock, row.end]
      : locked ? [row.message, row.unlock, row.end] : [];
    const current = [...cells.actions.children];
    if (wanted.length !== current.length || wanted.some((b, i) => b !== current[i])) {
      cells.actions.replaceChildren(...wanted);
    }
    const who = candidate.name || candidate.username || "";
    row.pause.setAttribute("aria-label", `${this.label("pause", "Pause")} — ${who}`);
    row.resume.setAttribute("aria-label", `${this.label("resume", "Resume")} — ${who}`);
    row.extend.setAttribute("aria-label", `${this.label("extend", "+5 min")} — ${who}`);
    row.unlock.setAttribute("aria-label", `${this.label("unlock", "Unlock")} — ${who}`);
    row.message.setAttribute("aria-label", `${this.label("announce", "Message")} — ${who}`);
    row.end.setAttribute("aria-label", `${this.label("end", "End")} — ${who}`);
  }

  async act(row, action, button) {
    const attemptId = row.candidate?.attempt_id;
    if (!attemptId) return;
    let payload = action === "extend" ? { minutes: 5 } : {};
    if (action === "announce") {
      const text = window.prompt(this.label("announce-prompt", "Message"));
      if (!text || !text.trim()) return;
      payload = { text: text.trim() };
    }
    if (action === "end") {
      const who = row.candidate.name || row.candidate.username || "";
      if (!window.confirm((this.label("end-confirm", "End this exam now?") || "").replace("%(name)s", who))) return;
    }
    // Read before disabling: a disabled button loses the focus.
    const focusWasHere = document.activeElement === button;
    button.disabled = true;
    try {
      const response = await fetch(`/api/v1/attempts/${encodeURIComponent(attemptId)}/${action}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(this.table) },
        body: JSON.stringify(payload),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || body.ok === false) {
        this.say(body.message || body.error || String(response.status), "action");
      } else {
        this.say("", "action");
      }
    } catch (error) {
      this.say(String(error.message || error), "action");
    } finally {
      button.disabled = false;
      await this.poll();
      // Pause became Resume (or the reverse): keep the keyboard in the row.
      if (focusWasHere) (button.isConnected ? button : row.cells.actions.querySelector("button"))?.focus();
    }
  }

  say(message, source) {
    this.status.textContent = message;
    this.status.dataset.source = source;
  }
}

// "Extend everyone": minutes, or a percentage of the time limit, for every attempt in progress.
function extendAll(form, progress) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const amount = Number(form.elements.amount.value);
    const unit = form.elements.unit.value === "percent" ? "percent" : "minutes";
    const status = form.querySelector("[role=status]");
    try {
      const response = await fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(progress.table) },
        body: JSON.stringify({ [unit]: unit === "minutes" ? Math.round(amount) : amount }),
      });
      const body = await response.json().catch(() => ({}));
      status.textContent = response.ok ? (form.dataset.done || "").replace("%(n)s", body.attempts) : (body.message || body.error || String(response.status));
    } catch (error) {
      status.textContent = String(error.message || error);
    }
    progress.poll();
  });
}

function follow(table, progress) {
  const sittingId = table.dataset.sittingId;
  if (!sittingId) return;
  const socket = io("/proctor", { transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
  socket.on("connect", () => socket.emit("sitting:join", { sitting_id: sittingId }));
  let pending = null;
  socket.on("proctor:event", () => {
    // A burst of events is one refresh.
    if (pending === null) pending = window.setTimeout(() => { pending = null; progress.poll(); }, 200);
  });
}

function main() {
  const table = document.getElementById("progress");
  if (!table || !table.dataset.progressUrl) return;
  const progress = new ProgressTable(table);
  progress.poll();
  follow(table, progress);
  const form = document.getElementById("extend-all");
  if (form) extendAll(form, progress);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
