import { createHash } from 'node:crypto';
import { InvalidJobError, StoreError } from '../../errors.js';
import { WriteGroup } from '../../write-group.js';
import type { JobDataParams, NewBatch, StoredBatch, StoredSchedule } from '../composition.js';
import type {
  ActivityEntry,
  ClearFailedParams,
  DriverCapabilities,
  EnqueueParams,
  HeartbeatParams,
  HeartbeatResult,
  LeaseRef,
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
import { PostgresComposition } from './composition-store.js';
import { guardPool, pgTarget } from './connect-errors.js';
import {
  connectTimeoutOf,
  type DatabaseQueueDriverOptions,
  loadPg,
  normalizeOptions,
  type PgPoolLike,
  type PgQueryable,
  type PgQueryConfig,
  queryTimeoutOf,
  quoteSchema,
} from './connection.js';
import { readAttempts, readMetricCells, readMetricTimeline, readRunning } from './history.js';
import { NotifyListener } from './listener.js';
import { runMigrations } from './migrate.js';
import { assertStorableJob, storeError } from './pg-errors.js';
import { PgFlow } from './pg-flow.js';
import { countJobs, insertActivity, listJobs, liveWorkers, readActivity } from './reads.js';
import { type JobRow, newJobArrays, toReservedJob, toStoredJob } from './rows.js';
import { buildStatements, type Statements } from './sql.js';

export type { DatabaseQueueDriverOptions, PgPoolLike } from './connection.js';

/** Statement text to prepared-statement name; the same text always gets the same name. */
const statementNames = new Map<string, string>();

/** Ids are ULIDs (26 characters); anything longer cannot be in the table. */
const ID_LENGTH = 26;

/**
 * The PostgreSQL store (the seed's `DatabaseQueueDriver`): the seed's `jobs` table, reservation
 * with `FOR UPDATE SKIP LOCKED` in one statement, transitions fenced by a lease token, time
 * from `now()`, LISTEN/NOTIFY wake-ups, and enqueue inside the caller's transaction.
 */
export class DatabaseQueueDriver implements QueueDriver {
  readonly name = 'database';
  readonly capabilities: DriverCapabilities = {
    durable: true,
    multiProcess: true,
    crossProcessWakeups: true,
    transactionalEnqueue: true,
    pause: true,
  };
  readonly schema: string;

  private readonly options: DatabaseQueueDriverOptions;
  private readonly quoted: string;
  private readonly channel: string;
  private readonly sql: Statements;
  private poolPromise: Promise<PgPoolLike> | undefined;
  private readyPromise: Promise<void> | undefined;
  /** Concurrent enqueues of one turn share an INSERT (one commit instead of many). */
  private readonly enqueueGroup: WriteGroup<NewJob[], Error | null>;
  private listener: NotifyListener | undefined;
  private readonly wakeListeners = new Set<WakeListener>();
  private closed = false;
  private readonly connectTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly composition: PostgresComposition;
  private readonly flow: PgFlow;

  constructor(poolOrUrlOrOptions: string | PgPoolLike | DatabaseQueueDriverOptions) {
    this.options = normalizeOptions(poolOrUrlOrOptions);
    this.connectTimeoutMs = connectTimeoutOf(this.options.connectTimeoutMs);
    this.queryTimeoutMs = queryTimeoutOf(this.options.queryTimeoutMs);
    this.schema = this.options.schema ?? 'public';
    this.quoted = quoteSchema(this.schema);
    this.channel = `jobwright_${this.schema}`;
    this.sql = buildStatements(this.quoted, {
      asyncCommit: this.options.asyncCommit ?? 'reservations',
      channel: this.channel,
      history: this.options.history !== false,
    });
    this.flow = new PgFlow(this.quoted, () => this.pool());
    this.composition = new PostgresComposition(
      () => this.pool(),
      this.quoted,
      this.sql.enqueue,
      (jobs, tx) => this.flow.enqueue(jobs, tx),
    );
    this.enqueueGroup = new WriteGroup(
      async (batches) => (await this.flushEnqueues(batches)).map((value) => ({ status: 'fulfilled', value })),
      4,
      500,
    );
  }

  async migrate(): Promise<void> {
    this.readyPromise ??= (async () => {
      await runMigrations(await this.pool(), this.quoted, this.schema);
    })().catch((error: unknown) => {
      this.readyPromise = undefined;
      throw error;
    });
    return this.readyPromise;
  }

  async enqueue({ jobs, tx }: EnqueueParams): Promise<EnqueueResult | undefined> {
    if (jobs.length === 0) return;
    // Refused here, before anything is stored: a chain link PostgreSQL could not store later
    // would fail its whole chain at the completion of the link before (issue 12).
    for (const job of jobs) assertStorableJob(job);
    await this.migrate();
    // Unique or grouped jobs: one transaction under per-key advisory locks (pg-flow.ts).
    if (jobs.some((job) => job.uniqueKey || job.group)) {
      if (tx !== undefined && (!tx || typeof (tx as PgQueryable).query !== 'function')) {
        throw new InvalidJobError(
          'INVALID_TX',
          'dispatch({ tx }) needs a pg client inside a transaction (from pool.connect() after BEGIN)',
        );
      }
      const ids = await this.flow.enqueue(jobs, tx as PgQueryable | undefined).catch((e: unknown) => {
        throw storeError(e);
      });
      for (const queue of new Set(jobs.filter((j, i) => ids[i] === j.id).map((j) => j.queueName))) {
        if (tx === undefined) void this.notify(queue);
      }
      return { ids };
    }
    if (tx !== undefined) {
      if (!tx || typeof (tx as PgQueryable).query !== 'function') {
        throw new InvalidJobError(
          'INVALID_TX',
          'dispatch({ tx }) needs a pg client inside a transaction (from pool.connect() after BEGIN)',
        );
      }
      // The caller's client: visible to workers only when the caller commits, gone on rollback.
      await (tx as PgQueryable).query(this.sql.enqueue, newJobArrays(jobs)).catch((e) => {
        throw storeError(e);
      });
      return;
    }
    const error = await this.enqueueGroup.add(jobs);
    if (error) throw error;
  }

  async reserve({ queue, limit, leaseMs, workerId, start }: ReserveParams): Promise<ReservedJob[]> {
    if (limit <= 0) return [];
    await this.migrate();
    // Queues with limits reserve in their own transaction; "has limits" is cached for a second.
    if (await this.flow.cachedLimits(queue)) {
      return this.flow
        .reserveLimited(queue, Math.min(limit, start ?? limit), leaseMs, workerId)
        .catch((e: unknown) => {
          throw storeError(e);
        });
    }
    const { rows } = await (await this.pool()).query<JobRow>(
      this.hot(this.sql.reserve, [queue, limit, leaseMs, workerId, Math.min(limit, start ?? limit)]),
    );
    // RETURNING gives no order: hand the jobs out in the order they were picked.
    return rows
      .map(toReservedJob)
      .sort(
        (a, b) =>
          a.priority - b.priority ||
          a.availableAt.getTime() - b.availableAt.getTime() ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
  }

  async start({ leases, leaseMs }: StartParams): Promise<StartResult> {
    const { lost } = await this.settleAndStart({ outcomes: [], start: leases, leaseMs });
    return { lost };
  }

  async settle({ outcomes }: SettleParams): Promise<OutcomeResult[]> {
    return (await this.settleAndStart({ outcomes, start: [], leaseMs: 0 })).outcomes;
  }

  /**
   * Completions, retries, failures and held jobs starting go out as one statement (one
   * transaction); chained completions and releases as statements of their own, sent alongside.
   * When a statement fails because of one job's data (a chain link PostgreSQL refuses), the
   * engine writes the jobs one by one; a single outcome refused that way is answered `refused`
   * with PostgreSQL's reason.
   */
  async settleAndStart({ outcomes, start, leaseMs }: SettleAndStartParams): Promise<SettleAndStartResult> {
    const leases = start.filter(isLease);
    const lost = start.filter((l) => !isLease(l)).map((l) => l.id);
    if (outcomes.length === 0 && leases.length === 0) return { outcomes: [], lost };
    await this.migrate();
    const pool = await this.pool();
    const accepted = new Set<string>();
    const started = new Set<string>();
    const valid = outcomes.filter(isLease);
    const chained = valid.filter((o) => o.kind === 'complete' && (o.next?.length ?? 0) > 0);
    const released = valid.filter((o) => o.kind === 'release');
    const plain = valid.filter((o) => !chained.includes(o) && o.kind !== 'release');
    const run = async (config: PgQueryConfig | null) => {
      if (!config) return;
      const { rows } = await pool.query<{ id: string | null; token: string | null; kind: string }>(config);
      for (const row of rows) {
        if (row.id === null) continue;
        if (row.kind === 'start') started.add(row.id.trimEnd());
        else accepted.add(`${row.id.trimEnd()}/${row.token}`);
      }
    };
    try {
      await Promise.all([
        run(plain.length + leases.length > 0 ? this.outcomesStatement(plain, leases, leaseMs) : null),
        run(this.chainedStatement(chained)),
        run(
          this.groupStatement(this.sql.release, released, (o) => [
            o.kind === 'release' ? Math.max(0, o.delayMs ?? 0) : 0,
          ]),
        ),
      ]);
    } catch (error) {
      const refused = outcomes.length === 1 && leases.length === 0 ? refusalOf(error) : null;
      if (refused === null) throw storeError(error);
      return { outcomes: [{ status: 'refused', reason: refused }], lost };
    }
    for (const lease of leases) if (!started.has(lease.id)) lost.push(lease.id);
    return {
      // The same lease twice in one call: only the first is told it landed.
      outcomes: outcomes.map((o) =>
        accepted.delete(`${o.id}/${String(o.leaseToken).toLowerCase()}`)
          ? { status: 'ok' }
          : { status: 'lost' },
      ),
      lost,
    };
  }

  async countDue({ queue, limit }: { queue: string; limit: number }): Promise<number> {
    await this.migrate();
    const { rows } = await (await this.pool()).query<{ n: number }>(
      this.hot(this.sql.countDue, [queue, Math.max(0, Math.trunc(limit))]),
    );
    return rows[0]?.n ?? 0;
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    const valid = leases.filter(isLease);
    const lost = leases.filter((l) => !isLease(l)).map((l) => l.id);
    if (valid.length === 0) return { lost };
    await this.migrate();
    const { rows } = await (await this.pool()).query<{ id: string }>(
      this.hot(this.sql.heartbeat, [valid.map((l) => l.id), valid.map((l) => l.leaseToken), leaseMs]),
    );
    const held = new Set(rows.map((r) => r.id.trimEnd()));
    for (const lease of valid) if (!held.has(lease.id)) lost.push(lease.id);
    return { lost };
  }

  async recoverExpired({ queue, limit }: RecoverParams): Promise<RecoverResult> {
    await this.migrate();
    const { rows } = await (await this.pool()).query<JobRow>(this.sql.recover, [queue ?? null, limit]);
    const result: RecoverResult = { requeued: [], failed: [] };
    for (const row of rows) {
      const job = toStoredJob(row);
      if (job.status === 'failed') result.failed.push(job);
      else result.requeued.push(job.id);
    }
    for (const q of new Set(rows.filter((r) => r.status !== 'failed').map((r) => r.queue_name))) {
      void this.notify(q);
    }
    return result;
  }

  async runningJobs({ limit }: { limit: number }): Promise<RunningJob[]> {
    await this.migrate();
    return readRunning(await this.pool(), this.quoted, limit);
  }

  async attemptHistory({ id, limit }: { id: string; limit: number }): Promise<AttemptRecord[]> {
    await this.migrate();
    return readAttempts(await this.pool(), this.quoted, id, limit, this.options.history !== false);
  }

  async metricCells(query: MetricQuery): Promise<MetricCell[]> {
    await this.migrate();
    return readMetricCells(await this.pool(), this.quoted, query);
  }

  async metricTimeline(query: MetricQuery): Promise<MetricPoint[]> {
    await this.migrate();
    return readMetricTimeline(await this.pool(), this.quoted, query);
  }

  async find({ id }: { id: string }): Promise<StoredJob | null> {
    if (typeof id !== 'string' || id.length === 0 || id.length > ID_LENGTH) return null;
    await this.migrate();
    return this.composition.find(id);
  }

  // Progress, results, batches and schedules: composition-store.ts.
  async saveJobData(params: JobDataParams): Promise<boolean> {
    if (!isLease(params)) return false;
    await this.migrate();
    return this.composition.saveJobData(params);
  }

  async createBatch({ batch, jobs }: { batch: NewBatch; jobs: NewJob[] }): Promise<void> {
    for (const job of jobs) assertStorableJob(job);
    await this.migrate();
    await this.composition.createBatch(batch, jobs);
  }

  async addToBatch({ id, jobs }: { id: string; jobs: NewJob[] }): Promise<boolean> {
    for (const job of jobs) assertStorableJob(job);
    await this.migrate();
    return this.composition.addToBatch(id, jobs);
  }

  async findBatch({ id }: { id: string }): Promise<StoredBatch | null> {
    await this.migrate();
    return this.composition.findBatch(id);
  }

  async cancelBatch({ id }: { id: string }): Promise<boolean> {
    await this.migrate();
    return this.composition.cancelBatch(id);
  }

  async listBatches({ limit, offset }: { limit: number; offset: number }): Promise<StoredBatch[]> {
    await this.migrate();
    return this.composition.listBatches(limit, offset);
  }

  async saveSchedule({ schedule }: { schedule: Omit<StoredSchedule, 'lastTick'> }): Promise<void> {
    await this.migrate();
    await this.composition.saveSchedule(schedule);
  }

  async removeSchedule({ name }: { name: string }): Promise<boolean> {
    await this.migrate();
    return this.composition.removeSchedule(name);
  }

  async schedules(): Promise<StoredSchedule[]> {
    await this.migrate();
    return this.composition.schedules();
  }

  async claimTick({ name, tick, job }: { name: string; tick: Date; job: NewJob }): Promise<boolean> {
    assertStorableJob(job);
    await this.migrate();
    return this.composition.claimTick(name, tick, job);
  }

  async list(params: ListParams): Promise<ListResult> {
    await this.migrate();
    return listJobs(await this.pool(), this.quoted, params);
  }

  async retryFailed({ ids, queue }: RetryFailedParams): Promise<number> {
    const list = ids === 'all' ? null : ids.filter((id) => typeof id === 'string' && id.length <= ID_LENGTH);
    if (list && list.length === 0) return 0;
    await this.migrate();
    const { rows } = await (await this.pool()).query<{ n: number }>(this.sql.retryFailed, [
      list,
      queue ?? null,
    ]);
    return rows[0]?.n ?? 0;
  }

  async clearFailed({ queue, ids }: ClearFailedParams): Promise<number> {
    // Same id screening as retryFailed: a longer string can never be a stored id.
    const list =
      ids === undefined ? null : ids.filter((id) => typeof id === 'string' && id.length <= ID_LENGTH);
    if (list && list.length === 0) return 0;
    await this.migrate();
    const result = await (await this.pool()).query(this.sql.clearFailed, [queue ?? null, list]);
    return result.rowCount ?? 0;
  }

  async prune({ statuses, olderThanMs, queue }: PruneParams): Promise<number> {
    if (statuses.length === 0) return 0;
    await this.migrate();
    const result = await (await this.pool()).query(this.sql.prune, [statuses, olderThanMs, queue ?? null]);
    return result.rowCount ?? 0;
  }

  async counts({ queue }: QueueFilter): Promise<QueueCounts[]> {
    await this.migrate();
    return countJobs(await this.pool(), this.sql, queue);
  }

  async registerWorker(p: RegisterWorkerParams): Promise<void> {
    await this.migrate();
    await (await this.pool()).query({
      text: this.sql.registerWorker,
      values: [p.workerId, p.host, p.pid, p.queues, p.concurrency, p.ttlMs, p.jobsDone, p.held ?? 0],
      query_timeout: this.queryTimeoutMs,
    });
  }

  async unregisterWorker({ workerId }: { workerId: string }): Promise<void> {
    await this.migrate();
    await (await this.pool()).query(this.sql.unregisterWorker, [workerId]);
  }

  async workers(): Promise<WorkerInfo[]> {
    await this.migrate();
    return liveWorkers(await this.pool(), this.sql);
  }

  async logActivity({ entries }: { entries: NewActivityEntry[] }): Promise<void> {
    if (entries.length === 0) return;
    await this.migrate();
    await insertActivity(await this.pool(), this.sql, entries);
  }

  async activity({ jobId, limit }: { jobId?: string; limit: number }): Promise<ActivityEntry[]> {
    await this.migrate();
    return readActivity(await this.pool(), this.sql, jobId, limit);
  }

  async throughput({ queue, minutes }: { queue?: string; minutes: number }): Promise<ThroughputBucket[]> {
    await this.migrate();
    const { rows } = await (await this.pool()).query<{ minute: Date; completed: number; failed: number }>(
      this.sql.throughput,
      [queue ?? null, Math.max(1, Math.trunc(minutes))],
    );
    return rows.map((r) => ({ minute: r.minute, completed: r.completed, failed: r.failed }));
  }

  async cancel({ id, reason }: { id: string; reason: string }): Promise<boolean> {
    if (typeof id !== 'string' || id.length !== ID_LENGTH) return false;
    await this.migrate();
    return this.flow.cancel(id, reason);
  }

  async cancelRequested({
    leases,
  }: {
    leases: Array<{ id: string; leaseToken: string }>;
  }): Promise<string[]> {
    await this.migrate();
    return this.flow.cancelRequested(leases);
  }

  async setQueueLimits({ queue, limits }: { queue: string; limits: QueueLimits }): Promise<void> {
    await this.migrate();
    await this.flow.setLimits(queue, limits);
    await this.notify(queue);
  }

  async queueLimits({ queue }: { queue: string }): Promise<QueueLimits> {
    await this.migrate();
    return this.flow.limits(queue);
  }

  async limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>> {
    await this.migrate();
    return this.flow.limitedQueues();
  }

  async acquireLock({ key, owner, ttlMs }: LockParams & { ttlMs: number }): Promise<boolean> {
    await this.migrate();
    return this.flow.acquireLock(key, owner, ttlMs);
  }

  async releaseLock({ key, owner }: LockParams): Promise<void> {
    await this.migrate();
    await this.flow.releaseLock(key, owner);
  }

  async hitCounter({ key, windowMs, max }: CounterParams): Promise<CounterHit> {
    await this.migrate();
    return this.flow.hit(key, windowMs, max);
  }

  async clearCounter({ key }: { key: string }): Promise<void> {
    await this.migrate();
    await this.flow.clear(key);
  }

  async pauseQueue({ queue }: { queue: string }): Promise<void> {
    await this.migrate();
    await (await this.pool()).query(this.sql.pause, [queue]);
  }

  async resumeQueue({ queue }: { queue: string }): Promise<void> {
    await this.migrate();
    await (await this.pool()).query(this.sql.resume, [queue]);
  }

  async pausedQueues(): Promise<string[]> {
    await this.migrate();
    const { rows } = await (await this.pool()).query<{ queue_name: string }>(this.sql.pausedQueues);
    return rows.map((r) => r.queue_name);
  }

  /** Wake-ups from every process through LISTEN on one dedicated, self-reconnecting connection. */
  async subscribe(listener: WakeListener): Promise<() => void> {
    this.wakeListeners.add(listener);
    if (!this.listener && !this.closed) {
      const pg = await loadPg();
      const pool = await this.pool();
      // Another subscribe may have started the listener while this one awaited.
      this.listener ??= new NotifyListener({
        channel: `"${this.channel}"`,
        connect: async () => {
          const client = new pg.Client({
            ...(this.options.pool
              ? (pool.options ?? {})
              : { connectionString: this.options.connectionString }),
            application_name: `${this.options.applicationName ?? 'jobwright'}-listen`,
            keepAlive: true,
          });
          client.on('error', () => {});
          await client.connect();
          return client;
        },
        onNotify: (queue) => {
          for (const l of this.wakeListeners) l(queue);
        },
        onError: () => {},
        pingMs: this.queryTimeoutMs,
      });
    }
    await this.listener?.start();
    return () => {
      this.wakeListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.enqueueGroup.drain().catch(() => {});
    await this.listener?.stop();
    this.wakeListeners.clear();
    const pool = await this.poolPromise?.catch(() => undefined);
    if (pool && !this.options.pool) await pool.end().catch(() => {});
  }

  /** The pool: the caller's, or one made on first use. */
  private pool(): Promise<PgPoolLike> {
    if (this.closed)
      return Promise.reject(new StoreError('DRIVER_CLOSED', 'This DatabaseQueueDriver was closed'));
    this.poolPromise ??= (async () => {
      const target = pgTarget(
        this.options.connectionString,
        this.options.pool?.options,
        this.options.urlSource ??
          (this.options.pool
            ? 'the pg.Pool given to the driver'
            : 'the connection string given to the driver'),
        this.connectTimeoutMs,
      );
      if (this.options.pool) return guardPool(this.options.pool, target);
      const pg = await loadPg();
      const pool = new pg.Pool({
        connectionString: this.options.connectionString,
        max: this.options.max ?? 10,
        application_name: this.options.applicationName ?? 'jobwright',
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: this.connectTimeoutMs,
        keepAlive: true,
        // history: false switches migration 007's recording trigger off for this pool's sessions.
        ...(this.options.history === false ? { options: '-c jobwright.history=off' } : {}),
      });
      // An idle connection the server dropped (restart, pg_terminate_backend) must not crash
      // the process: the pool discards it and opens a new one on the next query.
      pool.on('error', () => {});
      return guardPool(pool, target);
    })().catch((error: unknown) => {
      this.poolPromise = undefined;
      throw error;
    });
    return this.poolPromise;
  }

  /** A hot statement, prepared once per connection under a name derived from its text. */
  private hot(text: string, values: unknown[]): PgQueryConfig {
    // The answer timeout finds half-open connections: the pool drops a connection whose query failed.
    const query_timeout = this.queryTimeoutMs;
    if (this.options.preparedStatements === false) return { text, values, query_timeout };
    let name = statementNames.get(text);
    if (!name) {
      name = `jobwright_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      statementNames.set(text, name);
    }
    return { name, text, values, query_timeout };
  }

  private async notify(queue: string): Promise<void> {
    if (this.options.notify === false) return;
    try {
      await (await this.pool()).query(this.sql.notify, [queue]);
    } catch {
      // A wake-up is a hint: polling finds the job anyway.
    }
  }

  /** One INSERT for every enqueue that arrived while the previous one ran. */
  private async flushEnqueues(batches: NewJob[][]): Promise<Array<Error | null>> {
    const pool = await this.pool();
    try {
      await pool.query(this.hot(this.sql.enqueue, newJobArrays(batches.flat())));
      return batches.map(() => null);
    } catch (error) {
      if (batches.length === 1) return [storeError(error)];
      // One bad call (a duplicate id, a payload PostgreSQL refuses) must not fail its neighbours.
      return Promise.all(
        batches.map((jobs) =>
          pool.query(this.hot(this.sql.enqueue, newJobArrays(jobs))).then(
            () => null,
            (e: unknown) => storeError(e),
          ),
        ),
      );
    }
  }

  /** Completions with chain links: each link stored in the same statement as its job's completion. */
  private chainedStatement(items: Outcome[]): PgQueryConfig | null {
    if (items.length === 0) return null;
    const links: NewJob[] = [];
    const parents: string[] = [];
    for (const item of items) {
      for (const next of item.kind === 'complete' ? (item.next ?? []) : []) {
        links.push(next);
        parents.push(item.id);
      }
    }
    const ids = items.map((i) => i.id);
    const tokens = items.map((i) => i.leaseToken);
    return this.hot(this.sql.complete, [ids, tokens, ...newJobArrays(links), parents]);
  }

  /** The one-statement step: plain completions, retries, failures, and held jobs to start. */
  private outcomesStatement(items: Outcome[], start: LeaseRef[], leaseMs: number): PgQueryConfig {
    const rows = [
      ...items.map((o) => ({
        id: o.id,
        token: o.leaseToken,
        kind: o.kind === 'complete' ? 'c' : o.kind === 'retry' ? 'r' : 'f',
        delayMs: o.kind === 'retry' ? Math.max(0, o.delayMs) : 0,
        error: o.kind === 'retry' || o.kind === 'fail' ? o.error : null,
      })),
      ...start.map((l) => ({ id: l.id, token: l.leaseToken, kind: 's', delayMs: 0, error: null })),
    ];
    return this.hot(this.sql.outcomes, [
      rows.map((r) => r.id),
      rows.map((r) => r.token),
      rows.map((r) => r.kind),
      rows.map((r) => r.delayMs),
      rows.map((r) => r.error),
      leaseMs,
    ]);
  }

  /** A grouped release: ids, tokens, then one array per extra field. */
  private groupStatement(
    text: string,
    items: Outcome[],
    extra: (o: Outcome) => unknown[],
  ): PgQueryConfig | null {
    if (items.length === 0) return null;
    const values: unknown[][] = [items.map((i) => i.id), items.map((i) => i.leaseToken)];
    items.forEach((item, i) => {
      extra(item).forEach((value, k) => {
        values[2 + k] ??= [];
        values[2 + k]![i] = value;
      });
    });
    return this.hot(text, values);
  }
}

/** The reason PostgreSQL refused a job's own data (classes 22 and 23, and 54: too large), or null for a store failure. */
function refusalOf(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^(22|23|54)/.test(code)) return null;
  return `PostgreSQL refused the write (${code}): ${(error as Error).message}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A lease that could exist: anything else cannot match a row, and must not reach a uuid cast. */
function isLease(lease: { id: string; leaseToken: string }): boolean {
  return (
    typeof lease.id === 'string' &&
    lease.id.length > 0 &&
    lease.id.length <= ID_LENGTH &&
    typeof lease.leaseToken === 'string' &&
    UUID.test(lease.leaseToken)
  );
}
