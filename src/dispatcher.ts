import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import {
  assertBatchJobs,
  assertNoUniqueMembers,
  type BatchOptions,
  type BatchRecord,
  inBatch,
  newBatch,
  toBatchRecord,
} from './batches/batch.js';
import { defaultsOf, type JobConfig, type JobDefaults, loadConfig } from './config.js';
import { type DispatcherPlugin, defaultPlugins } from './dispatcher-plugins.js';
import type {
  ActivityEntry,
  NewJob,
  QueueCounts,
  QueueDriver,
  StoredJob,
  ThroughputBucket,
  WorkerInfo,
} from './drivers/contract.js';
import { CANCELLED, type EnqueueResult, NO_LIMITS, type QueueLimits } from './drivers/flow-contract.js';
import { specOf } from './drivers/job-spec.js';
import { type EncryptionSettings, Keyring, settingsFromEnv } from './encryption.js';
import { InvalidJobError, JobwrightError, NotFoundError } from './errors.js';
import { JobEventEmitter } from './events.js';
import {
  addFlowFields,
  mergeLimits,
  poolName,
  type QueueLimitsInput,
  uniqueTakenError,
} from './flow/dispatch-flow.js';
import { orderedQueuesView } from './flow/ordered-queues.js';
import { Isolation } from './isolation/pool.js';
import { isolationOf } from './isolation/settings.js';
import { type Job, type JobClass, type JobProgress, type JobRecord, resolveJobSettings } from './job.js';
import { assertNoHiddenMethods } from './job-fields.js';
import { redactErrors, sensitiveFieldsOf } from './logging/sensitive.js';
import { decodePayload, encodePayload, openPayload } from './payload.js';
import { globalRegistry, JobRegistry } from './registry.js';
import { assertWaitTimeout, waitForJob } from './results/wait-for.js';
import { type ScheduleInfo, scheduleInfo } from './schedules/schedule-info.js';
import { assertCron, assertScheduleName, type ScheduleOptions } from './schedules/schedule-rules.js';
import { Scheduler } from './schedules/scheduler.js';
import { assertAvailableAt, assertDelay } from './time-rules.js';
import {
  assertMaxAttempts,
  assertPriority,
  assertQueueName,
  assertSeconds,
  assertTimeout,
} from './validation.js';
import { encodeMeta, type JobMeta, toLink } from './worker/chain.js';
import { QueueWorker } from './worker/queue-worker.js';
import { type JobMiddleware, type RunnerDeps, runAttempt } from './worker/run-job.js';

export interface DispatchOptions {
  /** Seconds to wait before the job is due. */
  delay?: number;
  queue?: string;
  priority?: number;
  /** A store transaction to enqueue in (PostgreSQL: a pg client inside BEGIN). */
  tx?: unknown;
}

/** A queue's counts (`QueueCounts` of the contract) and its live worker concurrency. */
export interface QueueStats extends QueueCounts {
  /** Concurrency of the live workers on this queue, summed across all processes. */
  workersCount: number;
}

export interface JobDispatcherOptions {
  /** Job classes this dispatcher's workers can run, besides those of `registerJobs`. */
  jobs?: JobClass[];
  /** Settings; defaults to `loadConfig()` of the environment. */
  config?: Partial<JobConfig>;
  middleware?: JobMiddleware[];
  /** Plugins to install (default: the built-in ones, which include the activity log). */
  plugins?: DispatcherPlugin[];
  /** Called with each row about to be stored (tracing saves its context in `row.meta` here). */
  onDispatch?: DispatchHook[];
  /** Payload encryption keys; JOBWRIGHT_KEY, JOBWRIGHT_PREVIOUS_KEYS and JOBWRIGHT_ACCEPT_PLAINTEXT by default. */
  encryption?: EncryptionSettings;
}

/** Sees (and may add to the `meta` of) each job row before it is stored; must be synchronous and quick. */
export type DispatchHook = (row: NewJob, job: Job) => void;

