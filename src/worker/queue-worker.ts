import { hostname } from 'node:os';
import type { QueueDriver, ReservedJob } from '../drivers/contract.js';
import { JobwrightError } from '../errors.js';
import type { JobEventEmitter } from '../events.js';
import {
  type ActiveRun,
  newActiveRun,
  type RunnerDeps,
  runFailedHookForRecovered,
  runReservedJob,
  toError,
} from './run-job.js';

export interface QueueWorkerOptions {
  queue: string;
  concurrency: number;
  workerId: string;
  /** Lease length given to each reservation, renewed by heartbeats every third of it. */
  leaseMs: number;
  pollIntervalMs: number;
  /** How often expired leases are looked for. */
  recoverIntervalMs: number;
}

/** How soon after a job ends the worker's jobs-done count reaches the store. */
const JOBS_DONE_PUBLISH_MS = 1000;

class LeaseLostError extends JobwrightError {
  constructor() {
    super('LEASE_LOST', 'The job lease was lost (the worker missed heartbeats); another worker may run it');
  }
}

class ShutdownError extends JobwrightError {
  constructor() {
    super('WORKER_SHUTDOWN', 'The worker stopped before the job finished; the job was put back');
  }
}

/**
 * Works one queue with up to `concurrency` jobs at once. It reserves as many jobs as it has
 * free slots, refills a slot as soon as it frees, and otherwise waits for a wake-up hint or
 * the poll interval. Heartbeats renew the leases of running jobs; a periodic sweep recovers
 * jobs whose worker died.
 */
export class QueueWorker {
  /** Every reservation not yet settled in the store: running, or with its outcome being written. */
  private readonly running = new Map<string, ActiveRun>();
  /** Slots in use: jobs whose `handle` has not settled yet. Never more than the concurrency. */
  private executing = 0;
  private get maxOutcomesInFlight(): number {
    return Math.max(100, this.options.concurrency * 10);
  }
  private stopping = false;
  private filling = false;
  private fillAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private recoverTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private jobsDone = 0;
  private jobsDoneTimer: NodeJS.Timeout | undefined;
  private consecutiveErrors = 0;
  private readonly driver: QueueDriver;
  private readonly events: JobEventEmitter;

  constructor(
    private readonly options: QueueWorkerOptions,
    private readonly deps: RunnerDeps,
  ) {
    this.driver = deps.driver;
    this.events = deps.events;
  }

  get queue(): string {
    return this.options.queue;
  }

  get concurrency(): number {
    return this.options.concurrency;
  }

  get activeCount(): number {
    return this.executing;
  }

  async start(): Promise<void> {
    await this.register();
    if (this.driver.subscribe) {
      this.unsubscribe = await this.driver.subscribe((queue) => {
        if (queue === this.options.queue) this.fill();
      });
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(50, this.options.leaseMs / 3));
    this.recoverTimer = setInterval(() => void this.recover(), this.options.recoverIntervalMs);
    this.heartbeatTimer.unref();
    this.recoverTimer.unref();
    this.events.emit('worker:started', {
      workerId: this.options.workerId,
      queue: this.options.queue,
      concurrency: this.options.concurrency,
    });
    await this.recover();
    this.fill();
  }

  /** Looks for due work now instead of at the next poll. */
  wake(): void {
    this.fill();
  }

