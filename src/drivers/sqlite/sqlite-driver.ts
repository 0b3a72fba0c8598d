import type { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigError, JobwrightError, StoreError, type StoreLostError } from '../../errors.js';
import type { JobDataParams, NewBatch, StoredBatch, StoredSchedule } from '../composition.js';
import type {
  ActivityEntry,
  ClearFailedParams,
  DriverCapabilities,
  EnqueueParams,
  HeartbeatParams,
  HeartbeatResult,
  ListParams,
  ListResult,
  NewActivityEntry,
  NewJob,
  Outcome,
  OutcomeResult,
  PruneParams,
  QueueCounts,
  QueueDriver,
  QueueFilter,
  RecoverParams,
  RecoverResult,
  RegisterWorkerParams,
  ReservedJob,
  ReserveParams,
  RetryFailedParams,
  SettleAndStartParams,
  SettleAndStartResult,
  SettleParams,
  StartParams,
  StartResult,
  StoredJob,
  ThroughputBucket,
  WakeListener,
  WorkerInfo,
} from '../contract.js';
import type { CounterHit, CounterParams, EnqueueResult, LockParams, QueueLimits } from '../flow-contract.js';
import type { AttemptRecord, MetricCell, MetricPoint, MetricQuery, RunningJob } from '../insights.js';
import { byPriorityThenId } from '../reserve-order.js';
import { SqliteComposition } from './composition-store.js';
import { FileIdentity, IDENTITY_CHECK_MS } from './file-identity.js';
import { GroupCommit } from './group-commit.js';
import {
  installRecorder,
  readAttempts,
  readMetricCells,
  readMetricTimeline,
  readRunning,
} from './history.js';
import { appliedMigrations, runMigrations } from './migrations.js';
import { isDatabase, openDatabase, type SqliteDatabase, translateOpenError } from './open-database.js';
import * as q from './queries.js';
import { countJobs, listJobs, type SqliteReader, throughputBuckets } from './reads.js';
import {
  type ActivityRow,
  insertParams,
  type JobRow,
  toActivityEntry,
  toReservedJob,
  toStoredJob,
  toWorkerInfo,
  type WorkerRow,
} from './rows.js';
import { SqliteFlow } from './sqlite-flow.js';
import { closeHub, openHub } from './wake-hub.js';
import { SqliteWakeups, type WatchFunction } from './wakeups.js';

export interface SqliteQueueDriverOptions {
  /** How long a write waits for another process's lock before failing; default 5000 ms. */
  busyTimeoutMs?: number;
  /** `NORMAL` (default) survives a process crash; `FULL` also a power loss, at a cost per commit. */
  synchronous?: 'NORMAL' | 'FULL';
  /** The store's clock in ms. Every process on one file shares the host clock; tests inject one. */
  clock?: () => number;
  /**
   * Longest idle poll of a worker on this store (ms, 5 to 3,600,000; default 50). Wake-ups bring
   * new jobs from other processes at once; the poll finds delayed jobs that fall due and is
   * the safety net where file watching does not work.
   */
  idlePollMs?: number;
  /** Watch for other processes' dispatches (default true); false leaves them to the poll. */
  crossProcessWakeups?: boolean;
  /** The fs.watch to use (tests give one that never fires, as on a file system without events). */
  watch?: WatchFunction;
  /** Record attempt history and metrics (default true): a trigger on this connection. */
  history?: boolean;
}

const MAX_IDLE_POLL_MS = 3_600_000;

const PRUNE_BATCH = 1000;

/**
 * Keeps jobs in one SQLite file (WAL mode), shared by every process on the machine that opens
 * it. SQLite has one writer at a time: each reservation and transition is one short
 * BEGIN IMMEDIATE transaction, so processes queue up on the write lock (busy_timeout) instead
 * of failing, and no two of them can reserve the same row.
 */
export class SqliteQueueDriver implements QueueDriver {
  readonly name = 'sqlite';
  readonly capabilities: DriverCapabilities = {
    durable: true,
    multiProcess: true,
    // Through a watched folder of per-queue files (wakeups.ts); polling stays the truth.
    crossProcessWakeups: true,
    transactionalEnqueue: false,
    pause: true,
    // An idle look for due work is a read without the write lock: cheap enough to do often, and
    // it brings dispatch-to-start from another process down from the 1 s default poll.
    maxIdlePollMs: 50,
  };
  /** The store file (`:memory:` for an in-memory database). */
  readonly file: string;