export interface ListJobsOptions {
  queue?: string;
  status?: JobRecord['status'];
  search?: string;
  limit?: number;
  offset?: number;
  order?: 'newest' | 'oldest';
}

const nextUlid = monotonicFactory();

/** A driver, or a function that makes one on first use (the global dispatcher's lazy store). */
export type DriverSource = QueueDriver | (() => Promise<QueueDriver>);

/**
 * Puts jobs on queues and runs workers over them. One dispatcher owns one driver; `close()`
 * stops its workers gracefully and closes the driver.
 */
/** The most jobs a worker may hold ahead (`prefetch`). */
const MAX_PREFETCH = 10_000;

export class JobDispatcher {
  readonly events = new JobEventEmitter();
  readonly config: JobConfig;
  readonly registry: JobRegistry;
  /** The keys payloads of `encrypted()` jobs are encrypted and decrypted with. */
  readonly keys: Keyring;
  /** The worker threads and child processes of isolated jobs (docs/isolation.md). */
  readonly isolation = new Isolation();
  private readonly defaults: JobDefaults;
  private readonly middleware: JobMiddleware[];
  private readonly dispatchHooks: DispatchHook[];
  private readonly workers = new Map<string, QueueWorker>();
  private driverPromise: Promise<QueueDriver> | undefined;
  private readonly source: DriverSource;
  private closed = false;
  private readonly scheduler = new Scheduler({
    driver: () => this.driver(),
    newId: () => nextUlid(),
    events: this.events,
  });

  constructor(driver: DriverSource, options: JobDispatcherOptions = {}) {
    this.source = driver;
    // The environment is validated and fills what the code leaves out; settings given in code win.
    this.config = { ...loadConfig(process.env, options.config), ...options.config };
    this.defaults = defaultsOf(this.config);
    // Validated here, at start-up: a bad key fails the process now, not the first encrypted job.
    this.keys = new Keyring(options.encryption ?? settingsFromEnv(process.env));
    this.registry = new JobRegistry(globalRegistry);
    if (options.jobs) this.registry.register(options.jobs);
    // Built in: scrub sensitive values from job errors; then the plugins (by default the
    // activity log), then the options' own middleware.
    this.middleware = [redactErrors];
    for (const plugin of options.plugins ?? defaultPlugins) plugin(this);
    this.middleware.push(...(options.middleware ?? []));
    this.dispatchHooks = [...(options.onDispatch ?? [])];
  }

  /** Listens to job and worker events. */
  on: JobEventEmitter['on'] = (event, listener) => {
    this.events.on(event, listener);
    return this.events;
  };

  /** Adds a wrapper around every job run by this dispatcher's workers. */
  use(middleware: JobMiddleware): this {
    this.middleware.push(middleware);
    return this;
  }

  /** Adds a hook that sees each job row before it is stored. */
  onDispatch(hook: DispatchHook): this {
    this.dispatchHooks.push(hook);
    return this;
  }

  /** Registers job classes (one, or a list) with this dispatcher only. */
  register(classes: JobClass | Iterable<JobClass>): this {
    this.registry.register(classes);
    return this;
  }

  /** The store, migrated on first use. */
  async driver(): Promise<QueueDriver> {
    if (this.closed)
      throw new JobwrightError('DISPATCHER_CLOSED', 'This dispatcher was closed: make a new one');
    this.driverPromise ??= (async () => {
      const driver = typeof this.source === 'function' ? await this.source() : this.source;
      await driver.migrate();
      return driver;
    })();
    try {
      return await this.driverPromise;
    } catch (error) {
      this.driverPromise = undefined;
      throw error;
    }
  }

  /** Queues a job (or runs it inline when `shouldQueue()` is false); resolves with its id. */
  async dispatch(job: Job, options: DispatchOptions = {}): Promise<string> {
    if (!job.shouldQueue()) return this.runInline(job);
    const row = this.prepare(job, options);
    const driver = await this.driver();
    const stored = idsOf(await driver.enqueue({ jobs: [row], tx: options.tx }), [row]);
    // A unique job whose id a live job holds: nothing stored, the live job's id comes back.
    if (stored[0] !== row.id) return stored[0]!;
    this.emitDispatched(row);
    return row.id;
  }

