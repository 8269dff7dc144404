// The proctor's live view of a sitting: poll the progress endpoint every five
// seconds and update the table rows in place (a rebuilt row would steal the
// keyboard focus from a proctor about to press Pause), with Pause / Resume /
// +5 min buttons that call the REST API. Integrity flags show as badges and put
// their student at the top; the sitting's `proctor:event`s (Socket.IO `/proctor`)
// show a raised flag on its row at once and refresh the table soon (at most every two
// seconds) rather than at the next poll. Each student's "Timeline"
// button opens a row beneath theirs with their integrity events and the staff's
// actions and notes (refreshed when one of their events arrives) and a form to add a
// note, the same note as on their integrity report.

import { io } from "socket.io-client";

const POLL_MS = 5000;
const MAX_POLL_MS = 30000;
const AFTER_EVENT_MS = 200;
const EVENT_SPACING_MS = 2000;

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

function attemptUrl(template, attemptId) {
  return (template || "").replace("__attempt__", encodeURIComponent(attemptId));
}

async function postJson(url, payload, table) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(table) },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({}));
  return { response, body };
}

class ProgressTable {
  constructor(table) {
    this.table = table;
    this.url = table.dataset.progressUrl;
    this.body = table.tBodies[0] || table.appendChild(document.createElement("tbody"));
    this.rows = new Map();
    // Rows whose timeline is open, refreshed when one of their events arrives.
    this.opened = new Set();
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
    this.polledAt = Date.now();
    try {
      const response = await fetch(this.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      this.render(await response.json());
      this.table.dataset.updatedAt = new Date().toISOString();
      this.delay = POLL_MS;
      if (this.status.dataset.source === "poll") this.say("", "poll");
      // A timeline that failed to load is tried again once the server answers.
      for (const row of this.opened) if (row.detail?.problem.textContent) this.loadTimeline(row);
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

  // "12 min left" under the deadline of an open attempt (frozen while its clock is stopped).
  timeLeft(cell, remaining) {
    let left = cell.querySelector(".time-left");
    if (!Number.isFinite(remaining)) {
      left?.remove();
      return;
    }
    if (!left) {
      left = document.createElement("span");
      left.className = "time-left";
      cell.append(left);
    }
    const minutes = Math.ceil(remaining / 60000);
    left.textContent = this.label("left", "%(n)s min left").replace("%(n)s", String(minutes));
    left.classList.toggle("short", remaining < 5 * 60000);
  }

  render(payload) {
    const candidates = Array.isArray(payload?.candidates) ? payload.candidates : [];
    const seen = new Set();
    // Keep the server's order without moving rows that are already in place (a moved row
    // loses the focus); a student's timeline row follows theirs.
    const focused = document.activeElement;
    const caret = focused instanceof HTMLTextAreaElement ? [focused.selectionStart, focused.selectionEnd] : null;
    let cursor = this.body.firstElementChild;
    for (const candidate of candidates) {
      const key = String(candidate.person_id);
      seen.add(key);
      let row = this.rows.get(key);
      if (!row) {
        row = this.createRow(key);
        this.rows.set(key, row);
      }
      this.fillRow(row, candidate);
      for (const tr of row.detail ? [row.tr, row.detail.tr] : [row.tr]) {
        if (tr === cursor) cursor = cursor.nextElementSibling;
        else this.body.insertBefore(tr, cursor);
      }
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.tr.remove();
        row.detail?.tr.remove();
        this.opened.delete(row);
        this.rows.delete(key);
      }
    }
    // Rows the server rendered with the page give way to the live ones.
    const live = new Set([...this.rows.values()].flatMap((row) => (row.detail ? [row.tr, row.detail.tr] : [row.tr])));
    [...this.body.rows].forEach((tr) => { if (!live.has(tr)) tr.remove(); });
    // A student moved up (a new flag) takes their open timeline along: a note being typed
    // there keeps the focus and the caret.
    if (focused?.isConnected && document.activeElement !== focused && this.body.contains(focused)) {
      focused.focus();
      if (caret) focused.setSelectionRange(caret[0], caret[1]);
    }
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
    row.timeline = document.createElement("button");
    row.timeline.type = "button";
    row.timeline.className = "watch-timeline";
    row.timeline.textContent = this.label("timeline", "Timeline");
    row.timeline.setAttribute("aria-expanded", "false");
    row.timeline.addEventListener("click", () => this.toggleTimeline(row));
    row.detail = null;
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
      ? attemptUrl(this.table.dataset.reportUrl, candidate.attempt_id) : "";
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
    this.timeLeft(cells.deadline, candidate.remaining_ms);

    const open = Boolean(candidate.attempt_id) && ["in_progress", "paused", "idle", "disconnected"].includes(state);
    const locked = Boolean(candidate.attempt_id) && state === "locked";
    // Only the buttons that make sense are in the cell (not merely hidden: the base
    // stylesheet's button display would beat the hidden attribute). The cell is
    // only touched when the set changes, so a focused button stays focused.
    const wanted = open ? [state === "paused" ? row.resume : row.pause, row.extend, row.message, row.unlock, row.end]
      : locked ? [row.message, row.unlock, row.end] : [];
    // The timeline stays at hand once the exam is over: its notes are for after, too.
    if (candidate.attempt_id && this.table.dataset.timelineUrl) wanted.unshift(row.timeline);
    const current = [...cells.actions.children];
    if (wanted.length !== current.length || wanted.some((b, i) => b !== current[i])) {
      // A button that stays (the timeline's, say) keeps the focus it had.
      const focused = document.activeElement;
      cells.actions.replaceChildren(...wanted);
      if (wanted.includes(focused) && document.activeElement !== focused) focused.focus();
    }
    const who = candidate.name || candidate.username || "";
    row.pause.setAttribute("aria-label", `${this.label("pause", "Pause")} — ${who}`);
    row.resume.setAttribute("aria-label", `${this.label("resume", "Resume")} — ${who}`);
    row.extend.setAttribute("aria-label", `${this.label("extend", "+5 min")} — ${who}`);
    row.unlock.setAttribute("aria-label", `${this.label("unlock", "Unlock")} — ${who}`);
    row.message.setAttribute("aria-label", `${this.label("announce", "Message")} — ${who}`);
    row.end.setAttribute("aria-label", `${this.label("end", "End")} — ${who}`);
    row.timeline.setAttribute("aria-label", `${this.label("timeline", "Timeline")} — ${who}`);
    // What else may be in the timeline: a flag, a pause or an extension (another proctor's,
    // or a server event that pushed nothing) changes these.
    const signature = [state, flags.join(","), candidate.deadline || ""].join("|");
    const changed = row.signature !== undefined && row.signature !== signature;
    row.signature = signature;
    if (row.detail) {
      this.nameDetail(row);
      if (row.detail.attemptId !== (candidate.attempt_id || "")) this.closeTimeline(row);
      else if (changed) this.refreshSoon(row);
    }
  }

  nameDetail(row) {
    const who = row.candidate?.name || row.candidate?.username || "";
    row.detail.section.setAttribute("aria-label", this.label("timeline-of", "Timeline of %(name)s").replace("%(name)s", who));
  }

  // The row beneath a student's, made the first time their timeline opens.
  createDetail(row) {
    const attemptId = row.candidate.attempt_id;
    const tr = document.createElement("tr");
    tr.className = "timeline-row";
    tr.id = `timeline-${attemptId}`;
    tr.hidden = true;
    tr.dataset.timelineOf = attemptId;
    const cell = document.createElement("td");
    cell.colSpan = this.table.tHead?.rows[0]?.cells.length || 8;
    const box = document.createElement("div");
    box.className = "console-detail";

    const section = document.createElement("section");
    section.className = "console-timeline";
    const list = document.createElement("ol");
    list.className = "timeline";
    list.tabIndex = 0; // a long timeline scrolls: reachable by keyboard
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.hidden = true;
    empty.textContent = this.label("timeline-empty", "Nothing recorded yet.");
    const problem = document.createElement("p");
    problem.className = "timeline-problem";
    problem.setAttribute("role", "status");
    section.append(list, empty, problem);

    const form = document.createElement("form");
    form.className = "console-note";
    const label = document.createElement("label");
    label.htmlFor = `note-${attemptId}`;
    label.textContent = this.label("note", "Add a note");
    const text = document.createElement("textarea");
    text.id = `note-${attemptId}`;
    text.name = "text";
    text.rows = 3;
    text.required = true;
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = this.label("note-save", "Add the note");
    const status = document.createElement("span");
    status.className = "note-status";
    status.setAttribute("role", "status");
    const controls = document.createElement("div");
    controls.className = "note-controls";
    controls.append(button, status);
    form.append(label, text, controls);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addNote(row, button);
    });

    box.append(section, form);
    cell.append(box);
    tr.append(cell);
    row.timeline.setAttribute("aria-controls", tr.id);
    row.detail = { tr, attemptId, section, list, empty, problem, form, text, button, status, loading: 0, pending: null };
    this.nameDetail(row);
    return row.detail;
  }