  /**
   * Stops reserving, gives running jobs `graceMs` to finish, then puts back the rest without
   * counting their attempt. Resolves with how many were put back.
   */
  async stop(graceMs: number): Promise<number> {
    this.stopping = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.jobsDoneTimer);
    clearInterval(this.recoverTimer);
    this.unsubscribe?.();
    await waitAtMost(Promise.all([...this.running.values()].map((r) => r.done)), graceMs);
    // Jobs still in handle() go back; jobs whose outcome is being written finish that write.
    const leftovers = [...this.running.values()].filter((run) => !run.handled);
    const writing = [...this.running.values()].filter((run) => run.handled).map((run) => run.done);
    for (const run of leftovers) {
      run.released = true;
      run.interrupt(new ShutdownError());
    }
    let released = 0;
    await Promise.all(
      leftovers.map(async (run) => {
        try {
          const { ok } = await this.driver.release({ id: run.job.id, leaseToken: run.job.leaseToken });
          if (ok) released++;
        } catch (error) {
          // The lease runs out by itself and the job is recovered: nothing is lost.
          this.reportError(error);
        }
        this.running.delete(run.job.id);
      }),
    );
    await waitAtMost(Promise.all(writing), 10_000);
    clearInterval(this.heartbeatTimer);
    try {
      await this.driver.unregisterWorker({ workerId: this.options.workerId });
    } catch (error) {
      this.reportError(error);
    }
    this.events.emit('worker:stopped', {
      workerId: this.options.workerId,
      queue: this.options.queue,
      released,
    });
    return released;
  }

  private fill(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    void this.reserveWhileFree().finally(() => {
      this.filling = false;
      if (this.fillAgain && !this.stopping) {
        this.fillAgain = false;
        this.fill();
      }
    });
  }

  private async reserveWhileFree(): Promise<void> {
    let idle = false;
    try {
      while (!this.stopping) {
        this.fillAgain = false;
        const free = this.options.concurrency - this.executing;
        if (free <= 0) return;
        const jobs = await this.driver.reserve({
          queue: this.options.queue,
          limit: free,
          leaseMs: this.options.leaseMs,
          workerId: this.options.workerId,
        });
        this.consecutiveErrors = 0;
        for (const job of jobs) this.launch(job);
        if (jobs.length < free) {
          idle = !this.fillAgain;
          if (idle) break;
        }
      }
    } catch (error) {
      this.consecutiveErrors++;
      this.reportError(error);
      idle = true;
    } finally {
      if (idle) this.schedulePoll();
    }
  }

  private schedulePoll(): void {
    if (this.stopping) return;
    clearTimeout(this.pollTimer);
    // Back off while the store is failing, up to ten poll intervals.
    const delay = this.options.pollIntervalMs * Math.min(10, 2 ** this.consecutiveErrors);
    this.pollTimer = setTimeout(() => this.fill(), delay);
  }

  private launch(job: ReservedJob): void {
    const run: ActiveRun = newActiveRun(job);
    this.running.set(job.id, run);
    this.executing++;
    let slotHeld = true;
    const freeSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.executing--;
      this.fill();
    };
    // A slot whose job has finished takes the next one while the outcome is written (drivers
    // group those writes), up to a bound: a slow store then slows the worker instead of letting
    // unwritten outcomes pile up.
    run.onAttemptEnd = () => {
      if (this.driver.capabilities.reservesOnComplete) return;
      if (this.running.size - this.executing <= this.maxOutcomesInFlight) freeSlot();
    };
    run.done = runReservedJob(this.deps, run)
      .catch((error) => this.reportError(error))
      .finally(() => {
        if (this.running.get(job.id) === run) this.running.delete(job.id);
        this.jobsDone++;
        this.publishJobsDoneSoon();
        if (slotHeld) freeSlot();
        else this.fill();
      });
  }

  /**
   * `queue:workers` shows jobs done from the worker's registration, which the heartbeat renews
   * only every third of the lease: write the count within a second of a job ending instead, at
   * most once a second however many jobs end.
   */
  private publishJobsDoneSoon(): void {
    if (this.jobsDoneTimer || this.stopping) return;
    this.jobsDoneTimer = setTimeout(() => {
      this.jobsDoneTimer = undefined;
      if (!this.stopping) this.register().catch((error) => this.reportError(error));
    }, JOBS_DONE_PUBLISH_MS);
    this.jobsDoneTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    try {
      const leases = [...this.running.values()]
        .filter((r) => !r.released)
        .map((r) => ({ id: r.job.id, leaseToken: r.job.leaseToken }));
      if (leases.length > 0) {
        const { lost } = await this.driver.heartbeat({ leases, leaseMs: this.options.leaseMs });
        for (const id of lost) this.running.get(id)?.interrupt(new LeaseLostError());
      }
      if (!this.stopping) await this.register();
    } catch (error) {
      this.reportError(error);
    }
  }

  private async register(): Promise<void> {
    await this.driver.registerWorker({
      workerId: this.options.workerId,
      host: hostname(),
      pid: process.pid,
      queues: [this.options.queue],
      concurrency: this.options.concurrency,
      ttlMs: this.options.leaseMs,
      jobsDone: this.jobsDone,
    });
  }

  private async recover(): Promise<void> {
    try {
      const { requeued, failed } = await this.driver.recoverExpired({
        queue: this.options.queue,
        limit: 500,
      });
      for (const job of failed) await runFailedHookForRecovered(this.deps, job);
      if (requeued.length > 0) this.fill();
    } catch (error) {
      this.reportError(error);
    }
  }

  private reportError(error: unknown): void {
    this.events.emit('worker:error', {
      workerId: this.options.workerId,
      queue: this.options.queue,
      error: toError(error),
    });
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; the timer never outlives it. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
