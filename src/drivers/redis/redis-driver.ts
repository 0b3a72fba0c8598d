import { randomUUID } from 'node:crypto';
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
import { decodeJob, FIELD_COUNT, jobArgs, queueOfToken } from './codec.js';
import { RedisComposition } from './composition-store.js';
import {
  closeClient,
  connect,
  isCommandTimeout,
  type RedisClient,
  type RedisClientLike,
  type RedisQueueDriverOptions,
  type ResolvedOptions,
  resolveOptions,
} from './connection.js';
import { RedisHistoryReads } from './history.js';
import { GlobalKeys, QueueKeys } from './keys.js';
import { ClusterOutbox } from './outbox.js';
import { RedisFlow } from './redis-flow.js';
import { RedisReads } from './redis-reads.js';
import { ScriptRunner } from './scripts.js';
import { Wakeups } from './wakeups.js';

export type { RedisClientLike, RedisQueueDriverOptions } from './connection.js';

type Reply = Array<string | number | null>;

/** Appends the reserved jobs of a script reply (`FIELD_COUNT` values each, from `offset` up to `end`) to `into`. */
function decodeReserved(
  reply: Reply,
  offset: number,
  into: ReservedJob[],
  end = reply.length,
): ReservedJob[] {
  for (let i = offset; i + FIELD_COUNT <= end; i += FIELD_COUNT) {
    const job = decodeJob(reply, i) as ReservedJob | null;
    if (!job) continue;
    job.leaseToken = String(reply[i + FIELD_COUNT - 1]);
    into.push(job);
  }
  return into;
}

/** Batches of at most this many are handled by one script call (recover, retry-all, prune). */
const CHUNK = 500;
const ENQUEUE_CHUNK = 100;

const KIND = { complete: 'c', retry: 'r', fail: 'f', release: 'x' } as const;

/**
 * The move of outbox entries right after the step that wrote them (Redis Cluster; outbox.ts). The
 * step is stored already: a move that fails now (a dropped connection) must not fail the call,
 * which would report a stored completion, batch or claim as not done; the entries stay in their
 * outbox and the next sweep (recoverExpired) moves them on.
 */
async function movedLater(move: Promise<void>): Promise<void> {
  await move.catch(() => {});
}

function delayOf(o: Outcome): number {
  return o.kind === 'retry' || o.kind === 'release' ? Math.max(0, Math.ceil(o.delayMs ?? 0)) : 0;
}

function errorOf(o: Outcome): string {
  return o.kind === 'retry' || o.kind === 'fail' ? o.error : '';
}

/**
 * Keeps jobs in Redis: every state change is one Lua script (src/drivers/redis/lua), time comes
 * from Redis `TIME`, and all keys of a queue share the hash tag `{prefix:queue}` so the driver
 * also runs on Redis Cluster. See docs/redis.md for the data model.
 */
export class RedisQueueDriver implements QueueDriver {
  readonly name = 'redis';
  readonly capabilities: DriverCapabilities = {
    durable: true,
    multiProcess: true,
    crossProcessWakeups: true,
    transactionalEnqueue: false,
    pause: true,
  };

  private readonly options: ResolvedOptions;
  private readonly global: GlobalKeys;
  private client: RedisClient | undefined;
  private opening: Promise<RedisClient> | undefined;
  private scripts: ScriptRunner | undefined;
  private reads: RedisReads | undefined;
  private historyReads: RedisHistoryReads | undefined;
  private readonly ownsClient: boolean;
  private readonly queueKeys = new Map<string, QueueKeys>();
  /** Queues this process has recorded in the queue registry already. */
  private readonly registered = new Set<string>();
  private readonly wakeups: Wakeups;
  private closed = false;
  private lastReconnect = -Infinity;
  private readonly composition = new RedisComposition({
    prefix: () => this.options.prefix,
    channel: () => this.channel,
    keys: (queue) => this.keys(queue),
    run: (name, keys, args) => this.run(name, keys, args),
    command: (name, ...args) => this.command(name, ...args),
    registerQueue: (queue) => this.registerQueue(queue),
    clustered: async () => Boolean((await this.open()).isCluster),
    moveCross: (entry) => movedLater(this.moveCrossEntry(entry)),
  });
  private readonly outbox: ClusterOutbox;