  toggleTimeline(row) {
    if (row.detail && !row.detail.tr.hidden) this.closeTimeline(row);
    else this.openTimeline(row);
  }

  openTimeline(row) {
    if (!row.candidate?.attempt_id) return;
    const detail = row.detail || this.createDetail(row);
    if (!detail.tr.isConnected) row.tr.after(detail.tr);
    detail.tr.hidden = false;
    row.timeline.setAttribute("aria-expanded", "true");
    row.tr.classList.add("timeline-open");
    this.opened.add(row);
    this.loadTimeline(row);
  }

  closeTimeline(row) {
    if (!row.detail) return;
    row.detail.tr.hidden = true;
    row.timeline.setAttribute("aria-expanded", "false");
    row.tr.classList.remove("timeline-open");
    this.opened.delete(row);
    // A student who starts again has another attempt: their next timeline is made anew.
    if (row.detail.attemptId !== (row.candidate?.attempt_id || "")) {
      row.detail.tr.remove();
      row.detail = null;
      row.timeline.removeAttribute("aria-controls");
    }
  }

  // One of the student's events arrived: refresh their open timeline (a burst is one refresh).
  eventArrived(attemptId, raised) {
    for (const row of this.opened) if (row.detail?.attemptId === attemptId) this.refreshSoon(row);
    // A flag the event raised shows on its row at once; the next refresh moves the row up.
    const rules = Array.isArray(raised) ? raised.map(String) : [];
    if (!rules.length) return;
    for (const row of this.rows.values()) {
      if (String(row.candidate?.attempt_id || "") !== attemptId) continue;
      const flags = Array.isArray(row.candidate.flags) ? row.candidate.flags : [];
      const added = rules.filter((rule) => !flags.includes(rule));
      if (added.length) this.fillRow(row, { ...row.candidate, flags: [...flags, ...added] });
    }
  }

