// Integrity events from the exam page (`integrity:event` on /exam), when the sitting has an
// integrity policy: only the event types the policy counts are watched and sent (the page
// sends nothing else about the student). Events wait in memory while the page is not joined
// (offline, reconnecting) and are sent in order once it is, with the time they happened.
// Safe Exam Browser's JavaScript API, when the page runs in SEB, gives the join its proof.

const MAX_QUEUED = 200;

export class IntegrityReporter {
  constructor({ socket, attemptId, counted }) {
    this.socket = socket;
    this.attemptId = attemptId;
    this.counted = new Set(counted || []);
    this.queue = [];
    this.ready = false;
    this.offlineSince = null;
  }

  watches(type) {
    return this.counted.has(type);
  }

  report(type, detail) {
    if (!this.watches(type)) return;
    if (this.queue.length >= MAX_QUEUED) this.queue.shift();
    this.queue.push({ attempt_id: this.attemptId, type, client_ts: Date.now(), detail: detail || {} });
    this.flush();
  }

  setReady(ready) {
    this.ready = ready;
    if (ready) this.flush();
  }

  flush() {
    while (this.ready && this.socket.connected && this.queue.length) {
      this.socket.emit("integrity:event", this.queue.shift());
    }
  }

  start() {
    if (this.counted.size === 0) return;
    document.addEventListener("visibilitychange", () => {
      this.report(document.visibilityState === "hidden" ? "tab_hidden" : "tab_visible");
    });
    window.addEventListener("blur", () => this.report("window_blur"));
    window.addEventListener("focus", () => this.report("window_focus"));
    let fullscreen = Boolean(document.fullscreenElement);
    document.addEventListener("fullscreenchange", () => {
      const now = Boolean(document.fullscreenElement);
      if (fullscreen && !now) this.report("fullscreen_exit");
      fullscreen = now;
    });
    for (const kind of ["copy", "cut"]) {
      document.addEventListener(kind, () => {
        this.report(kind, { length: String(window.getSelection() || "").length });
      });
    }
    document.addEventListener("paste", (event) => {
      // Only how long the pasted text is, never what it says.
      const text = event.clipboardData ? event.clipboardData.getData("text") : "";
      this.report("paste", { length: text.length });
    });
    document.addEventListener("contextmenu", () => this.report("context_menu"));
    window.addEventListener("beforeprint", () => this.report("print"));
    window.addEventListener("offline", () => {
      this.offlineSince = Date.now();
      this.report("network_down");
    });
    window.addEventListener("online", () => {
      const away = this.offlineSince === null ? 0 : Date.now() - this.offlineSince;
      this.offlineSince = null;
      this.report("network_up", { offline_ms: away });
    });
    const navigation = performance.getEntriesByType?.("navigation")?.[0];
    if (navigation && navigation.type === "reload") this.report("reload");
  }
}

// What Safe Exam Browser's JavaScript API says of this page, for `attempt:join`'s `seb`.
export function sebProof() {
  const security = window.SafeExamBrowser?.security;
  if (!security) return null;
  const url = window.location.href.split("#")[0];
  return { url, config_key_hash: security.configKey || null,
           browser_exam_key_hash: security.browserExamKey || null };
}
