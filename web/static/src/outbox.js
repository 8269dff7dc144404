// The outbox: every save is written here BEFORE it is sent, and leaves only
// when the server has acknowledged it (ARCHITECTURE.md, "The answer path" 1).
//
// IndexedDB database `ardoise-outbox-<user_id>` (keyed by user: school
// computers are shared), two stores:
//   outbox  key [attempt_id, seq] -> {attempt_id, slot, seq, response, client_ts}
//   meta    key attempt_id        -> {attempt_id, last_seq}
// The seq counter lives beside the entries and is advanced in the same
// transaction as the put, so two tabs never take the same seq and a crash
// between "take seq" and "store save" cannot happen.

import { openDB, deleteDB } from "idb";

const DB_VERSION = 1;
const OPEN_TIMEOUT_MS = 5000;

export function outboxDbName(userId) {
  return `ardoise-outbox-${userId}`;
}

function attemptRange(attemptId) {
  return IDBKeyRange.bound([attemptId, -Infinity], [attemptId, Infinity]);
}

function withTimeout(promise, ms) {
  return Promise.race([
    promise,
    new Promise((_, reject) => window.setTimeout(() => reject(new Error("timeout")), ms)),
  ]);
}

export class Outbox {
  /** Open the user's outbox for one attempt; never rejects (falls back to memory). */
  static async open(userId, attemptId) {
    let db = null;
    try {
      if (!window.indexedDB) throw new Error("IndexedDB unavailable");
      db = await withTimeout(openDB(outboxDbName(userId), DB_VERSION, {
        upgrade(database) {
          if (!database.objectStoreNames.contains("outbox")) {
            database.createObjectStore("outbox", { keyPath: ["attempt_id", "seq"] });
          }
          if (!database.objectStoreNames.contains("meta")) {
            database.createObjectStore("meta", { keyPath: "attempt_id" });
          }
        },
        // Another tab wants to delete the database (logout): let it.
        blocking() { db?.close(); },
      }), OPEN_TIMEOUT_MS);
    } catch (error) {
      console.warn("ardoise: outbox kept in memory only", error);
      db = null;
    }
    const outbox = new Outbox(db, attemptId);
    await outbox.refreshSize();
    return outbox;
  }

  constructor(db, attemptId) {
    this.db = db;
    this.attemptId = attemptId;
    // Memory fallback (private mode, storage refused, database deleted under us):
    // saves are still sent, they only do not survive a reload.
    this.memory = new Map();
    this.memoryLastSeq = 0;
    this.size = 0;
    this.listeners = new Set();
  }

  get persistent() {
    return this.db !== null;
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  async run(operation, fallback) {
    if (this.db) {
      try {
        return await operation(this.db);
      } catch (error) {
        console.warn("ardoise: outbox storage failed, keeping saves in memory", error);
        try { this.db.close(); } catch { /* already closed */ }
        this.db = null;
      }
    }
    return fallback();
  }

  async refreshSize() {
    const size = await this.run(
      (db) => db.count("outbox", attemptRange(this.attemptId)),
      () => this.memory.size,
    );
    if (size !== this.size) {
      this.size = size;
      this.listeners.forEach((listener) => listener(size));
    }
    return size;
  }

  /** The highest seq this browser ever took for the attempt (0 if none). */
  async lastSeq() {
    return this.run(
      async (db) => (await db.get("meta", this.attemptId))?.last_seq ?? 0,
      () => this.memoryLastSeq,
    );
  }

  /**
   * Take the next seq (above both the stored counter and `floorSeq`, the
   * highest seq the server is known to have) and store the save under it.
   */
  async enqueue(slot, response, floorSeq) {
    const clientTs = new Date().toISOString();
    const entry = await this.run(async (db) => {
      const tx = db.transaction(["outbox", "meta"], "readwrite");
      const meta = await tx.objectStore("meta").get(this.attemptId);
      const seq = Math.max(meta?.last_seq ?? 0, floorSeq, this.memoryLastSeq) + 1;
      const saved = { attempt_id: this.attemptId, slot, seq, response, client_ts: clientTs };
      await Promise.all([
        tx.objectStore("meta").put({ attempt_id: this.attemptId, last_seq: seq }),
        tx.objectStore("outbox").put(saved),
        tx.done,
      ]);
      this.memoryLastSeq = seq;
      return saved;
    }, () => {
      const seq = Math.max(this.memoryLastSeq, floorSeq) + 1;
      this.memoryLastSeq = seq;
      const saved = { attempt_id: this.attemptId, slot, seq, response, client_ts: clientTs };
      this.memory.set(seq, saved);
      return saved;
    });
    await this.refreshSize();
    return entry;
  }

  /** Every unsent save of the attempt, in seq order. */
  async entries() {
    return this.run(
      (db) => db.getAll("outbox", attemptRange(this.attemptId)),
      () => [...this.memory.values()].sort((a, b) => a.seq - b.seq),
    );
  }

  /** The unsent save with the lowest seq, or null. */
  async first() {
    const found = await this.run(
      (db) => db.getAll("outbox", attemptRange(this.attemptId), 1),
      () => [...this.memory.values()].sort((a, b) => a.seq - b.seq).slice(0, 1),
    );
    return found[0] ?? null;
  }

  async remove(seq) {
    await this.run(
      (db) => db.delete("outbox", [this.attemptId, seq]),
      () => { this.memory.delete(seq); },
    );
    await this.refreshSize();
  }

  /** Forget every unsent save and the counter of the attempt (submitted, closed). */
  async wipe() {
    await this.run(async (db) => {
      const tx = db.transaction(["outbox", "meta"], "readwrite");
      await Promise.all([
        tx.objectStore("outbox").delete(attemptRange(this.attemptId)),
        tx.objectStore("meta").delete(this.attemptId),
        tx.done,
      ]);
    }, () => {});
    this.memory.clear();
    await this.refreshSize();
  }

  close() {
    try { this.db?.close(); } catch { /* already closed */ }
    this.db = null;
  }
}

/**
 * Delete the whole outbox database of a user (logout). Resolves after at most
 * `timeoutMs` even if another tab still holds the database open: logging out
 * must never hang on it.
 */
export async function deleteOutboxDb(userId, timeoutMs = 3000) {
  if (!userId || !window.indexedDB) return;
  try {
    await withTimeout(deleteDB(outboxDbName(userId)), timeoutMs);
  } catch (error) {
    console.warn("ardoise: outbox not deleted", error);
  }
}
