// The exam clock belongs to the server: the page only keeps the offset between
// its own clock and the server's (re-measured at every join and timer:sync),
// so a wrong Chromebook clock never gives or takes time.

function parseTime(iso) {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

export class ServerClock {
  constructor({ deadline, server_now: serverNow, paused, remaining_ms: remainingMs }) {
    this.offset = 0;
    this.deadline = deadline ? parseTime(deadline) : null;
    this.paused = false;
    this.frozenRemaining = null;
    this.sync({ deadline, server_now: serverNow, paused, remaining_ms: remainingMs });
  }

  /** Apply {deadline, server_now, paused, remaining_ms?} from the page data, a join ack or timer:sync. */
  sync({ deadline, server_now: serverNow, paused, remaining_ms: remainingMs }) {
    const now = parseTime(serverNow);
    if (now !== null) this.offset = now - Date.now();
    // Pause state first: a resume estimates the new deadline, which the server's own then replaces.
    if (paused !== undefined) this.setPaused(Boolean(paused));
    if (deadline !== undefined) {
      const previous = this.deadline;
      this.deadline = deadline ? parseTime(deadline) : null;
      // An extension given during a pause moves the frozen display by the same amount.
      if (this.paused && this.frozenRemaining !== null && previous !== null && this.deadline !== null) {
        this.frozenRemaining += this.deadline - previous;
      }
    }
    // While paused the server says exactly how much time is left when the clock restarts.
    if (this.paused && typeof remainingMs === "number") this.frozenRemaining = remainingMs;
  }

  setPaused(paused) {
    // While paused the display stays where the pause caught it; the server
    // moves the deadline on resume and tells us with timer:sync.
    if (paused && !this.paused) this.frozenRemaining = this.liveRemaining();
    if (!paused && this.paused) {
      // The server moves the deadline by the paused time and says so in timer:sync;
      // until then, go on from where the display stopped instead of jumping.
      if (this.frozenRemaining !== null && this.deadline !== null) {
        this.deadline = this.serverNow() + this.frozenRemaining;
      }
      this.frozenRemaining = null;
    }
    this.paused = paused;
  }

  serverNow() {
    return Date.now() + this.offset;
  }

  liveRemaining() {
    return this.deadline === null ? null : this.deadline - this.serverNow();
  }

  /** Milliseconds left (never negative), or null when the attempt has no deadline. */
  remaining() {
    const left = this.paused && this.frozenRemaining !== null ? this.frozenRemaining : this.liveRemaining();
    return left === null ? null : Math.max(0, left);
  }
}

/** H:MM:SS from one hour up, MM:SS below. Rounds up so 0:00 means the time is really over. */
export function formatRemaining(ms) {
  if (ms === null) return "—";
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`;
}
