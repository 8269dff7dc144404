// Autosave of the editor's draft: every change goes to localStorage at once, and to the
// server (PUT …/draft) after a pause in typing. The local copy is removed only once the
// server has acknowledged that very code, so nothing typed is lost when a save fails
// (offline, server down, logged out): it is sent again, and put back in the editor on the
// next load if the page was closed meanwhile.

const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60000;

function readLocal(key) {
  try {
    const raw = window.localStorage.getItem(key);
    if (!raw) return null;
    const value = JSON.parse(raw);
    return value && typeof value.code === "string" ? value : null;
  } catch {
    return null;
  }
}

export class DraftKeeper {
  /**
   * @param {object} options
   * @param {string} options.key the localStorage key (per user and assignment)
   * @param {(code: string) => Promise<{saved_at?: string}>} options.save sends the code
   * @param {(state: string, detail?: any) => void} options.onState "saving", "saved"
   *   (detail: the server's saved_at), "failed" (detail: the error)
   * @param {number} [options.delayMs] the pause in typing before a save
   */
  constructor({ key, save, onState, delayMs = 1200 }) {
    this.key = key;
    this.save = save;
    this.onState = onState;
    this.delayMs = delayMs;
    this.code = null; // the editor's latest code
    this.acked = null; // the last code the server acknowledged
    this.timer = null;
    this.inFlight = false;
    this.failures = 0;
  }

  /** The copy kept on this computer that the server has not acknowledged, if any. */
  pendingLocal() {
    return readLocal(this.key);
  }

  /** The code the page starts with: it counts as acknowledged when it came from the server. */
  start(code, fromServer) {
    this.code = code;
    if (fromServer) this.acked = code;
    else this.changed(code);
  }

  changed(code) {
    this.code = code;
    try {
      window.localStorage.setItem(this.key, JSON.stringify({ code, at: Date.now() }));
    } catch {
      // Storage full or disabled: the server save below is still tried.
    }
    this.schedule(this.delayMs);
  }

  /** Whether some code has not reached the server yet. */
  dirty() {
    return this.code !== null && this.code !== this.acked;
  }

  schedule(delay) {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.flush(), delay);
  }

  async flush() {
    window.clearTimeout(this.timer);
    if (!this.dirty()) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    const code = this.code;
    this.onState("saving");
    try {
      const answer = await this.save(code);
      this.acked = code;
      this.failures = 0;
      const local = readLocal(this.key);
      if (local && local.code === code) {
        try { window.localStorage.removeItem(this.key); } catch { /* kept: harmless */ }
      }
      this.onState("saved", answer && answer.saved_at);
    } catch (error) {
      this.failures += 1;
      this.onState("failed", error);
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1));
      this.inFlight = false;
      this.schedule(delay);
      return;
    }
    this.inFlight = false;
    if (this.again || this.dirty()) {
      this.again = false;
      if (this.dirty()) this.schedule(this.delayMs);
    }
  }
}