  /** The seed's name for `dispatch`. */
  dispatchJob(job: Job, options: DispatchOptions = {}): Promise<string> {
    return this.dispatch(job, options);
  }

  /** Queues many jobs in one round trip where the store allows; resolves with their ids in order. */
  async dispatchMany(jobs: Job[], options: DispatchOptions = {}): Promise<string[]> {
    const ids: string[] = new Array(jobs.length);
    const rows: NewJob[] = [];
    /** Where each row's id goes in `ids`. */
    const at: number[] = [];
    const inline: Array<[number, Job]> = [];
    jobs.forEach((job, i) => {
      if (!job.shouldQueue()) inline.push([i, job]);
      else {
        const row = this.prepare(job, options);
        rows.push(row);
        at.push(i);
        ids[i] = row.id;
      }
    });
    if (rows.length > 0) {
      const driver = await this.driver();
      const result = await driver.enqueue({ jobs: rows, tx: options.tx });
      // Only unique jobs can come back with another (live) job's id; then nothing was stored for them.
      const stored = result?.ids && result.ids.length === rows.length ? result.ids : null;
      rows.forEach((row, i) => {
        const id = stored ? stored[i]! : row.id;
        if (id === row.id) this.emitDispatched(row);
        else ids[at[i]!] = id;
      });
    }
    for (const [i, job] of inline) ids[i] = await this.runInline(job);
    return ids;
  }

  /**
   * Stores a chain: the first job now, each next one when the one before it completed. A
   * failure ends the chain. Resolves with every job's id once the chain is stored.
   */
  async chain(jobs: Job[], options: Omit<DispatchOptions, 'delay'> = {}): Promise<string[]> {
    if (jobs.length === 0) return [];
    const rows = this.prepareChain(jobs, options);
    const [first, ...rest] = rows;
    const meta: JobMeta = {
      ...(first!.meta ? (JSON.parse(first!.meta) as JobMeta) : {}),
      // Links are stored by the store's completion step, which keeps no unique key or group:
      // only the first job of a chain is unique or grouped (docs/flow-control.md).
      chain: rest.map(({ uniqueKey: _u, uniqueForMs: _f, group: _g, ...link }) => toLink(link)),
    };
    const head = { ...first!, meta: encodeMeta(meta) };
    const driver = await this.driver();
    const stored = idsOf(await driver.enqueue({ jobs: [head], tx: options.tx }), [head]);
    if (stored[0] !== head.id) throw uniqueTakenError(head.jobName, stored[0]!);
    this.emitDispatched(head);
    return rows.map((r) => r.id);
  }

  /**
   * Waits until job `id` is `completed` or `failed` (in any process) and resolves with its record.
   * Rejects with `WAIT_TIMEOUT` after `timeout` seconds, and with `JOB_NOT_FOUND` for an unknown id.
   */
  async waitFor(id: string, options: { timeout?: number } = {}): Promise<JobRecord> {
    const timeout = assertWaitTimeout(options.timeout);
    return waitForJob(id, timeout, (jobId) => this.find(jobId), this.events);
  }

  /**
   * Stores a batch and its jobs in one step. The callbacks (`then`, `catch`, `finally`) are jobs,
   * each dispatched exactly once, in the same store step as the outcome that makes it due.
   */
  async batch(jobs: Job[], options: BatchOptions = {}): Promise<BatchRecord> {
    assertBatchJobs(jobs);
    const batch = newBatch(nextUlid(), options, (job) => this.prepare(job, {}));
    const rows = jobs.map((job) => inBatch(this.prepare(job, {}), batch.id));
    assertNoUniqueMembers(rows);
    const driver = await this.driver();
    await driver.createBatch({ batch, jobs: rows });
    for (const row of rows) this.emitDispatched(row);
    const stored = await driver.findBatch({ id: batch.id });
    if (!stored)
      throw new NotFoundError('BATCH_NOT_FOUND', `Batch ${batch.id} was not found right after it was stored`);
    return toBatchRecord(stored);
  }

