import { hostname } from 'node:os';
import type { QueueDriver, ReservedJob } from '../drivers/contract.js';
import { JobwrightError, StoreLostError } from '../errors.js';
import type { JobEventEmitter } from '../events.js';
import { CancelWatch } from '../flow/cancel-watch.js';
import { OutcomeWriter, type Successors } from './outcome-writer.js';
import { Prefetch } from './prefetch.js';
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
  /** How many jobs it may hold ahead of its free slots, uncharged (0: none). */
  prefetch: number;
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
 * Works one queue with up to `concurrency` jobs at once, for every store alike. It reserves as
 * many jobs as it has free slots (started: charged in the same step) and, while there is a
 * backlog, holds more ahead (`Prefetch`: leased, uncharged). A slot that frees takes a held job
 * with a grouped "start" write that charges its attempt before `handle` runs; outcomes are
 * written in groups (`OutcomeWriter`) while the slots keep running. Heartbeats renew running and
 * held leases; a periodic sweep recovers jobs whose worker died.
 */
export class QueueWorker {
  /** Every started reservation not yet settled in the store: running, or with its outcome being written. */
  private readonly running = new Map<string, ActiveRun>();
  /** Slots in use: jobs starting, running, or with their outcome being written. Never more than the concurrency. */
  private executing = 0;
  private stopping = false;
  /** Stopped by itself because its store is gone (StoreLostError). */
  private halted = false;
  private filling = false;
  private fillAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private recoverTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private jobsDone = 0;
  /** The registration being written, if any (see `register`). */
  private registration: Promise<void> = Promise.resolve();
  private jobsDoneTimer: NodeJS.Timeout | undefined;
  private consecutiveErrors = 0;
  private readonly driver: QueueDriver;
  private readonly events: JobEventEmitter;
  private readonly outcomes: OutcomeWriter;
  private readonly prefetch: Prefetch;
  private readonly deps: RunnerDeps;
  private readonly cancels: CancelWatch;

  constructor(
    private readonly options: QueueWorkerOptions,
    deps: RunnerDeps,
  ) {
    this.driver = deps.driver;
    this.events = deps.events;
    this.outcomes = new OutcomeWriter(deps.driver, this.successors(), options.leaseMs);
    this.deps = { ...deps, outcomes: this.outcomes };
    this.prefetch = new Prefetch({
      driver: deps.driver,
      queue: options.queue,
      workerId: options.workerId,
      leaseMs: options.leaseMs,
      max: options.prefetch,
      outcomes: this.outcomes,
      onHeld: () => this.fill(),
      onError: (error) => this.reportError(error),
    });
    this.cancels = new CancelWatch(
      deps.driver,
      () => this.running.values(),
      (e) => this.reportError(e),
    );
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

  /** Jobs held ahead right now (leased, not started, not charged). */
  get heldCount(): number {
    return this.prefetch.size;
  }

  async start(): Promise<void> {
    await this.register();
    await this.prefetch.refreshWorkers();
    if (this.driver.subscribe) {
      this.unsubscribe = await this.driver.subscribe((queue) => {
        if (queue === this.options.queue) this.fill();
      });
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(50, this.options.leaseMs / 3));
    this.recoverTimer = setInterval(() => void this.recover(), this.options.recoverIntervalMs);
    this.heartbeatTimer.unref();
    this.recoverTimer.unref();
    this.cancels.start();
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
   * Stops reserving, puts held jobs back at once (they were never charged), gives running jobs
   * `graceMs` to finish, then puts back the rest without counting their attempt. Resolves with
   * how many started jobs were put back.
   */
  async stop(graceMs: number): Promise<number> {
    if (this.halted) {
      // The store is gone: nothing can be released or unregistered there.
      await waitAtMost(Promise.all([...this.running.values()].map((r) => r.done)), graceMs);
      return 0;
    }
    this.stopping = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.jobsDoneTimer);
    clearInterval(this.recoverTimer);
    this.unsubscribe?.();
    await this.prefetch.releaseAll();
    await waitAtMost(Promise.all([...this.running.values()].map((r) => r.done)), graceMs);
    // Jobs still in handle() go back; jobs whose outcome is being written finish that write.
    const leftovers = [...this.running.values()].filter((run) => !run.handled);
    const writing = [...this.running.values()].filter((run) => run.handled).map((run) => run.done);
    for (const run of leftovers) {
      run.released = true;
      run.interrupt(new ShutdownError());
    }
    const results = await this.outcomes.release(leftovers.map((run) => run.job));
    for (const run of leftovers) this.running.delete(run.job.id);
    const released = results.filter((r) => r.status === 'ok').length;
    await waitAtMost(Promise.all(writing), 10_000);
    await waitAtMost(this.outcomes.drain(), 10_000);
    clearInterval(this.heartbeatTimer);
    this.cancels.stop();
    // `stopping` keeps new registrations from starting; one already sent must land first.
    await waitAtMost(this.registration, 10_000);
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
        // Held jobs first: one grouped start write charges them, then they run.
        const held = this.prefetch.take(free);
        if (held.length > 0) {
          this.startHeld(held);
          continue;
        }
        const extra = this.prefetch.room();
        const jobs = await this.driver.reserve({
          queue: this.options.queue,
          limit: free + extra,
          start: free,
          leaseMs: this.options.leaseMs,
          workerId: this.options.workerId,
        });
        this.consecutiveErrors = 0;
        if (this.stopping) {
          await this.outcomes.release(jobs);
          return;
        }
        for (const job of jobs) {
          if (job.reservedAt === null) this.prefetch.hold(job);
          else this.launch(job);
        }
        const full = jobs.length >= free + extra;
        this.prefetch.noteBacklog(jobs.length >= free);
        if (!full) {
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
      this.prefetch.topUp(this.stopping);
    }
  }

  /** Charges held jobs in one grouped write, then runs those still leased to this worker. */
  private startHeld(jobs: ReservedJob[]): void {
    this.executing += jobs.length;
    void this.prefetch.start(jobs).then(
      (lost) => this.launchStarted(jobs, lost),
      (error: unknown) => this.startFailed(jobs, error),
    );
  }

  /**
   * Finishing slots hand over to held jobs in the same write as their outcomes (see
   * `Successors`): a held job taken here counts as executing from now on.
   */
  private successors(): Successors {
    return {
      take: (count) => {
        if (this.stopping) return [];
        const jobs = this.prefetch.take(count);
        this.executing += jobs.length;
        if (jobs.length > 0) this.prefetch.topUp(this.stopping);
        return jobs;
      },
      started: (jobs, lost) => this.launchStarted(jobs, lost),
      failed: (jobs, error) => this.startFailed(jobs, error),
    };
  }

  /** Held jobs whose start was written (their slots already counted): runs those that started. */
  private launchStarted(jobs: ReservedJob[], lost: ReadonlySet<string>): void {
    const now = new Date();
    const started: ReservedJob[] = [];
    for (const job of jobs) {
      if (lost.has(job.id)) {
        this.executing--;
        continue;
      }
      job.attempts += 1;
      job.reservedAt = now;
      started.push(job);
    }
    if (this.stopping) {
      // Charged but not run: give the attempt back.
      this.executing -= started.length;
      void this.outcomes.release(started);
      return;
    }
    for (const job of started) this.launch(job, true);
    if (started.length < jobs.length) this.fill();
  }

  /** The start write failed: the jobs stay leased and uncharged until their leases run out. */
  private startFailed(jobs: ReservedJob[], error: unknown): void {
    this.executing -= jobs.length;
    this.reportError(error);
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.stopping) return;
    clearTimeout(this.pollTimer);
    // Back off while the store is failing, up to ten poll intervals.
    const delay = this.options.pollIntervalMs * Math.min(10, 2 ** this.consecutiveErrors);
    this.pollTimer = setTimeout(() => this.fill(), delay);
  }

