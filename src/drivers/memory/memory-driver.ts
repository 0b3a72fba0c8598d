import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
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
import { CountsByQueue } from '../counts.js';
import {
  CANCELLED,
  type CounterHit,
  type CounterParams,
  type EnqueueResult,
  hasLimits,
  LimitGate,
  type LockParams,
  NO_LIMITS,
  type QueueLimits,
} from '../flow-contract.js';
import type { AttemptRecord, MetricCell, MetricPoint, MetricQuery, RunningJob } from '../insights.js';
import { minuteBuckets } from '../throughput.js';
import { MemoryInsights } from './history.js';
import { MemoryBatches } from './memory-batches.js';
import { MemoryFlow } from './memory-flow.js';
import { MinHeap } from './min-heap.js';

interface MemoryRow extends StoredJob {
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  /** The status it had before its reservation, to go back to when it is given back. */
  heldFrom: 'pending' | 'retrying';
  /** Bumped whenever the row enters a heap; heap entries with an older seq are stale. */
  seq: number;
  uniqueKey: string | null;
  /** Ms when the unique lock lapses while the job lives; null: never. */
  uniqueUntil: number | null;
  group: string | null;
  /** The lease whose run was asked to stop by `cancel`. */
  cancelLease: string | null;
  /** The worker holding the lease, for the attempt history. */
  reservedBy?: string;
}

interface HeapEntry {
  row: MemoryRow;
  seq: number;
}

interface QueueState {
  ready: MinHeap<HeapEntry>;
  delayed: MinHeap<HeapEntry>;
  processing: Set<MemoryRow>;
}

export interface MemoryQueueDriverOptions {
  /** The store's clock in ms; tests inject a controllable one. */
  clock?: () => number;
  /** Record attempt history and metrics (default true). */
  history?: boolean;
}

const MINUTE = 60_000;

/**
 * Keeps jobs in this process's memory: for tests and development. Nothing survives the
 * process, and only this process can work the queue.
 */
export class MemoryQueueDriver implements QueueDriver {
  readonly name = 'memory';
  readonly capabilities: DriverCapabilities = {
    durable: false,
    multiProcess: false,
    crossProcessWakeups: false,
    transactionalEnqueue: false,
    pause: true,
  };

  private readonly clock: () => number;
  private readonly rows = new Map<string, MemoryRow>();
  private readonly queues = new Map<string, QueueState>();
  private readonly paused = new Set<string>();
  private readonly workerRegistry = new Map<string, { info: WorkerInfo; expiresAt: number }>();
  private readonly activityLog: ActivityEntry[] = [];
  private readonly finishedPerMinute = new Map<string, Map<number, { completed: number; failed: number }>>();
  private readonly wakeups = new EventEmitter();
  private readonly batches = new MemoryBatches();
  private readonly scheduleRows = new Map<string, StoredSchedule>();
  private readonly flow = new MemoryFlow();
  /** Unique jobs: queue + key -> the job that took the key last. */
  private readonly uniqueHolders = new Map<string, MemoryRow>();
  /** When `reserve` last let the event loop run (real time, whatever the injected clock). */
  private lastYield = performance.now();

  /** Attempt history and metrics (docs/dashboard.md); null when switched off. */
  private readonly insights: MemoryInsights | null;

  constructor(options: MemoryQueueDriverOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.insights = options.history === false ? null : new MemoryInsights(this.clock);
    this.wakeups.setMaxListeners(0);
  }

  async migrate(): Promise<void> {}

  async enqueue({ jobs }: EnqueueParams): Promise<EnqueueResult | undefined> {
    const now = this.clock();
    // Ids are reported only when a unique job is among them: plain enqueues allocate nothing more.
    let ids: string[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      if (job.uniqueKey) {
        ids ??= jobs.map((j) => j.id);
        ids[i] = this.insertUnique(job, now);
      } else this.insert(job, now);
    }
    for (const queue of new Set(jobs.map((j) => j.queueName))) this.wakeups.emit('wake', queue);
    return ids ? { ids } : undefined;
  }

  /** The live job holding `queue`'s unique `key` (its lock unexpired), if any. */
  private uniqueHolder(key: string, now: number): MemoryRow | undefined {
    const holder = this.uniqueHolders.get(key);
    const live =
      holder &&
      this.rows.get(holder.id) === holder &&
      (holder.status === 'pending' || holder.status === 'processing' || holder.status === 'retrying') &&
      (holder.uniqueUntil === null || holder.uniqueUntil > now);
    return live ? holder : undefined;
  }