  /** Adds jobs to a batch that is still running (e.g. from one of its jobs, with `ctx.batchId`). */
  async addToBatch(batchId: string, jobs: Job[]): Promise<string[]> {
    assertBatchJobs(jobs);
    const rows = jobs.map((job) => inBatch(this.prepare(job, {}), batchId));
    assertNoUniqueMembers(rows);
    const driver = await this.driver();
    if (!(await driver.addToBatch({ id: batchId, jobs: rows }))) {
      throw new JobwrightError(
        'BATCH_NOT_RUNNING',
        `Batch ${batchId} is unknown, finished or cancelled: jobs can only be added to a running batch`,
      );
    }
    for (const row of rows) this.emitDispatched(row);
    return rows.map((r) => r.id);
  }

  async findBatch(id: string): Promise<BatchRecord | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
    const stored = await (await this.driver()).findBatch({ id });
    return stored ? toBatchRecord(stored) : null;
  }

  /** Cancels a running batch: its jobs that have not started do not run. False when unknown or finished. */
  async cancelBatch(id: string): Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return false;
    return (await this.driver()).cancelBatch({ id });
  }

  /** Batches, newest first. */
  async batches(options: { limit?: number; offset?: number } = {}): Promise<BatchRecord[]> {
    const limit = clamp(options.limit ?? 50, 1, 1000);
    const offset = clamp(options.offset ?? 0, 0, 1_000_000);
    return (await (await this.driver()).listBatches({ limit, offset })).map(toBatchRecord);
  }

  /**
   * Stores a recurring schedule (a known name is replaced). `cron` takes an optional seconds
   * field (croner syntax); ticks are read in `timezone` (UTC by default). Schedulers
   * (`startScheduler()`, `artisan schedule:work`) dispatch each tick once.
   */
  async schedule(name: string, cron: string, job: Job, options: ScheduleOptions = {}): Promise<void> {
    assertScheduleName(name);
    const checked = assertCron(cron, options.timezone);
    const { id: _id, ...spec } = specOf(this.prepare(job, {}));
    await (await this.driver()).saveSchedule({
      schedule: { name, ...checked, catchUp: options.catchUp === true, job: JSON.stringify(spec) },
    });
  }

  /** Removes a schedule; false when there was none of that name. */
  async unschedule(name: string): Promise<boolean> {
    return (await this.driver()).removeSchedule({ name });
  }

  /** The stored schedules with their next tick (from now). */
  async schedules(): Promise<ScheduleInfo[]> {
    const now = new Date();
    return (await (await this.driver()).schedules()).map((s) => scheduleInfo(s, now));
  }

  /** Runs a scheduler in this process (several processes may: each tick is dispatched once). */
  async startScheduler(): Promise<void> {
    await this.driver();
    this.scheduler.start();
  }

  async stopScheduler(): Promise<void> {
    await this.scheduler.stop();
  }

  /** Validates every job of a chain (none may run inline) and turns them into rows. */
  protected prepareChain(jobs: Job[], options: DispatchOptions): NewJob[] {
    return jobs.map((job) => {
      if (!job.shouldQueue()) {
        throw new InvalidJobError(
          'INLINE_JOB_IN_CHAIN',
          `${job.jobName()} runs inline (shouldQueue() is false) and cannot be part of a chain`,
        );
      }
      return this.prepare(job, options);
    });
  }

  /**
   * Starts `concurrency` concurrent slots working `queue` in this process. `prefetch` (default
   * `workerPrefetch`, 200) bounds the jobs it may hold ahead of its free slots while there is a
   * backlog: held jobs are leased but not charged an attempt until they start.
   */
  async startWorker(
    queueOrQueues: string | string[],
    concurrency = this.config.workerConcurrency,
    options: { prefetch?: number } = {},
  ): Promise<void> {
    const queues = Array.isArray(queueOrQueues) ? [...new Set(queueOrQueues)] : [queueOrQueues];
    if (queues.length === 0) {
      throw new InvalidJobError('INVALID_QUEUE_NAME', 'startWorker needs at least one queue name');
    }
    for (const name of queues) assertQueueName(name);
    // One pool over several queues in order: named by its list (SPEC decisions, ordered pools).
    const queue = poolName(queues);
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
      throw new InvalidJobError(
        'INVALID_CONCURRENCY',
        `Invalid concurrency ${concurrency}: use a whole number from 1 to 10000`,
      );
    }
    const prefetch = options.prefetch ?? this.config.workerPrefetch;
    if (!Number.isSafeInteger(prefetch) || prefetch < 0 || prefetch > MAX_PREFETCH) {
      throw new InvalidJobError(
        'INVALID_PREFETCH',
        `Invalid prefetch ${String(prefetch)}: use a whole number from 0 to ${MAX_PREFETCH} (jobs held ahead of the free slots; 0 turns it off)`,
      );
    }
    if (this.workers.has(queue)) {
      throw new JobwrightError(
        'WORKER_RUNNING',
        `A worker already runs queue '${queue}' in this dispatcher: stop it first`,
      );
    }
    const store = await this.driver();
    const driver = queues.length > 1 ? orderedQueuesView(store, queue, queues) : store;
    const leaseMs = (this.config.leaseSeconds + this.config.leaseGraceSeconds) * 1000;
    const worker = new QueueWorker(
      {
        queue,
        concurrency,
        workerId: `${queue}@${process.pid}-${randomUUID().slice(0, 8)}`,
        leaseMs,
        pollIntervalMs: Math.min(
          this.config.pollIntervalMs,
          driver.capabilities.maxIdlePollMs ?? Number.POSITIVE_INFINITY,
        ),
        recoverIntervalMs: Math.max(this.config.pollIntervalMs, Math.min(5000, leaseMs / 2)),
        // Pools over several queues hold nothing ahead (SPEC decisions).
        prefetch: queues.length > 1 ? 0 : prefetch,
      },
      this.runnerDeps(driver),
    );
    this.workers.set(queue, worker);
    try {
      await worker.start();
    } catch (error) {
      this.workers.delete(queue);
      await worker.stop(0).catch(() => {});
      throw error;
    }
  }

  /**
   * Stops the worker of `queue` gracefully, and every pool that works it among other queues;
   * resolves with how many unfinished jobs were put back.
   */
  async stopWorker(queue: string, options: { graceSeconds?: number } = {}): Promise<number> {
    const grace = assertSeconds(
      'graceSeconds',
      options.graceSeconds ?? this.config.shutdownGraceSeconds,
      2e6,
    );
    const names = [...this.workers.keys()].filter(
      (name) => name === queue || name.split(',').includes(queue),
    );
    if (names.length === 0) return 0;
    const stopping = names.map((name) => {
      const worker = this.workers.get(name)!;
      this.workers.delete(name);
      return worker.stop(grace * 1000);
    });
    const released = (await Promise.all(stopping)).reduce((a, b) => a + b, 0);
    if (this.workers.size === 0) await this.isolation.close();
    return released;
  }

  /** Queues that have a worker in this dispatcher. */
  runningQueues(): string[] {
    return [...this.workers.keys()];
  }

  /** Asks the workers to look for due work now rather than at their next poll. */
  wake(queue?: string): void {
    for (const [name, worker] of this.workers) {
      if (!queue || name === queue || name.split(',').includes(queue)) worker.wake();
    }
  }

  async stats(queue: string): Promise<QueueStats> {
    assertQueueName(queue);
    const driver = await this.driver();
    const [counts, workers] = await Promise.all([driver.counts({ queue }), driver.workers()]);
    return statsOf(queue, counts, workers);
  }

  /** Stats of every queue the store knows of. */
  async allStats(): Promise<QueueStats[]> {
    const driver = await this.driver();
    const [counts, workers] = await Promise.all([driver.counts({}), driver.workers()]);
    const names = new Set([...counts.map((c) => c.queueName), ...workers.flatMap((w) => w.queues)]);
    return [...names].sort().map((queueName) => statsOf(queueName, counts, workers));
  }

  async find(id: string): Promise<JobRecord | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
    const row = await (await this.driver()).find({ id });
    return row ? toRecord(row, this.keys) : null;
  }

  async failedJobs(options: { queue?: string; limit?: number; offset?: number } = {}): Promise<JobRecord[]> {
    return (await this.jobs({ ...options, status: 'failed', limit: options.limit ?? 1000 })).jobs;
  }

  /** Lists jobs by queue, status and text, newest first; for the CLI and the dashboard. */
  async jobs(options: ListJobsOptions = {}): Promise<{ jobs: JobRecord[]; total: number }> {
    if (options.queue !== undefined) assertQueueName(options.queue);
    const limit = clamp(options.limit ?? 50, 1, 1000);
    const offset = clamp(options.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const result = await (await this.driver()).list({
      queue: options.queue,
      status: options.status,
      search: options.search?.slice(0, 200) || undefined,
      limit,
      offset,
      order: options.order,
    });
    return { jobs: result.jobs.map((row) => toRecord(row, this.keys)), total: result.total };
  }

  /** Retries one failed job by id, or all failed jobs (of one queue); resolves with how many. */
  async retryFailed(idOrAll: string | string[], options: { queue?: string } = {}): Promise<number> {
    if (options.queue !== undefined) assertQueueName(options.queue);
    const ids = idOrAll === 'all' ? 'all' : Array.isArray(idOrAll) ? idOrAll : [idOrAll];
    const count = await (await this.driver()).retryFailed({ ids, queue: options.queue });
    this.wake(options.queue);
    return count;
  }

  /** Deletes failed jobs: all of them (of one queue), or only those of `ids`; resolves with how many. */
  async clearFailed(options: { queue?: string; ids?: string[] } = {}): Promise<number> {
    if (options.queue !== undefined) assertQueueName(options.queue);
    const { ids } = options;
    if (ids !== undefined) {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id.length > 64)) {
        throw new InvalidJobError(
          'INVALID_JOB_IDS',
          'ids must be an array of job ids (strings of at most 64 characters)',
        );
      }
      // An empty list means "none", never "all": the driver treats a missing list as every failed job.
      if (ids.length === 0) return 0;
    }
    return (await this.driver()).clearFailed({ queue: options.queue, ids });
  }

  /** Deletes one failed job (Laravel's queue:forget); false when no failed job has that id. */
  async forgetFailed(id: string): Promise<boolean> {
    return (await this.clearFailed({ ids: [id] })) > 0;
  }

  /** Removes finished jobs older than `olderThanSeconds`. */
  async prune(options: {
    olderThanSeconds: number;
    statuses?: Array<'completed' | 'failed'>;
    queue?: string;
  }): Promise<number> {
    assertSeconds('olderThanSeconds', options.olderThanSeconds, 100 * 365 * 24 * 3600);
    if (options.queue !== undefined) assertQueueName(options.queue);
    return (await this.driver()).prune({
      olderThanMs: options.olderThanSeconds * 1000,
      statuses: options.statuses ?? ['completed', 'failed'],
      queue: options.queue,
    });
  }

  /** Live workers across every process on this store. */
  async liveWorkers(): Promise<WorkerInfo[]> {
    return (await this.driver()).workers();
  }

  async activity(options: { jobId?: string; limit?: number } = {}): Promise<ActivityEntry[]> {
    return (await this.driver()).activity({
      jobId: options.jobId,
      limit: clamp(options.limit ?? 50, 1, 1000),
    });
  }

  async throughput(options: { queue?: string; minutes?: number } = {}): Promise<ThroughputBucket[]> {
    return (await this.driver()).throughput({
      queue: options.queue,
      minutes: clamp(options.minutes ?? 60, 1, 24 * 60),
    });
  }

  /**
   * Cancels a job: a pending, delayed or retrying one never runs (it is `failed`, "Cancelled");
   * a running one has its `ctx.signal` aborted on whichever machine runs it, within a second,
   * and ends `failed`. `failed()` does not run; `retryFailed` can revive it. False for an
   * unknown, completed or failed job.
   */
  async cancel(id: string): Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return false;
    return (await this.driver()).cancel({ id, reason: `${CANCELLED} by dispatcher.cancel()` });
  }

  /**
   * Sets limits every process and machine on this store obeys: `concurrency` (running at once),
   * `rate` ({ max, perSeconds } starts), and the same per `Job.group()` with `groupConcurrency`
   * and `groupRate`. Merges the keys given; `null` clears one. Resolves with the queue's limits.
   */
  async setQueueLimits(queue: string, limits: QueueLimitsInput): Promise<QueueLimits> {
    assertQueueName(queue);
    const driver = await this.driver();
    const merged = mergeLimits(await driver.queueLimits({ queue }), limits);
    await driver.setQueueLimits({ queue, limits: merged });
    this.wake(queue);
    return merged;
  }

  /** Every limit of `queue`, `null` where unset. */
  async queueLimits(queue: string): Promise<QueueLimits> {
    assertQueueName(queue);
    return { ...NO_LIMITS, ...(await (await this.driver()).queueLimits({ queue })) };
  }

  async pause(queue: string): Promise<void> {
    assertQueueName(queue);
    const driver = await this.driver();
    if (!driver.pauseQueue) throw unsupported(driver, 'pausing queues');
    await driver.pauseQueue({ queue });
  }

  async resume(queue: string): Promise<void> {
    assertQueueName(queue);
    const driver = await this.driver();
    if (!driver.resumeQueue) throw unsupported(driver, 'pausing queues');
    await driver.resumeQueue({ queue });
    this.wake(queue);
  }

  async pausedQueues(): Promise<string[]> {
    const driver = await this.driver();
    return driver.pausedQueues ? driver.pausedQueues() : [];
  }

  /** Stops every worker gracefully, then closes the store connection. */
  async close(options: { graceSeconds?: number } = {}): Promise<void> {
    if (this.closed) return;
    await this.scheduler.stop();
    await Promise.all([...this.workers.keys()].map((queue) => this.stopWorker(queue, options)));
    await this.isolation.close();
    this.closed = true;
    if (this.driverPromise) {
      const driver = await this.driverPromise.catch(() => null);
      await driver?.close();
    }
  }

  /** Validates a job and turns it into a row to store; throws before anything is stored. */
  protected prepare(job: Job, options: DispatchOptions): NewJob {
    assertNoHiddenMethods(job);
    const jobName = job.jobName();
    // Workers of this dispatcher run what it dispatches: the name must find this very class.
    this.registry.claim(jobName, job.constructor as JobClass);
    const settings = resolveJobSettings(job, this.defaults);
    const queueName = assertQueueName(options.queue ?? settings.queueName);
    const priority = assertPriority(options.priority ?? job.priority());
    const maxAttempts = assertMaxAttempts(settings.maxAttempts);
    const timeoutSeconds = assertTimeout(settings.timeout);
    isolationOf(job);
    const delay = options.delay === undefined ? 0 : assertDelay(options.delay);
    const availableAt = options.delay === undefined ? assertAvailableAt(jobName, job.availableAt()) : null;
    const row: NewJob = {
      id: nextUlid(),
      queueName,
      jobName,
      // The sensitive names go with the payload so readers redact without the class.
      payload: encodePayload(job.serialize(), this.config.maxPayloadBytes, {
        jobName,
        sensitive: sensitiveFieldsOf(job),
        encrypt: job.encrypted?.() === true,
        keys: this.keys,
      }),
      maxAttempts,
      priority,
      timeoutSeconds,
      delayMs: delay * 1000,
      availableAt,
      meta: null,
    };
    addFlowFields(row, job);
    for (const hook of this.dispatchHooks) hook(row, job);
    return row;
  }

  private emitDispatched(row: NewJob): void {
    // A worker of this dispatcher on that queue takes the job now, whatever the store's wake-ups.
    if (row.delayMs === 0 && row.availableAt === null) this.wake(row.queueName);
    if (!this.events.hasListeners('job:dispatched')) return;
    this.events.emit('job:dispatched', {
      jobId: row.id,
      jobName: row.jobName,
      queueName: row.queueName,
      attempt: 0,
      maxAttempts: row.maxAttempts,
      delayMs: row.availableAt ? Math.max(0, row.availableAt.getTime() - Date.now()) : row.delayMs,
    });
  }

  /** Runs a job that should not be queued, now, through the same middleware and timeout. */
  private async runInline(job: Job): Promise<string> {
    const id = nextUlid();
    const settings = resolveJobSettings(job, this.defaults);
    const record = inlineRecord(id, job, settings.queueName, assertTimeout(settings.timeout));
    const error = await runAttempt(this.middleware, job, record, { interrupt: () => {} }, this.isolation);
    if (error) {
      await job.failed(error);
      throw error;
    }
    return id;
  }

  private runnerDeps(driver: QueueDriver): RunnerDeps {
    return {
      driver,
      registry: this.registry,
      events: this.events,
      defaults: this.defaults,
      middleware: this.middleware,
      keys: this.keys,
      isolation: this.isolation,
      resultLimitBytes: this.config.maxPayloadBytes,
    };
  }
}

