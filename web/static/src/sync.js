// Talking to the server about one attempt: join on every (re)connect, then
// send the outbox one save at a time in seq order, and sort the answers.
// The page decides what to show; this module only moves saves.

import { sebProof } from "./integrity.js";

const ACK_TIMEOUT_MS = 10000;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
// Refusals after which the same save would be refused again forever.
const DROP_ERRORS = new Set(["seq_conflict", "invalid_response"]);
const CLOSED_ERRORS = new Set(["late", "submitted"]);
// Joins that no retry can fix.
const FINAL_JOIN_ERRORS = new Set(["forbidden", "not_found"]);

/** Emit with an acknowledgement; rejects on timeout or when the connection drops first. */
export function emitWithAck(socket, event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    if (!socket.connected) {
      // Never let Socket.IO buffer it: a buffered save would overtake the join on reconnect.
      reject(new Error("disconnected"));
      return;
    }
    let settled = false;
    const finish = (settle, value) => {
      if (settled) return;
      settled = true;
      window.clearTimeout(timer);
      socket.off("disconnect", onDisconnect);
      settle(value);
    };
    const onDisconnect = () => finish(reject, new Error("disconnected"));
    const timer = window.setTimeout(() => finish(reject, new Error("timeout")), timeoutMs);
    socket.on("disconnect", onDisconnect);
    socket.emit(event, payload, (ack) => finish(resolve, ack));
  });
}

export class AnswerSync {
  /**
   * handlers: onJoined(ack), onJoinRefused(ack), onSaved(entry, ack),
   * onDropped(entry, ack), onClosed(ack), onPaused(ack), onRefused(entry, ack), onDrained()
   */
  constructor({ socket, outbox, attemptId, deviceId, handlers }) {
    this.socket = socket;
    this.outbox = outbox;
    this.attemptId = attemptId;
    this.deviceId = deviceId;
    this.handlers = handlers;
    this.joined = false;
    this.hold = null; // "paused" or "closed": sending waits for the server to say otherwise
    this.running = false;
    this.dirty = false;
    this.failures = 0;
    this.retryTimer = null;
    this.joinTimer = null;
    this.joinFailures = 0;
    this.inFlight = null;

    socket.on("connect", () => this.join());
    socket.on("disconnect", () => {
      this.joined = false;
      window.clearTimeout(this.joinTimer);
    });
  }

  async join() {
    window.clearTimeout(this.joinTimer);
    if (!this.socket.connected || this.hold === "closed") return;
    let ack;
    try {
      const payload = { attempt_id: this.attemptId, device_id: this.deviceId };
      const seb = sebProof();
      if (seb) payload.seb = seb;
      ack = await emitWithAck(this.socket, "attempt:join", payload);
    } catch {
      this.retryJoin();
      return;
    }
    if (ack?.ok) {
      this.joined = true;
      this.joinFailures = 0;
      this.handlers.onJoined(ack);
      this.kick();
      return;
    }
    this.handlers.onJoinRefused(ack ?? { ok: false, error: "server_error" });
    if (!FINAL_JOIN_ERRORS.has(ack?.error)) this.retryJoin();
  }

  retryJoin() {
    const delay = BACKOFF_MS[Math.min(this.joinFailures, BACKOFF_MS.length - 1)];
    this.joinFailures += 1;
    this.joinTimer = window.setTimeout(() => this.join(), delay);
  }

  canSend() {
    return this.joined && this.hold === null && this.socket.connected;
  }

  /** Stop sending until `resume()` (pause), or for good (closed). */
  setHold(reason) {
    this.hold = reason;
  }

  resume() {
    if (this.hold === "closed") return;
    this.hold = null;
    this.failures = 0;
    this.kick();
  }

  stop() {
    this.hold = "closed";
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.joinTimer);
  }

  /** Something was put in the outbox, or sending became possible again. */
  kick() {
    this.dirty = true;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.running) this.drain();
  }

  retryLater() {
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures += 1;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
  }

  async drain() {
    this.running = true;
    try {
      while (this.canSend()) {
        this.dirty = false;
        const entry = await this.outbox.first();
        if (!entry) {
          this.handlers.onDrained();
          break;
        }
        if (!(await this.send(entry))) break;
      }
    } finally {
      this.running = false;
      this.inFlight = null;
    }
    // A save stored while the last look found the outbox empty must not wait for the next one.
    if (this.dirty && this.canSend() && this.retryTimer === null) this.kick();
  }

  /** Send one save; true to go on with the next one. */
  async send(entry) {
    const { attempt_id: attemptId, slot, seq, response, client_ts: clientTs } = entry;
    this.inFlight = entry;
    let ack;
    try {
      ack = await emitWithAck(this.socket, "attempt:save",
        { attempt_id: attemptId, slot, seq, response, client_ts: clientTs });
    } catch {
      // Timed out or cut: the save is still in the outbox; a repeat is harmless
      // (the server acknowledges the same (attempt, seq, content) again).
      if (this.socket.connected) this.retryLater();
      return false;
    } finally {
      this.inFlight = null;
    }
    if (ack?.ok) {
      this.failures = 0;
      await this.outbox.remove(seq);
      this.handlers.onSaved(entry, ack);
      return true;
    }
    const error = ack?.error ?? "server_error";
    if (DROP_ERRORS.has(error)) {
      await this.outbox.remove(seq);
      this.handlers.onDropped(entry, ack);
      return true;
    }
    if (CLOSED_ERRORS.has(error)) {
      this.stop();
      await this.outbox.wipe();
      this.handlers.onClosed(ack);
      return false;
    }
    if (error === "paused") {
      this.setHold("paused");
      this.handlers.onPaused(ack);
      return false;
    }
    // locked, other_device, server_error...: keep the save and try again later.
    this.handlers.onRefused(entry, ack);
    this.retryLater();
    return false;
  }

  /** True when nothing is waiting or travelling. */
  isIdle() {
    return this.outbox.size === 0 && this.inFlight === null;
  }

  /**
   * Resolve when the outbox is empty; reject with "offline" when the connection
   * is not there to empty it, "paused"/"closed" when the server will not take
   * saves, "timeout" after `timeoutMs`.
   */
  whenDrained(timeoutMs = 30000) {
    const started = Date.now();
    this.kick();
    return new Promise((resolve, reject) => {
      const check = async () => {
        await this.outbox.refreshSize();
        if (this.isIdle()) resolve();
        else if (!this.socket.connected) reject(new Error("offline"));
        else if (this.hold) reject(new Error(this.hold));
        else if (Date.now() - started > timeoutMs) reject(new Error("timeout"));
        else window.setTimeout(check, 150);
      };
      check();
    });
  }
}