  private readonly db: SqliteDatabase;
  private readonly ownsDatabase: boolean;
  private readonly clock: () => number;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly transaction: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;
  private readonly wakeups: EventEmitter;
  private readonly commits: GroupCommit;
  private readonly busyTimeoutMs: number;
  private readonly reader: SqliteReader;
  private readonly listeners = new Set<WakeListener>();
  private readonly crossProcess: SqliteWakeups | null;
  private readonly identity: FileIdentity | null;
  private readonly identityTimer: NodeJS.Timeout | undefined;
  /** Set once the file was deleted or replaced under this driver: every later call fails with it. */
  private lost: StoreLostError | null = null;
  /** Queues of the workers registered through this driver, to wake when the file is lost. */
  private readonly workerQueues = new Set<string>();
  private migrated = false;
  private readonly history: boolean;
  private closed = false;
  private readonly composition = new SqliteComposition({
    stmt: (sql) => this.stmt(sql),
    now: () => this.now(),
    commit: (fn) => this.commit(fn),
    read: (fn) => this.read(fn),
    insertJobs: (jobs, now) => this.insertJobs(jobs, now),
    wake: (queue) => this.wake(queue),
  });
  private readonly flow = new SqliteFlow({ stmt: (sql) => this.stmt(sql), now: () => this.now() });

  /**
   * @param fileOrDatabase a file path (its folder is created) or a better-sqlite3 Database you
   *   opened; a Database you pass stays yours and `close()` leaves it open.
   */
  constructor(fileOrDatabase: string | SqliteDatabase, options: SqliteQueueDriverOptions = {}) {
    this.ownsDatabase = !isDatabase(fileOrDatabase);
    this.busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    this.db = openDatabase(fileOrDatabase, {
      busyTimeoutMs: this.busyTimeoutMs,
      synchronous: options.synchronous ?? 'NORMAL',
    });
    this.file = this.db.memory ? ':memory:' : resolve(this.db.name);
    this.clock = options.clock ?? Date.now;
    this.history = options.history !== false;
    this.transaction = this.db.transaction((fn: () => unknown) => fn());
    this.commits = new GroupCommit(
      (body, wait) => this.immediate(body, wait),
      // Called inside the open transaction, better-sqlite3 makes this a savepoint.
      (write) => this.transaction(write),
      (error) => this.translateError(error),
      this.busyTimeoutMs,
    );
    this.reader = {
      stmt: (sql) => this.stmt(sql),
      now: () => this.now(),
      read: (fn) => this.read(fn),
    };
    this.wakeups = openHub(this.hubKey());
    this.capabilities.maxIdlePollMs = idlePollOf(options.idlePollMs);
    const fileBacked = !this.db.memory;
    this.crossProcess =
      fileBacked && options.crossProcessWakeups !== false
        ? new SqliteWakeups(this.file, this.wakeups, options.watch)
        : null;
    this.identity = fileBacked ? FileIdentity.of(this.file) : null;
    if (this.identity) {
      this.identityTimer = setInterval(() => this.checkIdentity(), IDENTITY_CHECK_MS);
      this.identityTimer.unref();
    }
  }

  /** Whether other processes' dispatches wake this process's workers ('watching') or only the poll finds them. */
  wakeupMode(): Promise<'starting' | 'watching' | 'polling'> {
    return this.crossProcess?.ready() ?? Promise.resolve('polling');
  }

  /** The underlying better-sqlite3 connection (read-only use: inspection, tests). */
  get database(): SqliteDatabase {
    return this.db;
  }

  async migrate(): Promise<void> {
    this.ensureMigrated();
  }

  /** Migrations recorded in the file (for `artisan migrate`). */
  async migrations(): Promise<Array<{ version: number; name: string; appliedAt: Date }>> {
    this.ensureMigrated();
    return appliedMigrations(this.db);
  }

  async enqueue({ jobs, tx }: EnqueueParams): Promise<EnqueueResult | undefined> {
    if (tx !== undefined && tx !== null) {
      throw new JobwrightError(
        'UNSUPPORTED',
        'The sqlite driver cannot enqueue inside a caller transaction (capabilities.transactionalEnqueue is false)',
      );
    }
    if (jobs.length === 0) return;
    const { due, ids } = await this.commit(() => this.insertJobs(jobs, this.now()));
    for (const queue of due) this.wake(queue);
    return ids ? { ids } : undefined;
  }