  constructor(clientOrUrl: string | RedisClientLike | RedisQueueDriverOptions) {
    this.options = resolveOptions(clientOrUrl);
    this.ownsClient = this.options.client === null;
    this.global = new GlobalKeys(this.options.prefix);
    const driver = this;
    this.outbox = new ClusterOutbox({
      prefix: this.options.prefix,
      get channel() {
        return driver.channel;
      },
      command: (name, ...args) => this.command(name, ...args),
      run: (name, keys, args) => this.run(name, keys, args),
      keys: (queue) => this.keys(queue),
      registerQueue: (queue) => this.registerQueue(queue),
      moveCross: (entry) => this.moveCrossEntry(entry),
    });
    this.wakeups = new Wakeups(
      this.global.wakeChannel,
      () => this.queueKeys.keys(),
      this.options.commandTimeoutMs,
    );
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.options.prefix;
  }

  async migrate(): Promise<void> {
    // Redis needs no schema; opening checks that ioredis and the Lua files are there.
    await this.open();
  }

  async enqueue({ jobs }: EnqueueParams): Promise<EnqueueResult | undefined> {
    if (jobs.length === 0) return;
    await this.open();
    if (jobs.some((job) => job.uniqueKey || job.group)) return this.enqueueFlow(jobs);
    const byQueue = new Map<string, NewJob[]>();
    for (const job of jobs) {
      const list = byQueue.get(job.queueName);
      if (list) list.push(job);
      else byQueue.set(job.queueName, [job]);
    }
    await Promise.all(
      [...byQueue].map(async ([queue, group]) => {
        const k = this.keys(queue);
        const registering = this.registerQueue(queue);
        // Calls of 100 jobs keep each script short (a 500-job call held Redis for 10-14 ms); sent
        // together on one connection they still run in order, one round trip in all.
        const calls: Array<Promise<unknown>> = [];
        for (let i = 0; i < group.length; i += ENQUEUE_CHUNK) {
          const args: Array<string | number> = [k.base, queue, this.channel];
          for (const job of group.slice(i, i + ENQUEUE_CHUNK)) args.push(...jobArgs(job));
          calls.push(this.run('enqueue', [k.ready, k.delayed, k.pending, k.all], args));
        }
        await Promise.all([registering, ...calls]);
        const delays = group.filter((j) => j.availableAt === null && j.delayMs > 0).map((j) => j.delayMs);
        if (delays.length > 0) this.wakeups.wakeLater(queue, Math.min(...delays));
      }),
    );
  }

  async reserve({ queue, limit, leaseMs, workerId, start }: ReserveParams): Promise<ReservedJob[]> {
    if (limit <= 0) return [];
    // Queues with limits reserve in flow-reserve.lua; "has limits" is cached for a second.
    const limits = await this.flow.cachedLimits(queue);
    if (limits) {
      const r = await this.flow.reserveLimited(
        queue,
        limits,
        Math.min(limit, start ?? limit),
        leaseMs,
        workerId,
      );
      if (r.nextDue >= 0) this.wakeups.wakeLater(queue, r.nextDue - r.now);
      return r.jobs;
    }
    const k = this.keys(queue);
    // Tokens carry their queue (`<queue>/<random>.<n>`): later verbs name only id and token.
    const reply = await this.run<Reply>(
      'reserve',
      [k.ready, k.delayed, k.active, k.pending, k.retrying, k.failed, k.paused, k.held],
      [
        k.base,
        Math.trunc(limit),
        Math.max(1, Math.round(leaseMs)),
        `${queue}/${randomUUID()}.`,
        workerId,
        1,
        Math.min(limit, start ?? limit),
      ],
    );
    const nextDue = Number(reply[0]);
    const now = Number(reply[1]);
    if (nextDue >= 0) this.wakeups.wakeLater(queue, nextDue - now);
    return decodeReserved(reply, 2, []);
  }

  async start({ leases, leaseMs }: StartParams): Promise<StartResult> {
    return { lost: await this.perQueueLeases('start', leases, leaseMs, (k) => [k.active, k.held]) };
  }