/** The ids `enqueue` reports (a unique job may get a live job's id), or the rows' own. */
function idsOf(result: EnqueueResult | undefined, rows: NewJob[]): string[] {
  return result?.ids && result.ids.length === rows.length ? result.ids : rows.map((row) => row.id);
}

function inlineRecord(id: string, job: Job, queueName: string, timeout: number | null): StoredJob {
  const now = new Date();
  return {
    id,
    queueName,
    jobName: job.jobName(),
    payload: '{}',
    attempts: 1,
    maxAttempts: 1,
    status: 'processing',
    priority: job.priority(),
    availableAt: now,
    reservedAt: now,
    processedAt: null,
    failedAt: null,
    errorMessage: null,
    timeoutSeconds: timeout,
    createdAt: now,
    updatedAt: now,
    meta: null,
  };
}

function statsOf(queueName: string, counts: QueueCounts[], workers: WorkerInfo[]): QueueStats {
  const c = counts.find((q) => q.queueName === queueName);
  return {
    queueName,
    pendingJobs: c?.pendingJobs ?? 0,
    processingJobs: c?.processingJobs ?? 0,
    retryingJobs: c?.retryingJobs ?? 0,
    completedJobs: c?.completedJobs ?? 0,
    failedJobs: c?.failedJobs ?? 0,
    oldestPendingMs: c?.oldestPendingMs ?? null,
    workersCount: workers
      .filter((w) => w.queues.includes(queueName))
      .reduce((sum, w) => sum + w.concurrency, 0),
  };
}

function clamp(value: number, min: number, max: number): number {
  const n = Number.isFinite(value) ? Math.trunc(value) : min;
  return Math.min(max, Math.max(min, n));
}

function unsupported(driver: QueueDriver, what: string): JobwrightError {
  return new JobwrightError('UNSUPPORTED', `The ${driver.name} driver does not support ${what}`);
}

/**
 * A stored row as users see it: the payload parsed and decrypted (`[encrypted]` without its
 * key, the raw text when it is damaged), with the sensitive names recorded at dispatch.
 */
export function toRecord(row: StoredJob, keys?: Keyring): JobRecord {
  const { meta: _meta, progress, result, ...stored } = row;
  const rest = {
    ...stored,
    progress: storedJson(progress) as JobProgress | null,
    result: storedJson(result),
  };
  try {
    const opened = openPayload(row.payload, keys, 'view');
    return opened.sensitive.length > 0
      ? { ...rest, payload: opened.payload, sensitiveFields: opened.sensitive }
      : { ...rest, payload: opened.payload };
  } catch {
    return { ...rest, payload: row.payload };
  }
}

/** A stored progress or result text as a value; null when absent or damaged. */
function storedJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return decodePayload(text);
  } catch {
    return null;
  }
}