  refreshSoon(row) {
    const detail = row.detail;
    if (!detail || detail.tr.hidden || detail.pending !== null) return;
    detail.pending = window.setTimeout(() => {
      detail.pending = null;
      if (row.detail === detail) this.loadTimeline(row);
    }, 200);
  }

  async loadTimeline(row) {
    const detail = row.detail;
    if (!detail || detail.tr.hidden) return;
    const ticket = ++detail.loading; // only the latest answer is shown
    try {
      const response = await fetch(attemptUrl(this.table.dataset.timelineUrl, detail.attemptId), {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const body = await response.json().catch(() => ({}));
      if (ticket !== detail.loading) return;
      if (!response.ok) throw new Error(body.message || String(response.status));
      if (Number(body.max_note) > 0) detail.text.maxLength = Number(body.max_note);
      this.fillTimeline(detail, Array.isArray(body.entries) ? body.entries : []);
      detail.problem.textContent = "";
      detail.tr.dataset.loadedAt = new Date().toISOString();
    } catch (error) {
      if (ticket !== detail.loading) return;
      detail.problem.textContent = this.label("timeline-failed", "The timeline could not be loaded.");
      console.warn("ardoise: timeline not loaded", error);
    }
  }

  fillTimeline(detail, entries) {
    const { list } = detail;
    // Newest last: keep a proctor who reads the end at the end.
    const atEnd = !list.childElementCount || list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    list.replaceChildren(...entries.map((entry) => this.timelineItem(entry)));
    detail.empty.hidden = entries.length > 0;
    list.hidden = entries.length === 0;
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  timelineItem(entry) {
    const item = document.createElement("li");
    const severity = ["info", "warning", "alert", "staff"].includes(entry.severity) ? entry.severity : "info";
    item.className = `severity-${severity}`;
    item.dataset.kind = entry.type || "";
    const time = document.createElement("time");
    if (entry.at) time.setAttribute("datetime", entry.at);
    time.textContent = localTime(entry.at);
    const name = document.createElement("span");
    name.className = "timeline-label";
    name.textContent = entry.label || entry.type || "";
    item.append(time, " ", name);
    const detail = entry.detail && typeof entry.detail === "object" ? entry.detail : {};
    const extra = [];
    if (entry.duration_ms !== null && entry.duration_ms !== undefined) {
      extra.push(this.label("away", "away %(n)s s").replace("%(n)s", String(Math.floor(Number(entry.duration_ms) / 1000))));
    }
    if (detail.minutes !== undefined) extra.push(`+${detail.minutes} min`);
    if (detail.percent !== undefined) extra.push(`+${detail.percent} %`);
    if (detail.from || detail.to) extra.push(`${detail.from || "?"} → ${detail.to || "?"}`);
    if (detail.length !== undefined) extra.push(this.label("characters", "%(n)s characters").replace("%(n)s", String(detail.length)));
    if (detail.device) extra.push(String(detail.device));
    if (extra.length) {
      const more = document.createElement("span");
      more.className = "timeline-extra";
      more.textContent = ` (${extra.join(", ")})`;
      item.append(more);
    }
    if (detail.text) {
      const quote = document.createElement("q");
      quote.className = "timeline-text";
      quote.textContent = String(detail.text);
      item.append(" ", quote);
    }
    if (entry.by) {
      const by = document.createElement("span");
      by.className = "timeline-by";
      by.textContent = ` — ${entry.by}`;
      item.append(by);
    }
    return item;
  }

  async addNote(row, button) {
    const detail = row.detail;
    if (!detail) return;
    const focusWasHere = document.activeElement === button;
    button.disabled = true;
    detail.status.textContent = "";
    delete detail.status.dataset.state;
    try {
      const { response, body } = await postJson(attemptUrl(this.table.dataset.notesUrl, detail.attemptId),
        { text: detail.text.value }, this.table);
      if (!response.ok || body.ok === false) {
        // The text stays, for the proctor to correct it.
        detail.status.textContent = body.message || body.error || String(response.status);
        detail.status.dataset.state = "error";
      } else {
        detail.text.value = "";
        detail.status.textContent = this.label("note-saved", "Note saved.");
        detail.status.dataset.state = "saved";
        await this.loadTimeline(row);
      }
    } catch (error) {
      detail.status.textContent = String(error.message || error);
      detail.status.dataset.state = "error";
    } finally {
      button.disabled = false;
      if (focusWasHere) button.focus();
    }
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
      const { response, body } = await postJson(`/api/v1/attempts/${encodeURIComponent(attemptId)}/${action}`, payload, this.table);
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
      // A pause, an extension or a message is in the student's timeline now.
      if (this.opened.has(row)) this.loadTimeline(row);
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
  socket.on("proctor:event", (event) => {
    if (event && event.attempt_id) progress.eventArrived(String(event.attempt_id), event.flags);
    // A burst of events is one refresh, and refreshes follow events at most every
    // EVENT_SPACING_MS: a sitting of 2,000 students sends events all the time, and each
    // refresh is every student's row (for the server to read, for this page to lay out).
    if (pending !== null) return;
    const wait = Math.max(AFTER_EVENT_MS, (progress.polledAt || 0) + EVENT_SPACING_MS - Date.now());
    pending = window.setTimeout(() => { pending = null; progress.poll(); }, wait);
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