  /**
   * Stores jobs inside the open transaction. Unique or grouped jobs take the flow path; `ids`
   * (only when there were some) are the ids it reports in place of the rows' own.
   */
  private insertJobs(jobs: NewJob[], now: number): { due: Set<string>; ids: string[] | undefined } {
    const due = new Set<string>();
    const insert = this.stmt(q.INSERT_JOB);
    let ids: string[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const availableAt = availableAtOf(job, now);
      if (job.uniqueKey || job.group) {
        ids ??= jobs.map((j) => j.id);
        ids[i] = this.flow.insert(job, availableAt, now);
        if (ids[i] === job.id && availableAt <= now) due.add(job.queueName);
        continue;
      }
      if (availableAt <= now) due.add(job.queueName);
      insert.run(insertParams(job, availableAt, now));
    }
    return { due, ids };
  }

  async reserve({ queue, limit, leaseMs, workerId, start }: ReserveParams): Promise<ReservedJob[]> {
    if (limit <= 0) return [];
    this.ensureMigrated();
    // Idle polls read without the write lock; only a worker that sees due work queues up for it.
    if (!this.guard(() => this.stmt(q.PEEK_DUE).get({ queue, now: this.now() }))) return [];
    const startNow = Math.min(limit, start ?? limit);
    const rows = await this.commit(() => {
      const now = this.now();
      const leaseExpiresAt = now + Math.round(leaseMs);
      const limits = this.flow.limitsOf(queue);
      if (limits) return this.flow.reserveLimited(queue, limits, startNow, leaseExpiresAt, workerId, now);
      const picked = this.stmt(q.RESERVE).all({
        queue,
        now,
        limit: Math.trunc(limit),
        leaseExpiresAt,
        workerId,
      }) as JobRow[];
      // RETURNING gives no order: the first ones in (priority, id) order start now.
      picked.sort(byPriorityThenId);
      const charge = this.stmt(q.START);
      for (const row of picked.slice(0, startNow)) {
        charge.run({ id: row.id, leaseToken: row.lease_token, now, leaseExpiresAt });
        row.attempts += 1;
        row.reserved_at = now;
      }
      return picked;
    });
    return rows.map(toReservedJob);
  }

  async start({ leases, leaseMs }: StartParams): Promise<StartResult> {
    if (leases.length === 0) return { lost: [] };
    const { lost } = await this.settleAndStart({ outcomes: [], start: leases, leaseMs });
    return { lost };
  }

  async settle({ outcomes }: SettleParams): Promise<OutcomeResult[]> {
    if (outcomes.length === 0) return [];
    return (await this.settleAndStart({ outcomes, start: [], leaseMs: 0 })).outcomes;
  }