  /**
   * Runs a lease script once per queue for all its leases (ids and tokens as ARGV after the key
   * base and the lease length); returns the ids whose lease is no longer held.
   */
  private async perQueueLeases(
    script: 'start' | 'heartbeat',
    leases: LeaseRef[],
    leaseMs: number,
    keysOf: (k: ReturnType<RedisQueueDriver['keys']>) => string[],
  ): Promise<string[]> {
    const lost: string[] = [];
    await Promise.all(
      [...this.byQueue(leases, lost)].map(async ([queue, group]) => {
        const k = this.keys(queue);
        const args: Array<string | number> = [k.base, Math.max(1, Math.round(leaseMs))];
        for (const lease of group) args.push(lease.id, lease.leaseToken);
        lost.push(...(await this.run<string[]>(script, keysOf(k), args)).map(String));
      }),
    );
    return lost;
  }

  /**
   * The outcomes' scripts and then the start script go out together on the one connection
   * (pipelined: one round trip); Redis runs each script atomically and in the order sent, so
   * the held jobs are charged after the outcomes they follow, never before. Chained outcomes
   * may first register another queue: their start waits for the settle instead.
   */
  async settleAndStart({ outcomes, start, leaseMs }: SettleAndStartParams): Promise<SettleAndStartResult> {
    if (!this.scripts) await this.open();
    const settling = this.settle({ outcomes });
    if (start.length === 0) return { outcomes: await settling, lost: [] };
    const chained = outcomes.some((o) => o.kind === 'complete' && (o.next?.length ?? 0) > 0);
    const [results, { lost }] = chained
      ? [await settling, await this.start({ leases: start, leaseMs })]
      : await Promise.all([settling, this.start({ leases: start, leaseMs })]);
    return { outcomes: results, lost };
  }

  /** One script call per queue for all its outcomes; each outcome gets its own result. */
  async settle({ outcomes }: SettleParams): Promise<OutcomeResult[]> {
    const results: OutcomeResult[] = outcomes.map(() => ({ status: 'lost' }));
    const groups = new Map<string, number[]>();
    outcomes.forEach((o, i) => {
      const queue = queueOfToken(o.leaseToken);
      if (queue === null) return;
      const list = groups.get(queue);
      if (list) list.push(i);
      else groups.set(queue, [i]);
    });
    if (groups.size === 0) return results;
    // No await before the scripts are sent when connected (settleAndStart relies on the order).
    if (!this.scripts) await this.open();
    const outboxes = new Map<string, string[]>();
    await Promise.all(
      [...groups].map(async ([queue, indexes]) => {
        const k = this.keys(queue);
        const args: Array<string | number> = [k.base, this.channel, queue, indexes.length, this.outboxOf(k)];
        for (const i of indexes) {
          const o = outcomes[i]!;
          const next = o.kind === 'complete' ? (o.next ?? []) : [];
          // A cluster cannot touch another queue's slot in this script: such a link goes to this
          // queue's outbox with the completion (base ''), and is moved on below (outbox.ts).
          const viaOutbox = (job: NewJob) => Boolean(this.client?.isCluster) && job.queueName !== queue;
          for (const job of next) if (job.queueName !== queue) await this.registerQueue(job.queueName);
          args.push(KIND[o.kind], o.id, o.leaseToken, delayOf(o), errorOf(o), next.length);
          for (const job of next) {
            args.push(viaOutbox(job) ? '' : this.keys(job.queueName).base, job.queueName, ...jobArgs(job));
          }
        }
        const reply = await this.run<Array<number | string>>(
          'settle',
          [
            k.active,
            k.completed,
            k.throughput,
            k.retrying,
            k.failed,
            k.pending,
            k.held,
            ...this.historyKey(k),
          ],
          args,
        );
        indexes.forEach((at, n) => {
          results[at] = Number(reply[n]) === 1 ? { status: 'ok' } : { status: 'lost' };
        });
        // Then the outbox entries it wrote (cluster: chain links, batch events), moved on below.
        if (reply.length > indexes.length) outboxes.set(queue, reply.slice(indexes.length).map(String));
        const delays = indexes.map((i) => outcomes[i]!).filter((o) => o.kind === 'retry' && o.delayMs > 0);
        for (const o of delays) this.wakeups.wakeLater(queue, delayOf(o));
      }),
    );
    for (const [queue, entries] of outboxes) await movedLater(this.drainOutbox(this.keys(queue), entries));
    return results;
  }