  /** Runs a started job in a slot; `slotTaken` when the slot was counted already (held jobs). */
  private launch(job: ReservedJob, slotTaken = false): void {
    const run: ActiveRun = newActiveRun(job);
    this.running.set(job.id, run);
    if (!slotTaken) this.executing++;
    // The slot frees once the outcome is written, not when `handle` settles: a worker never has
    // more than `concurrency` jobs charged and unsettled, so a crash fails at most that many
    // (issue 12). A held job that takes the slot starts in that same write (`Successors`).
    run.done = runReservedJob(this.deps, run)
      .catch((error) => this.reportError(error))
      .finally(() => {
        if (this.running.get(job.id) === run) this.running.delete(job.id);
        this.jobsDone++;
        this.publishJobsDoneSoon();
        this.executing--;
        this.fill();
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
      leases.push(...this.prefetch.leases());
      if (leases.length > 0) {
        const { lost } = await this.driver.heartbeat({ leases, leaseMs: this.options.leaseMs });
        for (const id of lost) {
          this.running.get(id)?.interrupt(new LeaseLostError());
          this.prefetch.drop(id);
        }
      }
      if (!this.stopping) {
        await this.register();
        await this.prefetch.refreshWorkers();
      }
    } catch (error) {
      this.reportError(error);
    }
  }

  /**
   * Registers (or renews) this worker. The write in flight is kept so that `stop` can wait for it
   * before unregistering: a heartbeat's or a jobs-done update's registration that landed after
   * the unregistration left a stopped worker listed until its TTL ran out.
   */
  private async register(): Promise<void> {
    const writing = this.driver.registerWorker({
      workerId: this.options.workerId,
      host: hostname(),
      pid: process.pid,
      queues: [this.options.queue],
      concurrency: this.options.concurrency,
      ttlMs: this.options.leaseMs,
      jobsDone: this.jobsDone,
      held: this.prefetch.size,
    });
    this.registration = writing.catch(() => {});
    await writing;
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
    if (error instanceof StoreLostError) this.halt();
  }

  /** Stops taking jobs from a store that is gone for good; running jobs finish (their outcomes cannot be stored). */
  private halt(): void {
    if (this.stopping) return;
    this.stopping = this.halted = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.recoverTimer);
    clearInterval(this.heartbeatTimer);
    this.cancels.stop();
    this.unsubscribe?.();
    this.events.emit('worker:stopped', {
      workerId: this.options.workerId,
      queue: this.options.queue,
      released: 0,
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
