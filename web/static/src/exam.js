// The exam page: renders the attempt from #exam-data, keeps every answer in
// the outbox until the server has it, shows the server's clock, and submits.
// See ARCHITECTURE.md, "The answer path" and "Socket.IO contract".

import { io } from "socket.io-client";
import { announce } from "./dom.js";
import { makeTranslator } from "./strings.js";
import { deviceId } from "./device.js";
import { Flags } from "./flags.js";
import { Outbox } from "./outbox.js";
import { ServerClock, formatRemaining } from "./clock.js";
import { Question } from "./questions.js";
import { AnswerSync, emitWithAck } from "./sync.js";
import { buildLayout, buildNavButton } from "./layout.js";
import { guardLogout } from "./logout.js";
import { IntegrityReporter } from "./integrity.js";

const TYPING_DEBOUNCE_MS = 600;
const TICK_MS = 250;
const FIVE_MINUTES_MS = 5 * 60 * 1000;
const ONE_MINUTE_MS = 60 * 1000;
const SUBMIT_ACK_TIMEOUT_MS = 15000;
const DRAIN_BEFORE_SUBMIT_MS = 30000;
const MAX_CONFLICT_RESENDS = 3;

function sameResponse(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function isAnswered(response) {
  return response !== null && response !== undefined;
}

class ExamPage {
  constructor(data, root) {
    this.data = data;
    this.root = root;
    this.attemptId = data.attempt_id;
    this.t = makeTranslator(data.strings);
    this.lang = data.lang === "en" ? "en" : "fr";
    this.displayMode = data.display_mode === "all" ? "all" : "one";
    this.slots = Array.isArray(data.slots) ? data.slots : [];
    this.flags = new Flags(this.attemptId);
    this.clock = new ServerClock(data);

    // Per slot: what the page shows and last committed (local), and what the server has (server).
    this.local = new Map();
    this.server = new Map();
    this.maxServerSeq = 0;
    this.debounces = new Map();
    this.conflictResends = new Map();
    // Commits and server-view merges run one after the other, in page order.
    this.chain = Promise.resolve();

    this.paused = false;
    this.locked = false;
    this.closed = false;
    this.timeUp = false;
    this.finished = false;
    this.submitting = false;
    this.warned = { five: false, one: false };
    this.current = 0;
  }

  async start() {
    this.ui = buildLayout(this.root, { t: this.t, title: this.data.title ?? "", displayMode: this.displayMode });
    this.ui.homeLink.href = this.data.home_url || "/";
    this.ui.timer.dataset.deadline = this.data.deadline || "";
    this.outbox = await Outbox.open(this.data.user_id, this.attemptId);
    this.outbox.onChange(() => this.renderPending());

    if (this.data.state === "submitted") {
      await this.finish({ receipt: this.data.receipt ?? null });
      return;
    }

    this.buildQuestions();
    await this.restoreAnswers();
    this.bindControls();
    this.setPaused(Boolean(this.data.paused), { quiet: true });
    this.renderPending();
    this.tick();
    this.ticker = window.setInterval(() => this.tick(), TICK_MS);
    this.connect();
    this.root.dataset.ready = "true";
  }

  // -- questions and navigation -------------------------------------------------------

  buildQuestions() {
    this.questions = this.slots.map((slotData, index) => new Question(slotData, {
      t: this.t, lang: this.lang, index, total: this.slots.length,
      attemptId: this.attemptId, csrfToken: this.data.csrf_token, // for file uploads
      onChange: (slot, response, { typing }) => this.answerChanged(slot, response, typing),
      onFlush: (slot) => this.flush(slot),
      onFlag: (slot) => this.toggleFlag(slot),
    }));
    this.bySlot = new Map(this.questions.map((question) => [question.slot, question]));
    this.navButtons = this.questions.map((question, index) => {
      const nav = buildNavButton(index, () => this.goTo(index, { focus: true }));
      nav.button.dataset.slot = String(question.slot);
      this.ui.navList.append(nav.item);
      return nav;
    });
    this.ui.questions.replaceChildren(...this.questions.map((question) => question.node));
    if (this.displayMode === "all") {
      // On one long page, the question being worked on is the one holding the focus.
      this.questions.forEach((question, index) => question.node.addEventListener("focusin", () => {
        if (this.current !== index) this.goTo(index, { focus: false, scroll: false });
      }));
    }
    this.questions.forEach((question) => question.setFlagged(this.flags.has(question.slot)));

    if (this.displayMode === "one") {
      const stored = Number(sessionStorageGet(this.currentKey()));
      this.goTo(Number.isInteger(stored) && stored < this.questions.length ? stored : 0, { focus: false });
    } else {
      this.goTo(0, { focus: false, scroll: false });
    }
  }

  currentKey() {
    return `ardoise:current:${this.attemptId}`;
  }

  goTo(index, { focus = true, scroll = true } = {}) {
    if (index < 0 || index >= this.questions.length) return;
    this.current = index;
    this.questions.forEach((question, i) => {
      if (this.displayMode === "one") question.setVisible(i === index);
    });
    this.navButtons.forEach((nav, i) => {
      if (i === index) nav.button.setAttribute("aria-current", "step");
      else nav.button.removeAttribute("aria-current");
    });
    if (this.displayMode === "one") {
      this.ui.prev.disabled = index === 0;
      this.ui.next.disabled = index === this.questions.length - 1;
      sessionStorageSet(this.currentKey(), String(index));
    } else if (scroll) {
      this.questions[index].node.scrollIntoView({ block: "start" });
    }
    // The heading takes focus so a screen reader starts reading the new question.
    if (focus) this.questions[index].focusHeading();
  }

  toggleFlag(slot) {
    const flagged = this.flags.toggle(slot);
    this.bySlot.get(slot)?.setFlagged(flagged);
    this.renderNav(slot);
  }

  renderNav(slot) {
    const index = this.questions.findIndex((question) => question.slot === slot);
    if (index < 0) return;
    const answered = isAnswered(this.questions[index].read());
    const flagged = this.flags.has(slot);
    const nav = this.navButtons[index];
    nav.button.dataset.answered = String(answered);
    nav.button.dataset.flagged = String(flagged);
    nav.mark.textContent = `${answered ? "✓" : "○"}${flagged ? " ⚑" : ""}`;
    const words = [answered ? this.t("answered") : this.t("unanswered")];
    if (flagged) words.push(this.t("flagged"));
    nav.stateText.textContent = `, ${words.join(", ")}`;
    nav.button.title = words.join(", ");
    this.questions[index].setAnswered(answered);
  }

  // -- answers: page -> outbox -> server ---------------------------------------------

  async restoreAnswers() {
    for (const answer of Array.isArray(this.data.answers) ? this.data.answers : []) {
      this.noteServer(answer.slot, answer.seq, answer.response);
      this.local.set(answer.slot, { seq: answer.seq ?? 0, response: answer.response ?? null });
    }
    // Unsent saves are newer than the server's view: they go on the inputs.
    for (const entry of await this.outbox.entries()) {
      const known = this.local.get(entry.slot);
      if (!known || entry.seq > known.seq) {
        this.local.set(entry.slot, { seq: entry.seq, response: entry.response ?? null });
      }
    }
    for (const question of this.questions) {
      const known = this.local.get(question.slot);
      question.write(known ? known.response : null);
      this.renderNav(question.slot);
    }
    await this.markPendingQuestions();
  }

  noteServer(slot, seq, response) {
    const number = Number.isInteger(seq) ? seq : 0;
    const known = this.server.get(slot);
    if (!known || number >= known.seq) this.server.set(slot, { seq: number, response: response ?? null });
    this.maxServerSeq = Math.max(this.maxServerSeq, number);
  }

  answerChanged(slot, response, typing) {
    this.renderNav(slot);
    this.bySlot.get(slot)?.showError("");
    window.clearTimeout(this.debounces.get(slot));
    if (typing) {
      this.debounces.set(slot, window.setTimeout(() => this.flush(slot), TYPING_DEBOUNCE_MS));
    } else {
      this.flush(slot);
    }
  }

  /** Commit what the question shows now, if it changed since the last commit (or `force`). */
  flush(slot, { force = false } = {}) {
    window.clearTimeout(this.debounces.get(slot));
    this.debounces.delete(slot);
    const question = this.bySlot.get(slot);
    if (!question || this.closed || this.finished) return this.chain;
    const response = question.read();
    const known = this.local.get(slot);
    if (known && !force && sameResponse(known.response, response)) return this.chain;
    // Recorded at once, so a second flush before the outbox write sees it.
    this.local.set(slot, { seq: known?.seq ?? 0, response });
    question.setSaveState("pending");
    this.chain = this.chain.then(async () => {
      // Outbox first, then the wire: a save exists on this computer before it travels.
      const entry = await this.outbox.enqueue(slot, response, this.maxServerSeq);
      const current = this.local.get(slot);
      if (current && sameResponse(current.response, response)) current.seq = entry.seq;
      this.sync?.kick();
    }).catch((error) => console.error("ardoise: save not stored", error));
    return this.chain;
  }

  flushAll() {
    [...this.debounces.keys()].forEach((slot) => this.flush(slot));
    return this.chain;
  }

  async markPendingQuestions() {
    const pending = new Set((await this.outbox.entries()).map((entry) => entry.slot));
    this.questions.forEach((question) => {
      if (pending.has(question.slot)) question.setSaveState("pending");
      else if (question.saveState.dataset.saveState === "pending") question.setSaveState("saved");
    });
  }

  /**
   * Show the server's answer for every slot where it is at least as new as
   * ours (seq >= local seq) and the student is not in the middle of typing it.
   */
  mergeServerView() {
    this.chain = this.chain.then(() => {
      for (const [slot, served] of this.server) {
        if (this.debounces.has(slot)) continue;
        const question = this.bySlot.get(slot);
        const known = this.local.get(slot);
        if (!question || (known && served.seq < known.seq)) continue;
        this.local.set(slot, { seq: served.seq, response: served.response });
        if (!sameResponse(question.read(), served.response)) {
          question.write(served.response);
          this.renderNav(slot);
        }
      }
    });
    return this.chain;
  }

  // -- the connection ----------------------------------------------------------------

  connect() {
    this.socket = io("/exam", {
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000,
    });
    this.sync = new AnswerSync({
      socket: this.socket, outbox: this.outbox, attemptId: this.attemptId, deviceId: deviceId(),
      handlers: {
        onJoined: (ack) => this.joined(ack),
        onJoinRefused: (ack) => this.showMessage(ack.message || ack.error),
        onSaved: (entry, ack) => this.saved(entry, ack),
        onDropped: (entry, ack) => this.dropped(entry, ack),
        onClosed: (ack) => this.refusedAsClosed(ack),
        onPaused: () => this.setPaused(true),
        onRefused: (entry, ack) => this.showMessage(ack?.message || ack?.error),
        onDrained: () => { this.mergeServerView(); this.markPendingQuestions(); },
      },
    });
    if (this.paused) this.sync.setHold("paused");
    this.integrity = new IntegrityReporter({
      socket: this.socket, attemptId: this.attemptId,
      counted: this.data.integrity ? this.data.integrity.counted : [],
    });
    this.integrity.start();

    this.socket.on("disconnect", (reason) => {
      this.integrity.setReady(false);
      this.setConnection("offline");
      // Socket.IO does not come back by itself after the server closed the connection.
      if (reason === "io server disconnect" && !this.finished) {
        window.setTimeout(() => { if (!this.finished) this.socket.connect(); }, 2000);
      }
    });
    this.socket.on("connect_error", () => {
      this.setConnection("offline");
      // A refusal by the server (session expired, say) is not retried by Socket.IO itself.
      if (!this.socket.active && !this.finished) {
        window.setTimeout(() => { if (!this.finished) this.socket.connect(); }, 5000);
      }
    });
    this.socket.io.on("reconnect_attempt", () => {
      this.ui.connection.dataset.detail = "reconnecting";
    });
    this.socket.on("timer:sync", (clock) => this.syncClock(clock));
    this.socket.on("attempt:state", (change) => this.stateChanged(change));
    this.socket.on("attempt:closed", (event) => this.closedByServer(event));
    this.socket.on("announcement", (notice) => this.showAnnouncement(notice));
    this.socket.on("integrity:warning", (notice) => this.showAnnouncement(
      { text: notice?.text }, this.t("integrity_notice")));
  }

  joined(ack) {
    this.integrity?.setReady(true);
    this.syncClock(ack);
    for (const served of Array.isArray(ack.slots) ? ack.slots : []) {
      this.noteServer(served.slot, served.seq, served.response);
    }
    this.setConnection("online");
    this.showMessage("");
    if (ack.state === "submitted") {
      this.finish({ receipt: null });
      return;
    }
    this.mergeServerView();
  }

  saved(entry, ack) {
    this.conflictResends.delete(entry.slot);
    if (!ack.stale_seq) this.noteServer(entry.slot, ack.seq ?? entry.seq, entry.response);
    const question = this.bySlot.get(entry.slot);
    const known = this.local.get(entry.slot);
    // "Saved" only when what was acknowledged is what the question shows.
    if (question && known && sameResponse(known.response, entry.response) && !this.debounces.has(entry.slot)) {
      question.setSaveState("saved");
    }
    if (this.ui.message.dataset.source === "save") this.showMessage("");
  }

  dropped(entry, ack) {
    const question = this.bySlot.get(entry.slot);
    question?.showError(ack.message || this.t("save_failed"));
    question?.setSaveState("none");
    const known = this.local.get(entry.slot);
    const resends = this.conflictResends.get(entry.slot) ?? 0;
    // A conflicting seq says nothing against the answer itself: send it again
    // under a fresh seq (above the refused one) so that it is not lost.
    if (ack.error === "seq_conflict" && known && known.seq <= entry.seq && resends < MAX_CONFLICT_RESENDS) {
      this.conflictResends.set(entry.slot, resends + 1);
      this.maxServerSeq = Math.max(this.maxServerSeq, entry.seq);
      this.flush(entry.slot, { force: true });
    }
  }

  setConnection(state) {
    const { connection } = this.ui;
    connection.dataset.state = state === "online" ? "online" : "offline";
    connection.dataset.detail = state;
    connection.textContent = state === "online" ? this.t("online") : this.t("offline");
    this.root.dataset.connection = connection.dataset.state;
  }

  renderPending() {
    const count = this.outbox.size;
    this.ui.pending.dataset.count = String(count);
    this.ui.pending.textContent = count > 0 ? this.t("pending_n", { n: count }) : this.t("all_saved");
  }

  showMessage(message, source = "save") {
    this.ui.message.textContent = message || "";
    this.ui.message.dataset.source = source;
    this.ui.message.hidden = !message;
  }

  // -- the clock and the server's decisions ------------------------------------------

  syncClock(clock) {
    if (!clock) return;
    this.clock.sync(clock);
    if (clock.deadline !== undefined) this.ui.timer.dataset.deadline = clock.deadline || "";
    if (clock.paused !== undefined) this.setPaused(Boolean(clock.paused));
    this.tick();
  }

  tick() {
    const left = this.clock.remaining();
    const text = formatRemaining(left);
    const { timer } = this.ui;
    if (timer.textContent !== text) timer.textContent = text;
    timer.dataset.remaining = left === null ? "" : String(Math.ceil(left / 1000));
    timer.dataset.paused = String(this.clock.paused);
    if (left === null || this.clock.paused || this.closed || this.finished) return;

    // An extension can bring the time back above a threshold: warn again next time.
    if (left > FIVE_MINUTES_MS) this.warned = { five: false, one: false };
    else if (left > ONE_MINUTE_MS) this.warned.one = false;
    if (left > 0 && left <= ONE_MINUTE_MS && !this.warned.one) {
      this.warned = { five: true, one: true };
      this.warn(this.t("warning_1"), "1");
    } else if (left > ONE_MINUTE_MS && left <= FIVE_MINUTES_MS && !this.warned.five) {
      this.warned.five = true;
      this.warn(this.t("warning_5"), "5");
    } else if (left > FIVE_MINUTES_MS && !this.ui.timeWarning.hidden) {
      this.ui.timeWarning.hidden = true;
    }

    const up = left <= 0;
    if (up !== this.timeUp) {
      this.timeUp = up;
      // Whatever is being typed goes now; the server's grace covers the trip.
      if (up) {
        this.flushAll();
        this.ui.timeWarning.textContent = this.t("closed_banner");
        this.ui.timeWarning.dataset.level = "0";
        this.ui.timeWarning.hidden = false;
      } else {
        this.ui.timeWarning.hidden = true;
      }
      this.refreshEditable();
    }
  }

  warn(message, level) {
    this.ui.timeWarning.textContent = message;
    this.ui.timeWarning.dataset.level = level;
    this.ui.timeWarning.hidden = false;
    this.root.dataset.warning = level;
    announce(this.ui.announcer, message);
  }

  setPaused(paused, { quiet = false } = {}) {
    if (paused === this.paused && !quiet) return;
    this.paused = paused;
    this.clock.setPaused(paused);
    this.ui.pausedBanner.hidden = !paused;
    this.root.dataset.paused = String(paused);
    if (paused) this.sync?.setHold("paused");
    else this.sync?.resume();
    this.refreshEditable();
    if (paused) announce(this.ui.announcer, this.t("paused_banner"));
    this.tick();
  }

  stateChanged(change) {
    switch (change?.state) {
      case "paused": this.setPaused(true); break;
      case "resumed": this.setPaused(false); break;
      case "locked":
        this.locked = true;
        this.ui.lockedBanner.hidden = false;
        announce(this.ui.announcer, this.t("locked_banner"));
        this.refreshEditable();
        break;
      case "unlocked":
        this.locked = false;
        this.ui.lockedBanner.hidden = true;
        this.refreshEditable();
        this.sync?.kick();
        break;
      default:
        break;
    }
  }

  refreshEditable() {
    const editable = !this.paused && !this.locked && !this.closed && !this.timeUp && !this.finished;
    this.questions?.forEach((question) => question.setDisabled(!editable));
    this.ui.submit.disabled = this.paused || this.locked || this.closed || this.finished;
    this.root.dataset.editable = String(editable);
  }

  /** A save was refused as `late` or `submitted`: no more editing, the outbox is dropped. */
  async refusedAsClosed(ack) {
    this.closed = true;
    this.debounces.forEach((timer) => window.clearTimeout(timer));
    this.debounces.clear();
    this.refreshEditable();
    this.ui.closedBanner.textContent = ack?.message || this.t(ack?.error === "late" ? "late_refused" : "closed_banner");
    this.ui.closedBanner.hidden = false;
    announce(this.ui.announcer, this.ui.closedBanner.textContent);
    this.questions?.forEach((question) => {
      if (question.saveState.dataset.saveState === "pending") question.setSaveState("none");
    });
    if (ack?.error === "submitted") await this.finish({ receipt: null, closedNote: true });
  }

  async closedByServer() {
    if (this.finished || this.submitting) return;
    this.closed = true;
    this.sync?.stop();
    this.refreshEditable();
    this.ui.closedBanner.textContent = this.t("closed_banner");
    this.ui.closedBanner.hidden = false;
    announce(this.ui.announcer, this.t("closed_banner"));
    await this.finish({ receipt: null, closedNote: true });
  }

  showAnnouncement(notice, title) {
    if (!notice || typeof notice.text !== "string") return;
    const at = Date.parse(notice.at);
    const time = Number.isFinite(at)
      ? new Date(at).toLocaleTimeString(this.lang === "fr" ? "fr-CA" : "en-CA", { hour: "2-digit", minute: "2-digit" })
      : "";
    const item = document.createElement("div");
    item.className = "announcement";
    item.setAttribute("role", "status");
    const heading = document.createElement("p");
    heading.className = "announcement-title";
    const label = title || this.t("announcement");
    heading.textContent = time ? `${label} (${time})` : label;
    const body = document.createElement("p");
    body.className = "announcement-text";
    body.textContent = notice.text;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "announcement-dismiss";
    dismiss.textContent = this.t("dismiss");
    dismiss.addEventListener("click", () => item.remove());
    item.append(heading, body, dismiss);
    this.ui.announcements.append(item);
  }

  // -- controls ----------------------------------------------------------------------

  bindControls() {
    const { ui } = this;
    ui.prev.addEventListener("click", () => this.goTo(this.current - 1));
    ui.next.addEventListener("click", () => this.goTo(this.current + 1));
    document.addEventListener("keydown", (event) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || ui.dialog.open || this.finished) return;
      if (this.displayMode !== "one") return;
      if (event.code === "KeyN") { event.preventDefault(); this.goTo(this.current + 1); }
      if (event.code === "KeyP") { event.preventDefault(); this.goTo(this.current - 1); }
    });
    ui.submit.addEventListener("click", () => this.openSubmitDialog());
    ui.cancelSubmit.addEventListener("click", () => ui.dialog.close());
    ui.confirmSubmit.addEventListener("click", () => this.confirmSubmit());
    ui.dialog.addEventListener("cancel", (event) => { if (this.submitting) event.preventDefault(); });
    ui.dialog.addEventListener("close", () => { if (!this.finished) ui.submit.focus(); });

    // Typing must reach the outbox before the page goes away.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.flushAll();
    });
    window.addEventListener("pagehide", () => this.flushAll());
    window.addEventListener("beforeunload", (event) => {
      this.flushAll();
      // Only unsent saves that live in memory (no IndexedDB) would be lost by leaving.
      if (!this.outbox.persistent && this.outbox.size > 0 && !this.finished) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    guardLogout(this.data.user_id, async () => {
      await this.flushAll();
      await this.outbox.refreshSize();
      if (this.outbox.size > 0 && !this.finished && !window.confirm(this.t("logout_confirm"))) return false;
      this.sync?.stop();
      this.socket?.disconnect();
      this.outbox.close();
      return true;
    });
  }

  openSubmitDialog() {
    const { ui } = this;
    this.flushAll();
    const unanswered = [];
    const flagged = [];
    this.questions.forEach((question, index) => {
      if (!isAnswered(question.read())) unanswered.push(index + 1);
      if (this.flags.has(question.slot)) flagged.push(index + 1);
    });
    ui.unansweredList.textContent = `${this.t("unanswered_list")} ${unanswered.join(", ")}`;
    ui.unansweredList.hidden = unanswered.length === 0;
    ui.unansweredList.dataset.numbers = unanswered.join(",");
    ui.flaggedList.textContent = `${this.t("flagged_list")} ${flagged.join(", ")}`;
    ui.flaggedList.hidden = flagged.length === 0;
    ui.flaggedList.dataset.numbers = flagged.join(",");
    this.setSubmitError("");
    ui.confirmSubmit.disabled = false;
    ui.dialog.showModal();
  }

  setSubmitError(message) {
    this.ui.submitError.textContent = message;
    this.ui.submitError.hidden = !message;
  }

  async confirmSubmit() {
    if (this.submitting) return;
    const { ui } = this;
    this.submitting = true;
    ui.confirmSubmit.disabled = true;
    ui.dialog.setAttribute("aria-busy", "true");
    this.setSubmitError("");
    try {
      await this.flushAll();
      try {
        await this.sync.whenDrained(DRAIN_BEFORE_SUBMIT_MS);
      } catch (error) {
        this.setSubmitError(error.message === "paused" ? this.t("paused_banner") : this.t("offline_submit"));
        return;
      }
      let ack;
      try {
        ack = await emitWithAck(this.socket, "attempt:submit", { attempt_id: this.attemptId },
          SUBMIT_ACK_TIMEOUT_MS);
      } catch {
        this.setSubmitError(this.t("offline_submit"));
        return;
      }
      if (ack?.ok || ack?.error === "submitted") {
        await this.finish({ receipt: ack.receipt ?? null });
        return;
      }
      this.setSubmitError(ack?.message || this.t("submit_failed"));
    } finally {
      this.submitting = false;
      ui.dialog.removeAttribute("aria-busy");
      if (!this.finished) ui.confirmSubmit.disabled = false;
    }
  }

  // -- the end -----------------------------------------------------------------------

  /** Show the submitted view; forget this attempt's outbox and flags (shared computers). */
  async finish({ receipt, closedNote = false }) {
    if (this.finished) return;
    this.finished = true;
    window.clearInterval(this.ticker);
    this.debounces.forEach((timer) => window.clearTimeout(timer));
    this.debounces.clear();
    this.sync?.stop();
    this.socket?.disconnect();
    const { ui } = this;
    if (ui.dialog.open) ui.dialog.close();
    await this.outbox.wipe();
    this.flags.clear();
    sessionStorageRemove(this.currentKey());

    // The answers leave the screen: the next person at this computer sees only the receipt.
    ui.main.remove();
    ui.pausedBanner.hidden = true;
    ui.lockedBanner.hidden = true;
    ui.timeWarning.hidden = true;
    ui.message.hidden = true;
    ui.bar.querySelector(".timer-box").hidden = true;
    ui.bar.querySelector(".sync-status").hidden = true;
    ui.closedNote.hidden = !closedNote;
    if (closedNote) ui.closedBanner.hidden = true;
    this.root.dataset.state = "submitted";
    ui.submittedView.hidden = false;
    this.showReceipt(receipt);
    ui.submittedTitle.focus();
    if (!receipt) this.fetchReceipt();
  }

  showReceipt(receipt) {
    if (typeof receipt !== "string" || !receipt) return;
    this.ui.receipt.textContent = receipt;
    this.ui.receiptBlock.hidden = false;
  }

  async fetchReceipt() {
    // Closed by the server, or loaded already submitted: the receipt comes from the attempt.
    const url = this.data.attempt_url || `/api/v1/attempts/${encodeURIComponent(this.attemptId)}`;
    for (let tries = 0; tries < 5; tries += 1) {
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) {
          const view = await response.json();
          if (view.receipt) { this.showReceipt(view.receipt); return; }
        }
      } catch {
        // Offline: try again in a moment.
      }
      await new Promise((resolve) => window.setTimeout(resolve, 2000 * (tries + 1)));
    }
  }
}

function sessionStorageGet(key) {
  try { return window.sessionStorage.getItem(key); } catch { return null; }
}

function sessionStorageSet(key, value) {
  try { window.sessionStorage.setItem(key, value); } catch { /* storage disabled */ }
}

function sessionStorageRemove(key) {
  try { window.sessionStorage.removeItem(key); } catch { /* storage disabled */ }
}

function main() {
  const root = document.getElementById("exam-app");
  const dataNode = document.getElementById("exam-data");
  if (!root || !dataNode) return;
  let data;
  try {
    data = JSON.parse(dataNode.textContent);
  } catch (error) {
    console.error("ardoise: unreadable exam data", error);
    return;
  }
  const page = new ExamPage(data, root);
  page.start().catch((error) => console.error("ardoise: exam page failed", error));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