  async countDue({ queue, limit }: { queue: string; limit: number }): Promise<number> {
    const k = this.keys(queue);
    return Number(await this.run('count-due', [k.ready, k.delayed], [Math.max(0, Math.trunc(limit))]));
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    return { lost: await this.perQueueLeases('heartbeat', leases, leaseMs, (k) => [k.active]) };
  }

  async recoverExpired({ queue, limit }: RecoverParams): Promise<RecoverResult> {
    const result: RecoverResult = { requeued: [], failed: [] };
    const queues = queue ? [queue] : await this.knownQueues();
    for (const name of queues) {
      const room = limit - result.requeued.length - result.failed.length;
      if (room <= 0) break;
      const k = this.keys(name);
      const reply = await this.run<Array<string | number | null>>(
        'recover',
        [k.active, k.retrying, k.failed, k.throughput, k.pending, k.held, ...this.historyKey(k)],
        [k.base, Math.min(room, CHUNK), this.channel, name, this.outboxOf(k)],
      );
      // This sweep's batch events, and entries a process wrote and died before moving on (outbox.ts).
      if (this.client?.isCluster) await this.drainOutbox(k);
      const requeued = Number(reply[0]);
      for (let i = 1; i <= requeued; i++) result.requeued.push(String(reply[i]));
      for (let i = 1 + requeued; i + FIELD_COUNT <= reply.length; i += FIELD_COUNT) {
        const job = decodeJob(reply, i);
        if (job) result.failed.push(job);
      }
    }
    if (this.client?.isCluster) await this.drainCrossOutbox();
    return result;
  }

  async find({ id }: { id: string }): Promise<StoredJob | null> {
    const job = await (await this.readSide()).find(id);
    return job ? { ...job, ...(await this.composition.jobData(job.queueName, job.id)) } : null;
  }

  // Progress, results, batches and schedules: composition-store.ts.
  async saveJobData(params: JobDataParams): Promise<boolean> {
    return this.composition.saveJobData(params);
  }

  async createBatch({ batch, jobs }: { batch: NewBatch; jobs: NewJob[] }): Promise<void> {
    await this.composition.storeBatch('create', batch, jobs);
  }

  async addToBatch({ id, jobs }: { id: string; jobs: NewJob[] }): Promise<boolean> {
    const batch = { id, name: null, allowFailures: false, thenJob: null, catchJob: null, finallyJob: null };
    return this.composition.storeBatch('add', batch, jobs);
  }

  async findBatch({ id }: { id: string }): Promise<StoredBatch | null> {
    return this.composition.findBatch(id);
  }

  async cancelBatch({ id }: { id: string }): Promise<boolean> {
    return this.composition.cancelBatch(id);
  }

  async listBatches({ limit, offset }: { limit: number; offset: number }): Promise<StoredBatch[]> {
    return this.composition.listBatches(limit, offset);
  }

  async saveSchedule({ schedule }: { schedule: Omit<StoredSchedule, 'lastTick'> }): Promise<void> {
    await this.composition.saveSchedule(schedule);
  }

  async removeSchedule({ name }: { name: string }): Promise<boolean> {
    return this.composition.removeSchedule(name);
  }

  async schedules(): Promise<StoredSchedule[]> {
    return this.composition.schedules();
  }

  async claimTick({ name, tick, job }: { name: string; tick: Date; job: NewJob }): Promise<boolean> {
    return this.composition.claimTick(name, tick, job);
  }

  async list(params: ListParams): Promise<ListResult> {
    return (await this.readSide()).list(params);
  }