  /**
   * Writes every outcome and starts the held jobs in one transaction, each outcome in its own
   * savepoint: a job whose write SQLite refuses is rolled back and reported alone, and the
   * others still commit.
   */
  async settleAndStart({ outcomes, start, leaseMs }: SettleAndStartParams): Promise<SettleAndStartResult> {
    const woken = new Set<string>();
    const result = await this.commit((): SettleAndStartResult => {
      const now = this.now();
      const results = outcomes.map((outcome): OutcomeResult => {
        try {
          return this.transaction(() => this.settleOne(outcome, now, woken)) as OutcomeResult;
        } catch (cause) {
          const code = (cause as { code?: string }).code ?? '';
          if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
            throw cause;
          }
          return { status: 'refused', reason: (cause as Error).message };
        }
      });
      const leaseExpiresAt = now + Math.round(leaseMs);
      const charge = this.stmt(q.START);
      const lost: string[] = [];
      for (const { id, leaseToken } of start) {
        if (charge.run({ id, leaseToken, now, leaseExpiresAt }).changes === 0) lost.push(id);
      }
      return { outcomes: results, lost };
    });
    for (const queue of woken) this.wake(queue);
    return result;
  }

  async countDue({ queue, limit }: { queue: string; limit: number }): Promise<number> {
    this.ensureMigrated();
    return this.guard(
      () =>
        this.stmt(q.COUNT_DUE)
          .pluck()
          .get({ queue, now: this.now(), limit: Math.trunc(limit) }) as number,
    );
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    if (leases.length === 0) return { lost: [] };
    return this.commit(() => {
      const leaseExpiresAt = this.now() + Math.round(leaseMs);
      const renew = this.stmt(q.HEARTBEAT);
      const lost: string[] = [];
      for (const { id, leaseToken } of leases) {
        if (renew.run({ id, leaseToken, leaseExpiresAt }).changes === 0) lost.push(id);
      }
      return { lost };
    });
  }

  async recoverExpired({ queue, limit }: RecoverParams): Promise<RecoverResult> {
    const rows = await this.commit(
      () => this.stmt(q.byQueue(q.RECOVER_EXPIRED, queue)).all({ now: this.now(), queue, limit }) as JobRow[],
    );
    const result: RecoverResult = { requeued: [], failed: [] };
    const woken = new Set<string>();
    for (const row of rows) {
      if (row.status === 'failed') result.failed.push(toStoredJob(row));
      else {
        result.requeued.push(row.id);
        woken.add(row.queue_name);
      }
    }
    for (const name of woken) this.wake(name);
    return result;
  }

  async runningJobs({ limit }: { limit: number }): Promise<RunningJob[]> {
    this.ensureMigrated();
    return this.guard(() => readRunning(this.reader, limit));
  }

  async attemptHistory({ id, limit }: { id: string; limit: number }): Promise<AttemptRecord[]> {
    this.ensureMigrated();
    return this.guard(() => readAttempts(this.reader, id, limit));
  }

  async metricCells(query: MetricQuery): Promise<MetricCell[]> {
    this.ensureMigrated();
    return this.guard(() => readMetricCells(this.reader, query));
  }

  async metricTimeline(query: MetricQuery): Promise<MetricPoint[]> {
    this.ensureMigrated();
    return this.guard(() => readMetricTimeline(this.reader, query));
  }

  async find({ id }: { id: string }): Promise<StoredJob | null> {
    this.ensureMigrated();
    const row = this.guard(
      () => this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as (JobRow & JobDataColumns) | undefined,
    );
    return row ? { ...toStoredJob(row), progress: row.progress, result: row.result } : null;
  }

  // Progress, results, batches and schedules: composition-store.ts.
  saveJobData(params: JobDataParams): Promise<boolean> {
    return this.composition.saveJobData(params);
  }

  createBatch({ batch, jobs }: { batch: NewBatch; jobs: NewJob[] }): Promise<void> {
    return this.composition.createBatch(batch, jobs);
  }

  addToBatch({ id, jobs }: { id: string; jobs: NewJob[] }): Promise<boolean> {
    return this.composition.addToBatch(id, jobs);
  }

  async findBatch({ id }: { id: string }): Promise<StoredBatch | null> {
    this.ensureMigrated();
    return this.composition.findBatch(id);
  }

  cancelBatch({ id }: { id: string }): Promise<boolean> {
    return this.composition.cancelBatch(id);
  }

  async listBatches({ limit, offset }: { limit: number; offset: number }): Promise<StoredBatch[]> {
    this.ensureMigrated();
    return this.composition.listBatches(limit, offset);
  }

  saveSchedule({ schedule }: { schedule: Omit<StoredSchedule, 'lastTick'> }): Promise<void> {
    return this.composition.saveSchedule(schedule);
  }

  removeSchedule({ name }: { name: string }): Promise<boolean> {
    return this.composition.removeSchedule(name);
  }

  async schedules(): Promise<StoredSchedule[]> {
    this.ensureMigrated();
    return this.composition.schedules();
  }

  claimTick({ name, tick, job }: { name: string; tick: Date; job: NewJob }): Promise<boolean> {
    return this.composition.claimTick(name, tick, job);
  }

  async list(params: ListParams): Promise<ListResult> {
    this.ensureMigrated();
    return listJobs(this.reader, params);
  }

  async retryFailed({ ids, queue }: RetryFailedParams): Promise<number> {
    const queues = this.write(() => {
      const now = this.now();
      if (ids === 'all') {
        return this.stmt(q.byQueue(q.RETRY_FAILED_ALL, queue)).pluck().all({ queue, now }) as string[];
      }
      const one = this.stmt(q.byQueue(q.RETRY_FAILED_ONE, queue)).pluck();
      const names: string[] = [];
      for (const id of new Set(ids)) {
        const name = one.get({ id, queue, now }) as string | undefined;
        if (name !== undefined) names.push(name);
      }
      return names;
    });
    for (const name of new Set(queues)) this.wake(name);
    return queues.length;
  }

  async clearFailed({ queue, ids }: ClearFailedParams): Promise<number> {
    if (ids === undefined) {
      return this.write(() => this.stmt(q.byQueue(q.CLEAR_FAILED, queue)).run({ queue }).changes);
    }
    return this.write(() => {
      const one = this.stmt(q.byQueue(q.CLEAR_FAILED_ONE, queue));
      let removed = 0;
      for (const id of new Set(ids)) removed += one.run({ id, queue }).changes;
      return removed;
    });
  }

  async prune({ statuses, olderThanMs, queue }: PruneParams): Promise<number> {
    const kinds = statuses.filter((s) => s === 'completed' || s === 'failed');
    if (kinds.length === 0) return 0;
    const sql = `DELETE FROM jobs WHERE id IN (
      SELECT id FROM jobs
      WHERE status IN (${kinds.map((s) => `'${s}'`).join(', ')})
        AND coalesce(processed_at, failed_at, updated_at) < @cutoff AND (@queue IS NULL OR queue_name = @queue)
      LIMIT ${PRUNE_BATCH})`;
    const cutoff = this.now() - olderThanMs;
    let removed = 0;
    // Small batches, each its own transaction: a big prune never holds the write lock for long.
    for (;;) {
      const changes = this.write(() => this.stmt(q.byQueue(sql, queue)).run({ cutoff, queue }).changes);
      removed += changes;
      if (changes < PRUNE_BATCH) return removed;
    }
  }

  async counts({ queue }: QueueFilter): Promise<QueueCounts[]> {
    this.ensureMigrated();
    return countJobs(this.reader, queue);
  }

  async registerWorker(params: RegisterWorkerParams): Promise<void> {
    for (const queue of params.queues) this.workerQueues.add(queue);
    await this.commit(() => {
      const now = this.now();
      this.stmt(q.DROP_LAPSED_WORKERS).run({ now });
      this.stmt(q.REGISTER_WORKER).run({
        workerId: params.workerId,
        host: params.host,
        pid: params.pid,
        queues: JSON.stringify(params.queues),
        concurrency: params.concurrency,
        now,
        expiresAt: now + Math.round(params.ttlMs),
        jobsDone: params.jobsDone,
        held: params.held ?? 0,
      });
    });
  }

  async unregisterWorker({ workerId }: { workerId: string }): Promise<void> {
    this.write(() => this.stmt('DELETE FROM job_workers WHERE worker_id = ?').run(workerId));
  }

  async workers(): Promise<WorkerInfo[]> {
    this.ensureMigrated();
    const rows = this.guard(() => this.stmt(q.LIVE_WORKERS).all({ now: this.now() }) as WorkerRow[]);
    return rows.map(toWorkerInfo);
  }

  async logActivity({ entries }: { entries: NewActivityEntry[] }): Promise<void> {
    if (entries.length === 0) return;
    await this.commit(() => {
      const createdAt = this.now();
      const insert = this.stmt(q.INSERT_ACTIVITY);
      for (const e of entries) insert.run({ ...e, createdAt });
    });
  }

  async activity({ jobId, limit }: { jobId?: string; limit: number }): Promise<ActivityEntry[]> {
    this.ensureMigrated();
    const rows = this.guard(() =>
      jobId === undefined
        ? this.stmt('SELECT * FROM activity_log ORDER BY rowid DESC LIMIT ?').all(limit)
        : this.stmt('SELECT * FROM activity_log WHERE job_id = ? ORDER BY rowid DESC LIMIT ?').all(
            jobId,
            limit,
          ),
    ) as ActivityRow[];
    return rows.map(toActivityEntry);
  }

  async throughput({ queue, minutes }: { queue?: string; minutes: number }): Promise<ThroughputBucket[]> {
    this.ensureMigrated();
    return throughputBuckets(this.reader, queue, minutes);
  }

  async cancel({ id, reason }: { id: string; reason: string }): Promise<boolean> {
    return this.commit(() => this.flow.cancel(id, reason, this.now()));
  }

  async cancelRequested({
    leases,
  }: {
    leases: Array<{ id: string; leaseToken: string }>;
  }): Promise<string[]> {
    this.ensureMigrated();
    return this.guard(() => this.flow.cancelRequested(leases));
  }

  async setQueueLimits({ queue, limits }: { queue: string; limits: QueueLimits }): Promise<void> {
    await this.commit(() => this.flow.setLimits(queue, limits, this.now()));
    this.wake(queue);
  }

  async queueLimits({ queue }: { queue: string }): Promise<QueueLimits> {
    this.ensureMigrated();
    return this.guard(() => this.flow.limits(queue));
  }

  async limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>> {
    this.ensureMigrated();
    return this.guard(() => this.flow.limitedQueues());
  }

  async acquireLock({ key, owner, ttlMs }: LockParams & { ttlMs: number }): Promise<boolean> {
    return this.commit(() => this.flow.acquireLock(key, owner, ttlMs, this.now()));
  }

  async releaseLock({ key, owner }: LockParams): Promise<void> {
    await this.commit(() => this.flow.releaseLock(key, owner));
  }

  async hitCounter({ key, windowMs, max }: CounterParams): Promise<CounterHit> {
    return this.commit(() => this.flow.hit(key, windowMs, max, this.now()));
  }

  async clearCounter({ key }: { key: string }): Promise<void> {
    await this.commit(() => this.flow.clear(key));
  }

  async pauseQueue({ queue }: { queue: string }): Promise<void> {
    this.write(() =>
      this.stmt('INSERT OR IGNORE INTO job_paused_queues (queue_name, paused_at) VALUES (?, ?)').run(
        queue,
        this.now(),
      ),
    );
  }

  async resumeQueue({ queue }: { queue: string }): Promise<void> {
    this.write(() => this.stmt('DELETE FROM job_paused_queues WHERE queue_name = ?').run(queue));
    this.wake(queue);
  }

  async pausedQueues(): Promise<string[]> {
    this.ensureMigrated();
    return this.guard(
      () =>
        this.stmt('SELECT queue_name FROM job_paused_queues ORDER BY queue_name').pluck().all() as string[],
    );
  }

  async subscribe(listener: WakeListener): Promise<() => void> {
    this.assertUsable();
    this.wakeups.on('wake', listener);
    this.listeners.add(listener);
    const unwatch = this.crossProcess?.listen();
    return () => {
      this.wakeups.off('wake', listener);
      this.listeners.delete(listener);
      unwatch?.();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already asked for still commit; later calls fail with STORE_CLOSED.
    this.commits.flush(true);
    this.closed = true;
    clearInterval(this.identityTimer);
    this.crossProcess?.close();
    for (const listener of this.listeners) this.wakeups.off('wake', listener);
    this.listeners.clear();
    closeHub(this.hubKey());
    this.statements.clear();
    if (this.ownsDatabase && this.db.open) {
      this.db.pragma('optimize');
      this.db.close();
    }
  }

  /** One fenced outcome, inside the settle transaction; notes the queues to wake. */
  private settleOne(outcome: Outcome, now: number, woken: Set<string>): OutcomeResult {
    const lease = { id: outcome.id, leaseToken: outcome.leaseToken, now };
    if (outcome.kind === 'complete') {
      if (this.stmt(q.COMPLETE).run(lease).changes === 0) return { status: 'lost' };
      // The next link of a chain is stored in the same savepoint: never a completed link with a lost successor.
      const insert = this.stmt(q.INSERT_JOB);
      for (const job of outcome.next ?? []) {
        const availableAt = availableAtOf(job, now);
        if (availableAt <= now) woken.add(job.queueName);
        insert.run({ ...job, availableAt, now });
      }
      return { status: 'ok' };
    }
    if (outcome.kind === 'fail') {
      return this.stmt(q.FAIL).run({ ...lease, error: outcome.error }).changes > 0
        ? { status: 'ok' }
        : { status: 'lost' };
    }
    const delayMs = Math.max(0, Math.round(outcome.delayMs ?? 0));
    const args = { ...lease, availableAt: now + delayMs };
    const queue = (
      outcome.kind === 'retry'
        ? this.stmt(q.RETRY)
            .pluck()
            .get({ ...args, error: outcome.error })
        : this.stmt(q.RELEASE).pluck().get(args)
    ) as string | undefined;
    if (queue === undefined) return { status: 'lost' };
    if (delayMs === 0) woken.add(queue);
    return { status: 'ok' };
  }

  private hubKey(): string | null {
    return this.db.memory ? null : this.file;
  }

  private now(): number {
    return Math.round(this.clock());
  }

  private wake(queue: string): void {
    this.wakeups.emit('wake', queue);
    this.crossProcess?.notify(queue);
  }

  /** Stops this driver for good when its file was deleted or replaced (see file-identity.ts). */
  private checkIdentity(): void {
    if (this.lost || this.closed) return;
    this.lost = this.identity?.check() ?? null;
    if (this.lost) {
      clearInterval(this.identityTimer);
      // Wake the idle workers now: their next reservation meets the error and stops them.
      for (const queue of this.workerQueues) for (const listener of this.listeners) listener(queue);
    }
  }

  /** Throws when this driver was closed, or its file deleted or replaced. */
  private assertUsable(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'This SQLite driver was closed: make a new one');
    if (this.lost) throw this.lost;
  }

  /** A prepared statement, compiled once per connection. */
  private stmt(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private ensureMigrated(): void {
    this.assertUsable();
    if (this.migrated) return;
    try {
      runMigrations(this.db, () => this.now());
      installRecorder(this.db, this.history);
    } catch (cause) {
      throw translateOpenError(cause, this.file);
    }
    this.migrated = true;
  }

  /**
   * Runs `fn` in the group commit of this turn of the event loop: one short BEGIN IMMEDIATE
   * transaction shared with the other writes asked for meanwhile (see GroupCommit).
   */
  private commit<T>(fn: () => T): Promise<T> {
    this.ensureMigrated();
    return this.commits.submit(fn);
  }

  /**
   * BEGIN IMMEDIATE ... COMMIT around `body`. Without `wait`, busy_timeout is 0 for the BEGIN,
   * so a lock held by another process fails at once (the group commit retries without
   * blocking the event loop) instead of SQLite sleeping inside this call.
   */
  private immediate(body: () => void, wait: boolean): void {
    if (wait) {
      this.transaction.immediate(body);
      return;
    }
    this.stmt('PRAGMA busy_timeout = 0').run();
    try {
      this.transaction.immediate(body);
    } finally {
      this.stmt(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`).run();
    }
  }

  /** Runs `fn` in its own short BEGIN IMMEDIATE transaction: the write lock is taken before anything is read. */
  private write<T>(fn: () => T): T {
    this.ensureMigrated();
    return this.guard(() => this.transaction.immediate(fn) as T);
  }

  /** Runs reads in one deferred transaction: one consistent snapshot, no write lock. */
  private read<T>(fn: () => T): T {
    return this.guard(() => this.transaction.deferred(fn) as T);
  }

  /** Runs `fn`, turning SQLITE_BUSY and friends into StoreErrors that say what happened. */
  private guard<T>(fn: () => T): T {
    this.assertUsable();
    try {
      return fn();
    } catch (cause) {
      throw this.translateError(cause);
    }
  }

  private translateError(cause: unknown): unknown {
    const code = (cause as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY')) {
      return new StoreError(
        'STORE_BUSY',
        `The SQLite store ${this.file} stayed locked by another writer for longer than busy_timeout`,
        { cause },
      );
    }
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CORRUPT') {
      return translateOpenError(cause, this.file);
    }
    return cause;
  }
}

function idlePollOf(ms: number | undefined): number {
  if (ms === undefined) return 50;
  if (!Number.isSafeInteger(ms) || ms < 5 || ms > MAX_IDLE_POLL_MS) {
    throw new ConfigError(
      'INVALID_IDLE_POLL',
      `Invalid idlePollMs ${String(ms)} for SqliteQueueDriver: use a whole number of milliseconds from 5 to ${MAX_IDLE_POLL_MS}`,
    );
  }
  return ms;
}

interface JobDataColumns {
  progress: string | null;
  result: string | null;
}

function availableAtOf(job: NewJob, now: number): number {
  return job.availableAt ? job.availableAt.getTime() : now + Math.round(job.delayMs);
}
