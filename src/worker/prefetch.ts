import type { LeaseRef, QueueDriver, ReservedJob } from '../drivers/contract.js';
import { WriteGroup } from '../write-group.js';
import type { OutcomeWriter } from './outcome-writer.js';

export interface PrefetchOptions {
  driver: QueueDriver;
  queue: string;
  workerId: string;
  leaseMs: number;
  /** The `prefetch` setting: at most this many held ahead (0: none). */
  max: number;
  outcomes: OutcomeWriter;
  /** Called when held jobs arrived, so free slots can take them. */
  onHeld: () => void;
  onError: (error: unknown) => void;
}

/**
 * The jobs a worker holds ahead of its free slots: leased to it, not started, not charged (rule
 * 8). While the last reservation came back full (a backlog), it tops itself up in the background
 * to `min(max, ceil(due jobs / live workers on the queue))`, so a lone worker reserves in big
 * groups while several workers share the work. A held job starts through a grouped "start" write
 * that charges its attempt before its `handle` runs (rule 1); at stop, held jobs go back as they were.
 */
export class Prefetch {
  private held: ReservedJob[] = [];
  private target = 0;
  private backlog = false;
  private liveWorkers = 1;
  private topping: Promise<void> | undefined;
  private stopped = false;
  private readonly starts: WriteGroup<LeaseRef, boolean>;

  constructor(private readonly options: PrefetchOptions) {
    this.starts = new WriteGroup((leases) => this.writeStarts(leases), 1, 1000);
  }

  get size(): number {
    return this.held.length;
  }

  /** How many more the next reservation may hold beyond the free slots. */
  room(): number {
    if (this.options.max <= 0 || !this.backlog) return 0;
    return Math.max(0, this.target - this.held.length);
  }

  take(count: number): ReservedJob[] {
    return this.held.splice(0, count);
  }

  hold(job: ReservedJob): void {
    this.held.push(job);
  }

  noteBacklog(backlog: boolean): void {
    this.backlog = backlog;
  }

  leases(): LeaseRef[] {
    return this.held.map((j) => ({ id: j.id, leaseToken: j.leaseToken }));
  }

  /** A held job whose lease was lost: it is someone else's now. */
  drop(id: string): void {
    const at = this.held.findIndex((j) => j.id === id);
    if (at >= 0) this.held.splice(at, 1);
  }

  /** Counts the live workers of this queue (every process), for the share of due jobs to hold. */
  async refreshWorkers(): Promise<void> {
    if (this.options.max <= 0) return;
    try {
      const workers = await this.options.driver.workers();
      const here = workers.filter((w) => w.queues.includes(this.options.queue)).length;
      this.liveWorkers = Math.max(1, here);
    } catch (error) {
      this.options.onError(error);
    }
  }

  /** Charges these held jobs in one grouped write; resolves with the ids that did not start. */
  async start(jobs: ReservedJob[]): Promise<Set<string>> {
    const ok = await Promise.all(jobs.map((j) => this.starts.add({ id: j.id, leaseToken: j.leaseToken })));
    return new Set(jobs.filter((_, i) => !ok[i]).map((j) => j.id));
  }

  /** Tops the held jobs up in the background while there is a backlog and they run low. */
  topUp(stopping: boolean): void {
    if (this.options.max <= 0 || stopping || this.stopped || this.topping || !this.backlog) return;
    if (this.target > 0 && this.held.length >= this.target / 2) return;
    this.topping = this.fetch().finally(() => {
      this.topping = undefined;
    });
  }

  /** Puts every held job back, uncharged; later top-ups give theirs back too. */
  async releaseAll(): Promise<void> {
    this.stopped = true;
    await this.topping;
    const jobs = this.held.splice(0);
    if (jobs.length > 0) await this.options.outcomes.release(jobs);
  }

  private async fetch(): Promise<void> {
    const { driver, queue, max } = this.options;
    try {
      // A fresh count of the queue's workers for every top-up: a worker that started first
      // counted only itself, and would take a whole backlog that others started to share.
      await this.refreshWorkers();
      const due = await driver.countDue({ queue, limit: max * this.liveWorkers });
      this.target = Math.min(max, Math.ceil(due / this.liveWorkers));
      const want = this.target - this.held.length;
      if (want <= 0) {
        if (due === 0) this.backlog = false;
        return;
      }
      const jobs = await driver.reserve({
        queue,
        limit: want,
        start: 0,
        leaseMs: this.options.leaseMs,
        workerId: this.options.workerId,
      });
      if (this.stopped) {
        await this.options.outcomes.release(jobs);
        return;
      }
      this.held.push(...jobs);
      this.backlog = jobs.length >= want;
      if (jobs.length > 0) this.options.onHeld();
    } catch (error) {
      this.backlog = false;
      this.options.onError(error);
    }
  }

  private async writeStarts(leases: LeaseRef[]): Promise<Array<PromiseSettledResult<boolean>>> {
    const { lost } = await this.options.driver.start({ leases, leaseMs: this.options.leaseMs });
    const gone = new Set(lost);
    return leases.map((l) => ({ status: 'fulfilled', value: !gone.has(l.id) }));
  }
}