  /** Makes `row` the holder of its unique key unless another live job holds it (retryFailed). */
  private takeUniqueKey(row: MemoryRow, now: number): boolean {
    const key = `${row.queueName}\u0000${row.uniqueKey}`;
    const holder = this.uniqueHolder(key, now);
    if (holder && holder !== row) return false;
    this.uniqueHolders.set(key, row);
    return true;
  }

  /** Stores a unique job unless a live job of its queue holds the key; returns the id that holds it. */
  private insertUnique(job: NewJob, now: number): string {
    const key = `${job.queueName}\u0000${job.uniqueKey}`;
    const holder = this.uniqueHolder(key, now);
    if (holder) return holder.id;
    this.uniqueHolders.set(key, this.insert(job, now));
    return job.id;
  }

  async reserve({ queue, limit, leaseMs, start, workerId }: ReserveParams): Promise<ReservedJob[]> {
    // Nothing here waits for I/O, so a busy worker's reserve -> run -> settle loop would chain
    // on microtasks alone and starve timers and I/O (job timeouts, heartbeats, stopWorker, an
    // HTTP server) until the queue is empty: 200,000 jobs held a 5 ms timer back for 5.6 s.
    if (performance.now() - this.lastYield > 5) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
    }
    if (this.paused.has(queue)) return [];
    const state = this.queues.get(queue);
    if (!state) return [];
    const now = this.clock();
    this.promoteDue(state, now);
    const limits = this.flow.limits.get(queue);
    if (limits)
      return this.reserveLimited(queue, state, limits, Math.min(limit, start ?? limit), leaseMs, now);
    const startNow = start ?? limit;
    const reserved: ReservedJob[] = [];
    while (reserved.length < limit) {
      const entry = state.ready.pop();
      if (!entry) break;
      const row = entry.row;
      if (entry.seq !== row.seq || (row.status !== 'pending' && row.status !== 'retrying')) continue;
      row.heldFrom = row.status;
      row.status = 'processing';
      if (reserved.length < startNow) {
        row.attempts += 1;
        row.reservedAt = new Date(now);
      } else row.reservedAt = null;
      row.updatedAt = new Date(now);
      row.leaseToken = randomUUID();
      row.leaseExpiresAt = now + leaseMs;
      row.reservedBy = workerId;
      state.processing.add(row);
      // One object literal per job: spreading publicRow() into another copy cost ~1 µs per job.
      reserved.push(reservedRow(row, row.leaseToken));
    }
    return reserved;
  }

  /** Reserve under limits: starts what they allow, holds nothing, skips jobs of full groups. */
  private reserveLimited(
    queue: string,
    state: QueueState,
    limits: QueueLimits,
    want: number,
    leaseMs: number,
    now: number,
  ): ReservedJob[] {
    const running = [...state.processing].filter((r) => r.reservedAt !== null).map((r) => r.group);
    const gate = new LimitGate(limits, this.flow.state(queue, limits, now, running), want);
    const reserved: ReservedJob[] = [];
    const skipped: HeapEntry[] = [];
    while (gate.room > 0) {
      const entry = state.ready.pop();
      if (!entry) break;
      const row = entry.row;
      if (entry.seq !== row.seq || (row.status !== 'pending' && row.status !== 'retrying')) continue;
      if (!gate.admit(row.group)) {
        skipped.push(entry);
        continue;
      }
      row.heldFrom = row.status;
      row.status = 'processing';
      row.attempts += 1;
      row.reservedAt = new Date(now);
      row.updatedAt = row.reservedAt;
      row.leaseToken = randomUUID();
      row.leaseExpiresAt = now + leaseMs;
      state.processing.add(row);
      this.flow.noteStart(queue, row.group, now);
      reserved.push(reservedRow(row, row.leaseToken));
    }
    for (const entry of skipped) state.ready.push(entry);
    return reserved;
  }

  async start({ leases, leaseMs }: StartParams): Promise<StartResult> {
    const now = this.clock();
    const lost: string[] = [];
    for (const lease of leases) {
      const row = this.leased(lease.id, lease.leaseToken);
      if (!row || row.reservedAt !== null) {
        lost.push(lease.id);
        continue;
      }
      row.attempts += 1;
      row.reservedAt = new Date(now);
      row.updatedAt = row.reservedAt;
      row.leaseExpiresAt = now + leaseMs;
    }
    return { lost };
  }

  async settleAndStart({ outcomes, start, leaseMs }: SettleAndStartParams): Promise<SettleAndStartResult> {
    const results = await this.settle({ outcomes });
    const { lost } = await this.start({ leases: start, leaseMs });
    return { outcomes: results, lost };
  }

  async settle({ outcomes }: SettleParams): Promise<OutcomeResult[]> {
    const results: OutcomeResult[] = [];
    for (const outcome of outcomes) {
      const row = this.leased(outcome.id, outcome.leaseToken);
      if (!row) {
        results.push({ status: 'lost' });
        continue;
      }
      const now = this.clock();
      const dueAt = row.availableAt;
      if (outcome.kind === 'complete') {
        this.finish(row, 'completed', now);
        row.processedAt = new Date(now);
        row.errorMessage = null;
        this.countFinished(row.queueName, now, 'completed');
        if (outcome.next && outcome.next.length > 0) await this.enqueue({ jobs: outcome.next });
        if (row.meta !== null) await this.afterFinish(row, now);
      } else if (outcome.kind === 'retry') {
        this.finish(row, 'retrying', now);
        row.errorMessage = outcome.error;
        this.schedule(row, now + Math.max(0, outcome.delayMs), now);
      } else if (outcome.kind === 'fail') {
        this.finish(row, 'failed', now);
        row.errorMessage = outcome.error;
        row.failedAt = new Date(now);
        this.countFinished(row.queueName, now, 'failed');
        if (row.meta !== null) await this.afterFinish(row, now);
      } else {
        this.putBack(row, now, now + Math.max(0, outcome.delayMs ?? 0));
      }
      if (outcome.kind !== 'release') this.attemptEnded(row, dueAt, now);
      results.push({ status: 'ok' });
    }
    return results;
  }

  async countDue({ queue, limit }: { queue: string; limit: number }): Promise<number> {
    const state = this.queues.get(queue);
    if (!state || this.paused.has(queue)) return 0;
    this.promoteDue(state, this.clock());
    return Math.min(limit, state.ready.size);
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    const now = this.clock();
    const lost: string[] = [];
    for (const lease of leases) {
      const row = this.leased(lease.id, lease.leaseToken);
      if (row) row.leaseExpiresAt = now + leaseMs;
      else lost.push(lease.id);
    }
    return { lost };
  }

  async recoverExpired({ queue, limit }: RecoverParams): Promise<RecoverResult> {
    const now = this.clock();
    const result: RecoverResult = { requeued: [], failed: [] };
    const states = queue
      ? [this.queues.get(queue)].filter((s) => s !== undefined)
      : [...this.queues.values()];
    for (const state of states) {
      for (const row of state.processing) {
        if (result.requeued.length + result.failed.length >= limit) return result;
        if (row.leaseExpiresAt === null || row.leaseExpiresAt > now) continue;
        if (row.reservedAt === null) {
          // Held, never started: back as it was, no attempt counted, nothing failed.
          this.putBack(row, now, now);
          result.requeued.push(row.id);
          continue;
        }
        const error = `Worker died during attempt ${row.attempts}/${row.maxAttempts} (its lease expired)`;
        const dueAt = row.availableAt;
        row.errorMessage = error;
        if (row.attempts >= row.maxAttempts) {
          this.finish(row, 'failed', now);
          row.failedAt = new Date(now);
          this.countFinished(row.queueName, now, 'failed');
          if (row.meta !== null) await this.afterFinish(row, now);
          result.failed.push(publicRow(row));
        } else {
          this.finish(row, 'retrying', now);
          this.schedule(row, now, now);
          result.requeued.push(row.id);
        }
        this.attemptEnded(row, dueAt, now);
      }
    }
    return result;
  }

  async find({ id }: { id: string }): Promise<StoredJob | null> {
    const row = this.rows.get(id);
    return row ? { ...publicRow(row), progress: row.progress ?? null, result: row.result ?? null } : null;
  }

  async saveJobData({ id, leaseToken, progress, result }: JobDataParams): Promise<boolean> {
    const row = this.leased(id, leaseToken);
    if (!row) return false;
    if (progress !== undefined) row.progress = progress;
    if (result !== undefined) row.result = result;
    return true;
  }

  async createBatch({ batch, jobs }: { batch: NewBatch; jobs: NewJob[] }): Promise<void> {
    this.batches.create(batch, jobs.length, this.clock());
    await this.enqueue({ jobs });
  }

  async addToBatch({ id, jobs }: { id: string; jobs: NewJob[] }): Promise<boolean> {
    if (!this.batches.add(id, jobs.length)) return false;
    await this.enqueue({ jobs });
    return true;
  }

  async findBatch({ id }: { id: string }): Promise<StoredBatch | null> {
    return this.batches.find(id);
  }

  async cancelBatch({ id }: { id: string }): Promise<boolean> {
    return this.batches.cancel(id, this.clock());
  }

  async listBatches({ limit, offset }: { limit: number; offset: number }): Promise<StoredBatch[]> {
    return this.batches.list(limit, offset);
  }

  async saveSchedule({ schedule }: { schedule: Omit<StoredSchedule, 'lastTick'> }): Promise<void> {
    const lastTick = this.scheduleRows.get(schedule.name)?.lastTick ?? null;
    this.scheduleRows.set(schedule.name, { ...schedule, lastTick });
  }

  async removeSchedule({ name }: { name: string }): Promise<boolean> {
    return this.scheduleRows.delete(name);
  }

  async schedules(): Promise<StoredSchedule[]> {
    return [...this.scheduleRows.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((s) => ({ ...s }));
  }

  async claimTick({ name, tick, job }: { name: string; tick: Date; job: NewJob }): Promise<boolean> {
    const row = this.scheduleRows.get(name);
    if (!row || (row.lastTick !== null && row.lastTick.getTime() >= tick.getTime())) return false;
    row.lastTick = new Date(tick.getTime());
    await this.enqueue({ jobs: [job] });
    return true;
  }

  async list({ queue, status, search, limit, offset, order = 'newest' }: ListParams): Promise<ListResult> {
    let rows = [...this.rows.values()].filter(
      (r) =>
        (!queue || r.queueName === queue) &&
        (!status || r.status === status) &&
        (!search ||
          r.id === search ||
          r.jobName.includes(search) ||
          r.payload.includes(search) ||
          (r.errorMessage?.includes(search) ?? false)),
    );
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (order === 'newest') rows.reverse();
    const total = rows.length;
    rows = rows.slice(offset, offset + limit);
    return { jobs: rows.map(publicRow), total };
  }

  async retryFailed({ ids, queue }: RetryFailedParams): Promise<number> {
    const now = this.clock();
    const candidates = ids === 'all' ? [...this.rows.values()] : ids.map((id) => this.rows.get(id));
    let count = 0;
    for (const row of candidates) {
      if (row?.status !== 'failed' || (queue && row.queueName !== queue)) continue;
      if (row.uniqueKey && !this.takeUniqueKey(row, now)) continue;
      row.status = 'pending';
      row.attempts = 0;
      row.failedAt = null;
      row.errorMessage = null;
      row.updatedAt = new Date(now);
      this.batches.jobRevived(row.meta);
      this.schedule(row, now, now);
      count++;
      this.wakeups.emit('wake', row.queueName);
    }
    return count;
  }

  async clearFailed({ queue, ids }: ClearFailedParams): Promise<number> {
    const only = ids ? new Set(ids) : null;
    return this.removeWhere(
      (r) => r.status === 'failed' && (!queue || r.queueName === queue) && (!only || only.has(r.id)),
    );
  }

  async prune({ statuses, olderThanMs, queue }: PruneParams): Promise<number> {
    const cutoff = this.clock() - olderThanMs;
    return this.removeWhere(
      (r) =>
        (statuses as string[]).includes(r.status) &&
        (!queue || r.queueName === queue) &&
        (r.processedAt ?? r.failedAt ?? r.updatedAt).getTime() < cutoff,
    );
  }

  async counts({ queue }: QueueFilter): Promise<QueueCounts[]> {
    const now = this.clock();
    const counts = new CountsByQueue();
    if (queue) counts.get(queue);
    for (const row of this.rows.values()) {
      if (queue && row.queueName !== queue) continue;
      const held = row.status === 'processing' && row.reservedAt === null;
      const c = counts.add(row.queueName, held ? 'pending' : row.status, 1);
      if ((row.status === 'pending' || row.status === 'retrying') && row.availableAt.getTime() <= now) {
        const age = now - row.availableAt.getTime();
        c.oldestPendingMs = Math.max(c.oldestPendingMs ?? 0, age);
      }
    }
    return counts.sorted();
  }

  async registerWorker(params: RegisterWorkerParams): Promise<void> {
    const now = this.clock();
    const existing = this.workerRegistry.get(params.workerId);
    this.workerRegistry.set(params.workerId, {
      info: {
        workerId: params.workerId,
        host: params.host,
        pid: params.pid,
        queues: [...params.queues],
        concurrency: params.concurrency,
        held: params.held ?? 0,
        startedAt: existing?.info.startedAt ?? new Date(now),
        lastHeartbeatAt: new Date(now),
        jobsDone: params.jobsDone,
      },
      expiresAt: now + params.ttlMs,
    });
  }

  async unregisterWorker({ workerId }: { workerId: string }): Promise<void> {
    this.workerRegistry.delete(workerId);
  }

  async workers(): Promise<WorkerInfo[]> {
    const now = this.clock();
    const live: WorkerInfo[] = [];
    for (const [id, entry] of this.workerRegistry) {
      if (entry.expiresAt <= now) this.workerRegistry.delete(id);
      else live.push({ ...entry.info, queues: [...entry.info.queues] });
    }
    return live;
  }

  async logActivity({ entries }: { entries: NewActivityEntry[] }): Promise<void> {
    const createdAt = new Date(this.clock());
    for (const entry of entries) this.activityLog.push({ ...entry, createdAt });
    // Bounded so a long-lived development process does not grow without end.
    if (this.activityLog.length > 100_000) this.activityLog.splice(0, this.activityLog.length - 100_000);
  }

  async activity({ jobId, limit }: { jobId?: string; limit: number }): Promise<ActivityEntry[]> {
    const out: ActivityEntry[] = [];
    for (let i = this.activityLog.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.activityLog[i]!;
      if (!jobId || entry.jobId === jobId) out.push({ ...entry });
    }
    return out;
  }

  async throughput({ queue, minutes }: { queue?: string; minutes: number }): Promise<ThroughputBucket[]> {
    const current = Math.floor(this.clock() / MINUTE);
    const buckets = minuteBuckets(current - (minutes - 1), current);
    for (const bucket of buckets) {
      const m = bucket.minute.getTime();
      for (const [name, perMinute] of this.finishedPerMinute) {
        if (queue && name !== queue) continue;
        const b = perMinute.get(m);
        bucket.completed += b?.completed ?? 0;
        bucket.failed += b?.failed ?? 0;
      }
    }
    return buckets;
  }

  async cancel({ id, reason }: { id: string; reason: string }): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return false;
    const now = this.clock();
    const waiting = row.status === 'pending' || row.status === 'retrying';
    if (waiting || (row.status === 'processing' && row.reservedAt === null)) {
      this.finish(row, 'failed', now);
      row.errorMessage = reason.startsWith(CANCELLED) ? reason : `${CANCELLED}: ${reason}`;
      row.failedAt = new Date(now);
      this.countFinished(row.queueName, now, 'failed');
      if (row.meta !== null) await this.afterFinish(row, now);
      return true;
    }
    if (row.status !== 'processing') return false;
    row.cancelLease = row.leaseToken;
    return true;
  }

  async cancelRequested({
    leases,
  }: {
    leases: Array<{ id: string; leaseToken: string }>;
  }): Promise<string[]> {
    return leases.filter((l) => this.rows.get(l.id)?.cancelLease === l.leaseToken).map((l) => l.id);
  }

  async setQueueLimits({ queue, limits }: { queue: string; limits: QueueLimits }): Promise<void> {
    this.flow.setLimits(queue, limits);
    this.wakeups.emit('wake', queue);
  }

  async queueLimits({ queue }: { queue: string }): Promise<QueueLimits> {
    return { ...(this.flow.limits.get(queue) ?? NO_LIMITS) };
  }

  async limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>> {
    return [...this.flow.limits]
      .filter(([, limits]) => hasLimits(limits))
      .map(([queue, limits]) => ({ queue, limits: { ...limits } }))
      .sort((a, b) => (a.queue < b.queue ? -1 : 1));
  }

  async acquireLock({ key, owner, ttlMs }: LockParams & { ttlMs: number }): Promise<boolean> {
    return this.flow.acquireLock(key, owner, ttlMs, this.clock());
  }

  async releaseLock({ key, owner }: LockParams): Promise<void> {
    this.flow.releaseLock(key, owner);
  }

  async hitCounter(params: CounterParams): Promise<CounterHit> {
    return this.flow.hit(params.key, params.windowMs, params.max, this.clock());
  }

  async clearCounter({ key }: { key: string }): Promise<void> {
    this.flow.clear(key);
  }

  async pauseQueue({ queue }: { queue: string }): Promise<void> {
    this.paused.add(queue);
  }

  async resumeQueue({ queue }: { queue: string }): Promise<void> {
    this.paused.delete(queue);
    this.wakeups.emit('wake', queue);
  }

  async pausedQueues(): Promise<string[]> {
    return [...this.paused].sort();
  }

  async subscribe(listener: WakeListener): Promise<() => void> {
    this.wakeups.on('wake', listener);
    return () => this.wakeups.off('wake', listener);
  }

  async close(): Promise<void> {
    this.wakeups.removeAllListeners();
  }

  private insert(job: NewJob, now: number): MemoryRow {
    const availableAt = job.availableAt ? job.availableAt.getTime() : now + job.delayMs;
    // One Date for the three times a new due job shares: a million stored jobs then cost a
    // million Date objects, not four million, for the GC to mark. The driver never mutates a Date.
    const created = new Date(now);
    const row: MemoryRow = {
      id: job.id,
      queueName: job.queueName,
      jobName: job.jobName,
      payload: job.payload,
      attempts: 0,
      maxAttempts: job.maxAttempts,
      status: 'pending',
      priority: job.priority,
      availableAt: availableAt === now ? created : new Date(availableAt),
      reservedAt: null,
      processedAt: null,
      failedAt: null,
      errorMessage: null,
      timeoutSeconds: job.timeoutSeconds,
      createdAt: created,
      updatedAt: created,
      meta: job.meta,
      leaseToken: null,
      leaseExpiresAt: null,
      heldFrom: 'pending',
      seq: 0,
      uniqueKey: job.uniqueKey ?? null,
      uniqueUntil: job.uniqueKey && job.uniqueForMs ? now + job.uniqueForMs : null,
      group: job.group ?? null,
      cancelLease: null,
    };
    this.rows.set(row.id, row);
    this.enterHeap(row, availableAt, now);
    return row;
  }

  /** Puts a waiting row in its queue's ready or delayed heap. */
  private schedule(row: MemoryRow, dueAt: number, now: number): void {
    row.availableAt = new Date(dueAt);
    this.enterHeap(row, dueAt, now);
  }

  private enterHeap(row: MemoryRow, dueAt: number, now: number): void {
    row.seq += 1;
    const state = this.queueState(row.queueName);
    const entry = { row, seq: row.seq };
    if (dueAt <= now) state.ready.push(entry);
    else state.delayed.push(entry);
  }

  private promoteDue(state: QueueState, now: number): void {
    for (
      let top = state.delayed.peek();
      top && top.row.availableAt.getTime() <= now;
      top = state.delayed.peek()
    ) {
      state.delayed.pop();
      if (top.seq === top.row.seq) state.ready.push(top);
    }
  }

  private queueState(queue: string): QueueState {
    let state = this.queues.get(queue);
    if (!state) {
      state = {
        // Lower priority first, then oldest (ULIDs sort by creation time).
        ready: new MinHeap((a, b) =>
          a.row.priority !== b.row.priority ? a.row.priority < b.row.priority : a.row.id < b.row.id,
        ),
        delayed: new MinHeap((a, b) => a.row.availableAt.getTime() < b.row.availableAt.getTime()),
        processing: new Set(),
      };
      this.queues.set(queue, state);
    }
    return state;
  }

  /** The row, if `lease` still holds it. */
  private leased(id: string, leaseToken: string): MemoryRow | undefined {
    const row = this.rows.get(id);
    return row && row.status === 'processing' && row.leaseToken === leaseToken ? row : undefined;
  }

  /** Ends a reservation; `reservedAt` stays: it is when the last attempt started. */
  private finish(row: MemoryRow, status: MemoryRow['status'], now: number): void {
    this.queues.get(row.queueName)?.processing.delete(row);
    row.status = status;
    row.leaseToken = null;
    row.leaseExpiresAt = null;
    row.updatedAt = new Date(now);
  }

  /** Gives a reservation back: a held job as it was, a started one without its attempt. */
  private putBack(row: MemoryRow, now: number, dueAt: number): void {
    if (row.reservedAt !== null) row.attempts -= 1;
    this.finish(row, row.heldFrom, now);
    row.reservedAt = null;
    this.schedule(row, dueAt, now);
  }

  /** A job finished for good: its batch's counters and due callbacks move in the same step. */
  private async afterFinish(row: MemoryRow, now: number): Promise<void> {
    const status = row.status === 'completed' ? 'completed' : 'failed';
    const callbacks = this.batches.jobFinished(row.meta, status, row.errorMessage, now);
    if (callbacks.length > 0) await this.enqueue({ jobs: callbacks });
  }

  private countFinished(queue: string, now: number, kind: 'completed' | 'failed'): void {
    let perMinute = this.finishedPerMinute.get(queue);
    if (!perMinute) {
      perMinute = new Map();
      this.finishedPerMinute.set(queue, perMinute);
    }
    const minute = Math.floor(now / MINUTE) * MINUTE;
    let bucket = perMinute.get(minute);
    if (!bucket) {
      bucket = { completed: 0, failed: 0 };
      perMinute.set(minute, bucket);
      // Keep two hours of buckets at most. Pruned only when a minute is added: the map only grows
      // then, so finishing a job in a long-running queue does not walk all 121 buckets every time.
      if (perMinute.size > 120) {
        for (const key of perMinute.keys()) if (key < minute - 120 * MINUTE) perMinute.delete(key);
      }
    }
    bucket[kind]++;
  }

  /** Records the attempt that just ended (the row already shows its outcome). */
  private attemptEnded(row: MemoryRow, dueAt: Date, now: number): void {
    if (!this.insights || row.reservedAt === null) return;
    const outcome = row.status === 'completed' ? 'completed' : row.status === 'failed' ? 'failed' : 'retried';
    this.insights.ended(
      {
        id: row.id,
        queueName: row.queueName,
        jobName: row.jobName,
        attempts: row.attempts,
        workerId: row.reservedBy ?? null,
        reservedAt: row.reservedAt,
        dueAt,
        error: row.errorMessage,
      },
      outcome,
      now,
    );
  }

  async runningJobs({ limit }: { limit: number }): Promise<RunningJob[]> {
    const out: RunningJob[] = [];
    for (const state of this.queues.values()) {
      for (const row of state.processing) {
        if (out.length >= limit) return out;
        out.push({
          id: row.id,
          queueName: row.queueName,
          jobName: row.jobName,
          workerId: row.reservedBy ?? null,
          startedAt: row.reservedAt,
          attempts: row.attempts,
        });
      }
    }
    return out;
  }

  async attemptHistory(params: { id: string; limit: number }): Promise<AttemptRecord[]> {
    return this.insights ? this.insights.attemptHistory(params) : [];
  }

  async metricCells(query: MetricQuery): Promise<MetricCell[]> {
    return this.insights ? this.insights.metricCells(query) : [];
  }

  async metricTimeline(query: MetricQuery): Promise<MetricPoint[]> {
    return this.insights ? this.insights.metricTimeline(query) : [];
  }

  private removeWhere(predicate: (row: MemoryRow) => boolean): number {
    let count = 0;
    for (const [id, row] of this.rows) {
      if (predicate(row)) {
        this.insights?.forget(id);
        this.rows.delete(id);
        row.seq += 1;
        count++;
      }
    }
    return count;
  }
}

/** One literal rather than publicRow() plus a field: every reserved row keeps one object shape on the hot path. */
function reservedRow(row: MemoryRow, leaseToken: string): ReservedJob {
  return {
    id: row.id,
    queueName: row.queueName,
    jobName: row.jobName,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    status: row.status,
    priority: row.priority,
    availableAt: row.availableAt,
    reservedAt: row.reservedAt,
    processedAt: row.processedAt,
    failedAt: row.failedAt,
    errorMessage: row.errorMessage,
    timeoutSeconds: row.timeoutSeconds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    meta: row.meta,
    leaseToken,
  };
}

function publicRow(row: MemoryRow): StoredJob {
  return {
    id: row.id,
    queueName: row.queueName,
    jobName: row.jobName,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    status: row.status,
    priority: row.priority,
    availableAt: row.availableAt,
    reservedAt: row.reservedAt,
    processedAt: row.processedAt,
    failedAt: row.failedAt,
    errorMessage: row.errorMessage,
    timeoutSeconds: row.timeoutSeconds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    meta: row.meta,
  };
}
