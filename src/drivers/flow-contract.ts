/**
 * Flow control verbs every driver implements (issue 17): cancel, queue limits, and the small
 * locks and counters the per-class middleware (`RateLimited`, `WithoutOverlapping`,
 * `ThrottlesExceptions`) keep in the store so every process and machine sees them.
 *
 * Rules:
 * - Unique jobs: `enqueue` stores a job whose `uniqueKey` is set only when no live job
 *   (pending, processing or retrying) of the same queue holds that key with its lock unexpired
 *   (`uniqueUntil`: null while the job is live). The check and the insert are one atomic step.
 *   The lock is the live job itself, so completing, failing or a crash never leaves one behind.
 * - Cancel: a waiting (or held) job is failed at once; a started one is marked for its current
 *   lease, and `cancelRequested` reports it to the worker that runs it.
 * - Limits: `reserve` of a queue with limits starts at most what they allow and holds nothing
 *   ahead. A queue without limits costs nothing extra (drivers cache "has limits").
 */

import type { LeaseRef } from './contract.js';

/** A rate: at most `max` starts in any window of `perSeconds`. */
export interface RateLimit {
  max: number;
  perSeconds: number;
}

/** A queue's limits; `null` where unset. Group limits apply to jobs whose `group()` is not null. */
export interface QueueLimits {
  concurrency: number | null;
  rate: RateLimit | null;
  groupConcurrency: number | null;
  groupRate: RateLimit | null;
}

export const NO_LIMITS: QueueLimits = Object.freeze({
  concurrency: null,
  rate: null,
  groupConcurrency: null,
  groupRate: null,
});

export function hasLimits(limits: QueueLimits | null | undefined): boolean {
  return (
    !!limits &&
    (limits.concurrency !== null ||
      limits.rate !== null ||
      limits.groupConcurrency !== null ||
      limits.groupRate !== null)
  );
}

/** What `enqueue` stored: per job, in order, its own id or the id of the live job holding its unique key. */
export interface EnqueueResult {
  ids: string[];
}

/** A middleware lock: `key` held by `owner`. */
export interface LockParams {
  key: string;
  owner: string;
}

/** A fixed-window counter hit (see `FlowControl.hitCounter`). */
export interface CounterParams {
  key: string;
  windowMs: number;
  max: number | null;
}

export interface CounterHit {
  /** True when the counter was incremented (it was below `max`). */
  allowed: boolean;
  /** The count in the current window after this call. */
  count: number;
  /** Ms until the window ends (0 when the counter is empty). */
  resetInMs: number;
}

export interface FlowControl {
  /** True when the job was waiting (now failed "Cancelled") or running (its worker is told). */
  cancel(params: { id: string; reason: string }): Promise<boolean>;
  /** Of these running leases, the ids whose cancel was asked for. */
  cancelRequested(params: { leases: LeaseRef[] }): Promise<string[]>;
  /** Replaces the queue's limits (all null: none). */
  setQueueLimits(params: { queue: string; limits: QueueLimits }): Promise<void>;
  queueLimits(params: { queue: string }): Promise<QueueLimits>;
  /** Every queue with a limit set. */
  limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>>;
  /** Takes the lock `key` for `owner` unless another owner holds it unexpired. */
  acquireLock(params: LockParams & { ttlMs: number }): Promise<boolean>;
  releaseLock(params: LockParams): Promise<void>;
  /**
   * A fixed-window counter: increments `key` unless it has reached `max` (null: no cap; 0: only
   * reads). The window starts at the first hit and lasts `windowMs`.
   */
  hitCounter(params: CounterParams): Promise<CounterHit>;
  clearCounter(params: { key: string }): Promise<void>;
}

/** The text a cancelled job's `errorMessage` starts with. */
export const CANCELLED = 'Cancelled';

/** Running starts and rate windows of one limited queue, as a driver read them inside `reserve`. */
export interface LimitState {
  running: number;
  startsInWindow: number;
  groupRunning: Map<string, number>;
  groupStartsInWindow: Map<string, number>;
}

/**
 * Admits jobs one by one under a queue's limits, from the counts a driver read inside its
 * atomic `reserve` step; the drivers share it so the rules are the same everywhere.
 */
export class LimitGate {
  /** How many more may start now, by the queue-wide limits (and the caller's `want`). */
  room: number;
  private readonly running: Map<string, number>;
  private readonly starts: Map<string, number>;

  constructor(
    private readonly limits: QueueLimits,
    state: LimitState,
    want: number,
  ) {
    let room = want;
    if (limits.concurrency !== null) room = Math.min(room, limits.concurrency - state.running);
    if (limits.rate !== null) room = Math.min(room, limits.rate.max - state.startsInWindow);
    this.room = Math.max(0, room);
    this.running = new Map(state.groupRunning);
    this.starts = new Map(state.groupStartsInWindow);
  }

  /** Whether a job of `group` may start; counts it when it may. */
  admit(group: string | null | undefined): boolean {
    if (this.room <= 0) return false;
    if (group !== null && group !== undefined) {
      const r = this.running.get(group) ?? 0;
      const s = this.starts.get(group) ?? 0;
      if (this.limits.groupConcurrency !== null && r >= this.limits.groupConcurrency) return false;
      if (this.limits.groupRate !== null && s >= this.limits.groupRate.max) return false;
      this.running.set(group, r + 1);
      this.starts.set(group, s + 1);
    }
    this.room--;
    return true;
  }

  /** Groups that cannot start anything more now: a candidate query can leave them out. */
  fullGroups(): string[] {
    const out = new Set<string>();
    const { groupConcurrency, groupRate } = this.limits;
    if (groupConcurrency !== null) for (const [g, n] of this.running) if (n >= groupConcurrency) out.add(g);
    if (groupRate !== null) for (const [g, n] of this.starts) if (n >= groupRate.max) out.add(g);
    return [...out];
  }
}
