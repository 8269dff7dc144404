// "Flag for review" marks are the student's own notes: kept in localStorage
// per attempt, never sent to the server, wiped on submit and logout.

const PREFIX = "ardoise:flags:";

export class Flags {
  constructor(attemptId) {
    this.key = PREFIX + attemptId;
    this.slots = new Set();
    try {
      const stored = JSON.parse(window.localStorage.getItem(this.key) || "[]");
      if (Array.isArray(stored)) stored.filter(Number.isInteger).forEach((s) => this.slots.add(s));
    } catch {
      // Unreadable flags are not worth failing the page for.
    }
  }

  has(slot) {
    return this.slots.has(slot);
  }

  toggle(slot) {
    if (this.slots.has(slot)) this.slots.delete(slot);
    else this.slots.add(slot);
    this.store();
    return this.slots.has(slot);
  }

  store() {
    try {
      window.localStorage.setItem(this.key, JSON.stringify([...this.slots].sort((a, b) => a - b)));
    } catch {
      // Full or disabled storage: flags then last for this page only.
    }
  }

  clear() {
    this.slots.clear();
    try { window.localStorage.removeItem(this.key); } catch { /* nothing to clear */ }
  }
}

/** Remove every attempt's flags (logout on a shared school computer). */
export function wipeAllFlags() {
  try {
    const keys = [];
    for (let i = 0; i < window.localStorage.length; i += 1) {
      const key = window.localStorage.key(i);
      if (key && key.startsWith(PREFIX)) keys.push(key);
    }
    keys.forEach((key) => window.localStorage.removeItem(key));
  } catch {
    // Storage disabled: nothing was stored either.
  }
}