  async retryFailed({ ids, queue }: RetryFailedParams): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    const queues = queue ? [queue] : await this.knownQueues();
    let count = 0;
    for (const name of queues) {
      const k = this.keys(name);
      const before = count;
      const head = [k.base, this.channel, name, this.outboxOf(k)];
      if (ids === 'all') {
        // Bounded by the size at the start, so jobs that fail again meanwhile are not retried twice.
        let left = Number(await this.command('ZCARD', k.failed));
        while (left > 0) {
          const n = await this.run<number>(
            'retry-failed',
            [k.failed, k.pending],
            [...head, 'all', Math.min(left, CHUNK)],
          );
          count += n;
          left -= Math.min(left, CHUNK);
          if (n === 0) break;
        }
      } else {
        count += await this.run<number>('retry-failed', [k.failed, k.pending], [...head, 'ids', ...ids]);
      }
      // Revived jobs of batches count as pending again once their events are moved (cluster).
      if (count > before && this.client?.isCluster) await movedLater(this.drainOutbox(k));
    }
    return count;
  }

  async clearFailed({ queue, ids }: ClearFailedParams): Promise<number> {
    if (ids === undefined) return this.removeFinished(queue, ['failed'], '');
    if (ids.length === 0) return 0;
    // As in retryFailed: a job's keys live under its queue, so each known queue is asked for the ids.
    const unique = [...new Set(ids)];
    let removed = 0;
    for (const name of queue ? [queue] : await this.knownQueues()) {
      const k = this.keys(name);
      for (let i = 0; i < unique.length; i += CHUNK) {
        const chunk = unique.slice(i, i + CHUNK);
        removed += await this.run<number>('remove-finished', [k.failed, k.all], [k.base, 'ids', ...chunk]);
      }
    }
    return removed;
  }

  async prune({ statuses, olderThanMs, queue }: PruneParams): Promise<number> {
    return this.removeFinished(queue, statuses, Math.max(0, Math.round(olderThanMs)));
  }

  async counts({ queue }: QueueFilter): Promise<QueueCounts[]> {
    return (await this.readSide()).counts(queue);
  }

  async registerWorker(params: RegisterWorkerParams): Promise<void> {
    const info = {
      host: params.host,
      pid: params.pid,
      queues: params.queues,
      concurrency: params.concurrency,
      jobsDone: params.jobsDone,
      held: params.held ?? 0,
    };
    await this.run(
      'register-worker',
      [this.global.workers, this.global.workersExpiry],
      [params.workerId, JSON.stringify(info), Math.max(1, Math.round(params.ttlMs))],
    );
  }

  async unregisterWorker({ workerId }: { workerId: string }): Promise<void> {
    await this.run('unregister-worker', [this.global.workers, this.global.workersExpiry], [workerId]);
  }

  async workers(): Promise<WorkerInfo[]> {
    return (await this.readSide()).workers();
  }

  async logActivity({ entries }: { entries: NewActivityEntry[] }): Promise<void> {
    if (entries.length === 0) return;
    await this.run(
      'log-activity',
      [this.global.activity],
      [this.options.activityLimit, ...entries.map((e) => JSON.stringify(e))],
    );
  }

  async activity(params: { jobId?: string; limit: number }): Promise<ActivityEntry[]> {
    return (await this.readSide()).activity(params);
  }

  async throughput(params: { queue?: string; minutes: number }): Promise<ThroughputBucket[]> {
    return (await this.readSide()).throughput(params);
  }

  async pauseQueue({ queue }: { queue: string }): Promise<void> {
    await this.registerQueue(queue);
    await this.run('pause', [this.keys(queue).paused], ['pause', this.channel, queue]);
    await this.command('SADD', this.global.pausedQueues, queue);
  }

  async resumeQueue({ queue }: { queue: string }): Promise<void> {
    await this.run('pause', [this.keys(queue).paused], ['resume', this.channel, queue]);
    await this.command('SREM', this.global.pausedQueues, queue);
  }

  async pausedQueues(): Promise<string[]> {
    const names = (await this.command('SMEMBERS', this.global.pausedQueues)) as string[];
    return names.map(String).sort();
  }

  async subscribe(listener: WakeListener): Promise<() => void> {
    if (!this.options.wakeups) return () => {};
    return this.wakeups.subscribe(await this.open(), listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.wakeups.close();
    const client = this.client ?? (await this.opening?.catch(() => undefined));
    if (client && this.ownsClient) await closeClient(client);
  }

  /**
   * Moves a queue's outbox on: chain links into their queues, batch events onto their batches
   * (Redis Cluster only; see outbox.ts): `entries` when given (what this process just wrote),
   * else all. Protected for the crash tests.
   */
  protected async drainOutbox(k: QueueKeys, entries?: string[]): Promise<void> {
    if (entries) await this.outbox.moveQueueEntries(k, entries);
    else await this.outbox.drainQueue(k);
  }

  /** Moves the cross-queue outbox on: batch jobs, callbacks and schedule ticks (cluster only). */
  protected async drainCrossOutbox(): Promise<void> {
    await this.outbox.drainCross();
  }

  /** Moves one cross-queue entry this process just wrote (cluster only). Protected for the crash tests. */
  protected async moveCrossEntry(entry: string): Promise<void> {
    await this.outbox.moveCross(entry);
  }

  /** The queue's outbox key on Redis Cluster, where its scripts write batch events; '' on one server. */
  private outboxOf(k: QueueKeys): string {
    return this.client?.isCluster ? k.outbox : '';
  }

  private get channel(): string {
    return this.options.wakeups ? this.global.wakeChannel : '';
  }

  /** Unique or grouped jobs, per queue through flow-enqueue.lua; ids in the order given. */
  private async enqueueFlow(jobs: NewJob[]): Promise<EnqueueResult> {
    const ids = jobs.map((job) => job.id);
    const byQueue = new Map<string, number[]>();
    for (const [i, job] of jobs.entries())
      byQueue.set(job.queueName, [...(byQueue.get(job.queueName) ?? []), i]);
    await Promise.all(
      [...byQueue].map(async ([queue, indexes]) => {
        await this.registerQueue(queue);
        const stored = await this.flow.enqueue(
          queue,
          indexes.map((i) => jobs[i]!),
        );
        for (const [n, jobIndex] of indexes.entries()) ids[jobIndex] = stored[n] ?? ids[jobIndex]!;
        const delays = indexes
          .map((i) => jobs[i]!)
          .filter((j) => j.availableAt === null && j.delayMs > 0)
          .map((j) => j.delayMs);
        if (delays.length > 0) this.wakeups.wakeLater(queue, Math.min(...delays));
      }),
    );
    return { ids };
  }

  async cancel({ id, reason }: { id: string; reason: string }): Promise<boolean> {
    return this.flow.cancel(id, reason);
  }

  async cancelRequested({ leases }: { leases: LeaseRef[] }): Promise<string[]> {
    await this.open();
    return this.flow.cancelRequested(leases);
  }

  async setQueueLimits({ queue, limits }: { queue: string; limits: QueueLimits }): Promise<void> {
    await this.open();
    await this.flow.setLimits(queue, limits);
    if (this.channel) await this.command('PUBLISH', this.channel, queue);
  }

  async queueLimits({ queue }: { queue: string }): Promise<QueueLimits> {
    await this.open();
    return this.flow.limits(queue);
  }

  async limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>> {
    await this.open();
    return this.flow.limitedQueues();
  }

  async acquireLock({ key, owner, ttlMs }: LockParams & { ttlMs: number }): Promise<boolean> {
    return this.flow.acquireLock(key, owner, ttlMs);
  }

  async releaseLock({ key, owner }: LockParams): Promise<void> {
    await this.flow.releaseLock(key, owner);
  }

  async hitCounter({ key, windowMs, max }: CounterParams): Promise<CounterHit> {
    return this.flow.hit(key, windowMs, max);
  }

  async clearCounter({ key }: { key: string }): Promise<void> {
    await this.flow.clear(key);
  }

  private flowPart: RedisFlow | undefined;

  private get flow(): RedisFlow {
    const driver = this;
    this.flowPart ??= new RedisFlow({
      run: (name, keys, args) => this.run(name, keys, args),
      command: (name, ...args) => this.command(name, ...args),
      keys: (queue) => this.keys(queue),
      global: this.global,
      get channel() {
        return driver.channel;
      },
      find: (id) => this.find({ id }),
      outboxOf: (k) => this.outboxOf(k),
      drainOutbox: (k) => movedLater(this.drainOutbox(k)),
      decodeReserved: (reply, offset) => decodeReserved(reply, offset, []),
    });
    return this.flowPart;
  }

  private keys(queue: string): QueueKeys {
    let k = this.queueKeys.get(queue);
    if (!k) {
      k = new QueueKeys(this.options.prefix, queue);
      this.queueKeys.set(queue, k);
    }
    return k;
  }

  private async open(): Promise<RedisClient> {
    if (this.client) return this.client;
    this.opening ??= (async () => {
      const client =
        this.options.client ??
        (await connect(this.options.url!, this.options.target!, this.options.commandTimeoutMs));
      if (this.ownsClient)
        (client as unknown as { on(e: string, l: () => void): void }).on('error', () => {});
      this.scripts = new ScriptRunner(client, this.options.replication);
      const context = {
        client,
        scripts: this.scripts,
        global: this.global,
        keys: (queue: string) => this.keys(queue),
        knownQueues: () => this.knownQueues(),
      };
      this.reads = new RedisReads(context);
      this.historyReads = new RedisHistoryReads(context, this.options.history);
      this.client = client;
      return client;
    })();
    try {
      return await this.opening;
    } catch (error) {
      this.opening = undefined;
      throw error;
    }
  }

  /** The optional last key of settle and recover: present when history is on (history.lua). */
  private historyKey(k: QueueKeys): string[] {
    return this.options.history ? [k.base] : [];
  }

  async runningJobs({ limit }: { limit: number }): Promise<RunningJob[]> {
    await this.readSide();
    return this.historyReads!.runningJobs(limit);
  }

  async attemptHistory({ id, limit }: { id: string; limit: number }): Promise<AttemptRecord[]> {
    await this.readSide();
    return this.historyReads!.attemptHistory(id, limit);
  }

  async metricCells(query: MetricQuery): Promise<MetricCell[]> {
    await this.readSide();
    return this.historyReads!.metricCells(query);
  }

  async metricTimeline(query: MetricQuery): Promise<MetricPoint[]> {
    await this.readSide();
    return this.historyReads!.metricTimeline(query);
  }

  private async readSide(): Promise<RedisReads> {
    await this.open();
    return this.reads!;
  }

  private async run<T = unknown>(
    name: Parameters<ScriptRunner['run']>[0],
    keys: string[],
    args: Array<string | number>,
  ): Promise<T> {
    if (!this.scripts) await this.open();
    return this.scripts!.run<T>(name, keys, args).catch((error: unknown) => this.unanswered(error));
  }

  private async command(name: string, ...args: Array<string | number>): Promise<unknown> {
    return (await this.open()).call(name, ...args).catch((error: unknown) => this.unanswered(error));
  }

  /**
   * A command with no answer within commandTimeoutMs: the connection may be half-open (nothing
   * arrives, nothing closes), so it is dropped and opened again; the caller's error stands.
   */
  private unanswered(error: unknown): never {
    if (isCommandTimeout(error) && this.ownsClient && this.client && !this.closed) {
      const now = performance.now();
      if (now - this.lastReconnect > this.options.commandTimeoutMs) {
        this.lastReconnect = now;
        this.client.disconnect(true);
      }
    }
    throw error;
  }

  /** Records a queue in the registry of queue names (once per process), so reads over all queues find it. */
  private async registerQueue(queue: string): Promise<void> {
    if (this.registered.has(queue)) return;
    await this.command('SADD', this.global.queues, queue);
    this.registered.add(queue);
  }

  private async knownQueues(): Promise<string[]> {
    const names = (await this.command('SMEMBERS', this.global.queues)) as string[];
    return names.map(String).sort();
  }

  /** Leases grouped by the queue their token names; unparseable tokens go to `lost`. */
  private byQueue(leases: LeaseRef[], lost: string[]): Map<string, LeaseRef[]> {
    const byQueue = new Map<string, LeaseRef[]>();
    for (const lease of leases) {
      const queue = queueOfToken(lease.leaseToken);
      if (queue === null) lost.push(lease.id);
      else {
        const group = byQueue.get(queue);
        if (group) group.push(lease);
        else byQueue.set(queue, [lease]);
      }
    }
    return byQueue;
  }

  private async removeFinished(
    queue: string | undefined,
    statuses: Array<'completed' | 'failed'>,
    olderThanMs: number | '',
  ): Promise<number> {
    const queues = queue ? [queue] : await this.knownQueues();
    let removed = 0;
    for (const name of queues) {
      const k = this.keys(name);
      for (const status of statuses) {
        const set = status === 'completed' ? k.completed : k.failed;
        for (;;) {
          const n = await this.run<number>('remove-finished', [set, k.all], [k.base, olderThanMs, CHUNK]);
          removed += n;
          if (n < CHUNK) break;
        }
      }
    }
    return removed;
  }
}
