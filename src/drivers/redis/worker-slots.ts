import { randomUUID } from 'node:crypto';
import type { ReservedJob } from '../contract.js';

/**
 * What the driver knows of one worker that reserves through it: the token prefix of its leases
 * and the jobs that `complete` already reserved for its freed slots (the refill), waiting for the
 * worker's next `reserve` call, which then needs no round trip.
 */
export class WorkerSlots {
  /** `<queue>/<random>.`: every lease token of this worker starts with it, then a number. */
  readonly tokenPrefix: string;
  private nextNumber = 1;
  leaseMs: number;
  /** Set once the worker registered: only registered workers (the engine's) get refills. */
  registered = false;
  readonly buffer: ReservedJob[] = [];
  private claimTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly queue: string,
    readonly workerId: string,
    leaseMs: number,
  ) {
    this.tokenPrefix = `${queue}/${randomUUID()}.`;
    this.leaseMs = leaseMs;
  }

  /** Reserves `count` token numbers; returns the first. Unused numbers are simply skipped. */
  takeNumbers(count: number): number {
    const first = this.nextNumber;
    this.nextNumber += count;
    return first;
  }

  take(limit: number): ReservedJob[] {
    const jobs = this.buffer.splice(0, limit);
    if (this.buffer.length === 0) this.clearTimer();
    return jobs;
  }

  /**
   * Adds refilled jobs. A worker claims them right after its completion resolves; if it does not
   * within `claimMs` (it is stopping, or busy elsewhere), `giveBack` releases them unclaimed.
   */
  add(jobs: ReservedJob[], claimMs: number, giveBack: (jobs: ReservedJob[]) => void): void {
    if (jobs.length === 0) return;
    this.buffer.push(...jobs);
    if (this.claimTimer) return;
    this.claimTimer = setTimeout(() => {
      this.claimTimer = undefined;
      const left = this.buffer.splice(0);
      if (left.length > 0) giveBack(left);
    }, claimMs);
    this.claimTimer.unref();
  }

  drain(): ReservedJob[] {
    this.clearTimer();
    return this.buffer.splice(0);
  }

  private clearTimer(): void {
    clearTimeout(this.claimTimer);
    this.claimTimer = undefined;
  }
}

/** The token prefix of a lease token (up to and with its last '.'), or null. */
export function tokenPrefixOf(token: string): string | null {
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot + 1) : null;
}
