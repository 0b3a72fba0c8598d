import type { CompleteParams, ReservedJob } from '../contract.js';
import { Batcher } from './batcher.js';

interface HeldLease {
  token: string;
  /** performance.now() by which the store's lease has surely not run out: send time + lease. */
  deadline: number;
  leaseMs: number;
}

/**
 * Completions, grouped into one fenced UPDATE per flush, and acknowledged early when that is
 * safe. This driver knows every lease it handed out and when each surely still holds (the
 * store's lease started after the request was sent, so send time + lease is a safe bound). A
 * completion of such a lease, with a third of it left, cannot be refused by the store: nobody
 * else may touch the row before it expires. So `complete` resolves at once and the row is
 * written with the next flush, and the worker's slot takes the next job without waiting for a
 * round trip and a WAL flush.
 *
 * The failure cases equal those of a completion that is awaited: if this process dies before
 * the flush, or the database stays unreachable until the lease runs out, the job is recovered
 * and runs again; its second completion is the only one the store accepts. Completions of
 * leases this driver did not hand out, or that are near their end, are awaited as usual.
 */
export class Completions {
  private readonly held = new Map<string, HeldLease>();
  /** Ids whose completion was acknowledged and is not stored yet: their lease is spent. */
  private readonly acknowledged = new Set<string>();
  private readonly batcher: Batcher<CompleteParams, boolean>;

  constructor(
    flush: (items: CompleteParams[]) => Promise<boolean[]>,
    private readonly earlyAck: boolean,
    private readonly onLateFailure: (error: unknown) => void,
  ) {
    this.batcher = new Batcher(flush, 2, 1000, true);
  }

  /** Records leases just handed out; `sentAt` is when the reserving statement was sent. */
  track(jobs: ReservedJob[], sentAt: number, leaseMs: number): void {
    if (!this.earlyAck) return;
    for (const job of jobs)
      this.held.set(job.id, { token: job.leaseToken, deadline: sentAt + leaseMs, leaseMs });
    if (this.held.size > 50_000) this.sweep();
  }

  /** Heartbeat renewed these leases (statement sent at `sentAt`). */
  renew(ids: string[], sentAt: number, leaseMs: number): void {
    for (const id of ids) {
      const lease = this.held.get(id);
      if (lease) lease.deadline = sentAt + leaseMs;
    }
  }

  /** The lease ended another way (retry, fail, release, lost). */
  forget(id: string): void {
    this.held.delete(id);
  }

  /** True while an acknowledged completion of this job is on its way: other transitions must refuse. */
  spent(id: string): boolean {
    return this.acknowledged.has(id);
  }

  async complete(params: CompleteParams): Promise<boolean> {
    if (this.acknowledged.has(params.id)) return false;
    const lease = this.held.get(params.id);
    if (lease?.token === params.leaseToken) {
      this.held.delete(params.id);
      const margin = Math.max(lease.leaseMs / 3, 200);
      if (performance.now() < lease.deadline - margin) {
        this.acknowledged.add(params.id);
        this.writeBehind(params, lease.deadline);
        return true;
      }
    }
    return this.batcher.add(params);
  }

  /** Resolves once every completion queued so far is stored: reads see their own completions. */
  settled(): Promise<void> {
    return this.batcher.settled();
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }

  private writeBehind(params: CompleteParams, deadline: number, attempt = 0): void {
    this.batcher.add(params).then(
      () => this.acknowledged.delete(params.id),
      (error: unknown) => {
        // Keep trying while the lease surely holds; after that the job is recovered and rerun.
        const delay = Math.min(2000, 100 * 2 ** attempt);
        if (performance.now() + delay < deadline) {
          setTimeout(() => this.writeBehind(params, deadline, attempt + 1), delay).unref();
        } else {
          this.acknowledged.delete(params.id);
          this.onLateFailure(error);
        }
      },
    );
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, lease] of this.held) if (lease.deadline < now) this.held.delete(id);
  }
}
