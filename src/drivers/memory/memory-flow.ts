import type { CounterHit, LimitState, QueueLimits } from '../flow-contract.js';
import { NO_LIMITS } from '../flow-contract.js';

/**
 * The memory driver's flow-control state: queue limits, recent starts of limited queues (for
 * rates), and the locks and counters of the job middleware. One process owns it all.
 */
export class MemoryFlow {
  readonly limits = new Map<string, QueueLimits>();
  private readonly starts = new Map<string, Array<{ at: number; group: string | null }>>();
  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();
  private readonly counters = new Map<string, { count: number; expiresAt: number }>();

  setLimits(queue: string, limits: QueueLimits): void {
    if (limits === NO_LIMITS || Object.values(limits).every((v) => v === null)) this.limits.delete(queue);
    else this.limits.set(queue, { ...limits });
  }

  /** Running counts come from the caller (its processing set); the rate windows from here. */
  state(queue: string, limits: QueueLimits, now: number, running: Array<string | null>): LimitState {
    const state: LimitState = {
      running: running.length,
      startsInWindow: 0,
      groupRunning: new Map(),
      groupStartsInWindow: new Map(),
    };
    for (const g of running) if (g !== null) state.groupRunning.set(g, (state.groupRunning.get(g) ?? 0) + 1);
    const log = this.starts.get(queue) ?? [];
    const longest = Math.max(limits.rate?.perSeconds ?? 0, limits.groupRate?.perSeconds ?? 0) * 1000;
    while (log.length > 0 && log[0]!.at <= now - longest) log.shift();
    for (const start of log) {
      if (limits.rate && start.at > now - limits.rate.perSeconds * 1000) state.startsInWindow++;
      if (limits.groupRate && start.group !== null && start.at > now - limits.groupRate.perSeconds * 1000) {
        state.groupStartsInWindow.set(start.group, (state.groupStartsInWindow.get(start.group) ?? 0) + 1);
      }
    }
    return state;
  }

  noteStart(queue: string, group: string | null, now: number): void {
    const limits = this.limits.get(queue);
    if (!limits || (limits.rate === null && limits.groupRate === null)) return;
    let log = this.starts.get(queue);
    if (!log) {
      log = [];
      this.starts.set(queue, log);
    }
    log.push({ at: now, group });
  }

  acquireLock(key: string, owner: string, ttlMs: number, now: number): boolean {
    const lock = this.locks.get(key);
    if (lock && lock.expiresAt > now && lock.owner !== owner) return false;
    this.locks.set(key, { owner, expiresAt: now + ttlMs });
    return true;
  }

  releaseLock(key: string, owner: string): void {
    if (this.locks.get(key)?.owner === owner) this.locks.delete(key);
  }

  hit(key: string, windowMs: number, max: number | null, now: number): CounterHit {
    let counter = this.counters.get(key);
    if (counter && counter.expiresAt <= now) {
      this.counters.delete(key);
      counter = undefined;
    }
    if (max !== null && (counter?.count ?? 0) >= max) {
      return { allowed: false, count: counter?.count ?? 0, resetInMs: counter ? counter.expiresAt - now : 0 };
    }
    if (!counter) {
      counter = { count: 0, expiresAt: now + windowMs };
      this.counters.set(key, counter);
    }
    counter.count++;
    return { allowed: true, count: counter.count, resetInMs: counter.expiresAt - now };
  }

  clear(key: string): void {
    this.counters.delete(key);
  }
}
