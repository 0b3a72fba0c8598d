/**
 * Slows down token guessing: after a few wrong tokens from one client, that client must wait
 * before its next attempt is even checked, twice as long after each further miss. A right token
 * clears the client's count. The table is bounded: past `maxClients` the oldest entry is dropped,
 * so a flood of spoofed or distinct addresses costs bounded memory (and only weakens the limit
 * for the flooder's own oldest addresses).
 */

export interface ThrottleOptions {
  /** Wrong tokens allowed without any wait. */
  freeAttempts: number;
  /** The first wait, in ms; it doubles with each further miss. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Clients remembered at most. */
  maxClients: number;
  /** A client not seen for this long starts afresh. */
  forgetAfterMs: number;
  now: () => number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxClients: 10_000,
  forgetAfterMs: 15 * 60_000,
  now: Date.now,
};

interface Entry {
  failures: number;
  blockedUntil: number;
  lastSeen: number;
}

export class LoginThrottle {
  private readonly clients = new Map<string, Entry>();
  private readonly options: ThrottleOptions;

  constructor(options: Partial<ThrottleOptions> = {}) {
    this.options = { ...DEFAULT_THROTTLE, ...options };
  }

  /** Ms the client must still wait before an attempt is checked; 0 when it may try now. */
  waitMs(client: string): number {
    const entry = this.current(client);
    return entry ? Math.max(0, entry.blockedUntil - this.options.now()) : 0;
  }

  failed(client: string): void {
    const now = this.options.now();
    const entry = this.current(client) ?? { failures: 0, blockedUntil: 0, lastSeen: now };
    entry.failures += 1;
    entry.lastSeen = now;
    const over = entry.failures - this.options.freeAttempts;
    if (over > 0) {
      const delay = this.options.baseDelayMs * 2 ** Math.min(over - 1, 30);
      entry.blockedUntil = now + Math.min(this.options.maxDelayMs, delay);
    }
    // Re-inserted, so Map order is least recently failed first: the eviction order.
    this.clients.delete(client);
    this.clients.set(client, entry);
    while (this.clients.size > this.options.maxClients) {
      const oldest = this.clients.keys().next().value as string;
      this.clients.delete(oldest);
    }
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }

  get size(): number {
    return this.clients.size;
  }

  private current(client: string): Entry | undefined {
    const entry = this.clients.get(client);
    if (entry && this.options.now() - entry.lastSeen > this.options.forgetAfterMs) {
      this.clients.delete(client);
      return undefined;
    }
    return entry;
  }
}
