import type {
  ActivityEntry,
  ClearFailedParams,
  CompleteParams,
  DriverCapabilities,
  EnqueueParams,
  FailParams,
  HeartbeatParams,
  HeartbeatResult,
  LeaseRef,
  ListParams,
  ListResult,
  NewActivityEntry,
  NewJob,
  PruneParams,
  QueueCounts,
  QueueDriver,
  QueueFilter,
  RecoverParams,
  RecoverResult,
  RegisterWorkerParams,
  ReleaseParams,
  ReservedJob,
  ReserveParams,
  RetryFailedParams,
  RetryParams,
  StoredJob,
  ThroughputBucket,
  TransitionResult,
  WakeListener,
  WorkerInfo,
} from '../contract.js';
import { decodeJob, FIELD_COUNT, jobArgs, queueOfToken } from './codec.js';
import { CompletionBatcher } from './completion-batcher.js';
import {
  closeClient,
  connect,
  type RedisClient,
  type RedisClientLike,
  type RedisQueueDriverOptions,
  type ResolvedOptions,
  resolveOptions,
} from './connection.js';
import { GlobalKeys, QueueKeys } from './keys.js';
import { RedisReads } from './redis-reads.js';
import { ScriptRunner } from './scripts.js';
import { Wakeups } from './wakeups.js';
import { tokenPrefixOf, WorkerSlots } from './worker-slots.js';

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

interface Completion {
  id: string;
  leaseToken: string;
  next: NewJob[];
  /** The worker whose freed slot this completion's script call refills, if any. */
  refill: WorkerSlots | undefined;
}

/** Refilled jobs a worker has not claimed after this long are released (not counted as an attempt). */
const CLAIM_MS = 1000;

/** Batches of at most this many are handled by one script call (recover, retry-all, prune). */
const CHUNK = 500;
const ENQUEUE_CHUNK = 100;

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
    reservesOnComplete: true,
  };

  private readonly options: ResolvedOptions;
  private readonly global: GlobalKeys;
  private client: RedisClient | undefined;
  private opening: Promise<RedisClient> | undefined;
  private scripts: ScriptRunner | undefined;
  private reads: RedisReads | undefined;
  private readonly ownsClient: boolean;
  private readonly queueKeys = new Map<string, QueueKeys>();
  /** Queues this process has recorded in the queue registry already. */
  private readonly registered = new Set<string>();
  private readonly batchers = new Map<string, CompletionBatcher<Completion>>();
  private readonly wakeups: Wakeups;
  /** Workers reserving through this driver, by worker id and by token prefix. */
  private readonly slots = new Map<string, WorkerSlots>();
  private readonly slotsByPrefix = new Map<string, WorkerSlots>();
  /** Workers that registered through this driver: the engine's, which claim refills. */
  private readonly registeredWorkers = new Set<string>();
  private closed = false;

  constructor(clientOrUrl: string | RedisClientLike | RedisQueueDriverOptions) {
    this.options = resolveOptions(clientOrUrl);
    this.ownsClient = this.options.client === null;
    this.global = new GlobalKeys(this.options.prefix);
    this.wakeups = new Wakeups(this.global.wakeChannel, () => this.queueKeys.keys());
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.options.prefix;
  }

  async migrate(): Promise<void> {
    // Redis needs no schema; opening checks that ioredis and the Lua files are there.
    await this.open();
  }

  async enqueue({ jobs }: EnqueueParams): Promise<void> {
    if (jobs.length === 0) return;
    await this.open();
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

  async reserve({ queue, limit, leaseMs, workerId }: ReserveParams): Promise<ReservedJob[]> {
    if (limit <= 0) return [];
    const slot = this.slotsOf(queue, workerId, leaseMs);
    // Jobs the last completion already reserved for this worker: no round trip.
    const jobs = slot.take(limit);
    if (jobs.length === limit) return jobs;
    const k = this.keys(queue);
    const want = limit - jobs.length;
    const reply = await this.run<Reply>(
      'reserve',
      [k.ready, k.delayed, k.active, k.pending, k.retrying, k.failed, k.paused],
      [k.base, want, slot.leaseMs, slot.tokenPrefix, workerId, slot.takeNumbers(want)],
    );
    const nextDue = Number(reply[0]);
    const now = Number(reply[1]);
    if (nextDue >= 0) this.wakeups.wakeLater(queue, nextDue - now);
    decodeReserved(reply, 2, jobs);
    return jobs;
  }

  async complete({ id, leaseToken, next }: CompleteParams): Promise<TransitionResult> {
    const queue = queueOfToken(leaseToken);
    if (queue === null) return { ok: false };
    let inline = next ?? [];
    let later: NewJob[] = [];
    if (this.client?.isCluster) {
      // A cluster cannot touch another queue's slot in the same script: those links are stored
      // right after the completion instead (a crash in between loses them; see docs/redis.md).
      inline = (next ?? []).filter((j) => j.queueName === queue);
      later = (next ?? []).filter((j) => j.queueName !== queue);
    }
    await this.open();
    for (const job of inline) if (job.queueName !== queue) await this.registerQueue(job.queueName);
    const prefix = tokenPrefixOf(leaseToken);
    const slot = prefix === null ? undefined : this.slotsByPrefix.get(prefix);
    const refill = slot?.registered ? slot : undefined;
    const ok = await this.batcher(queue).add({ id, leaseToken, next: inline, refill });
    if (ok && later.length > 0) await this.enqueue({ jobs: later });
    return { ok };
  }

  async retry({ id, leaseToken, delayMs, error }: RetryParams): Promise<TransitionResult> {
    const queue = queueOfToken(leaseToken);
    if (queue === null) return { ok: false };
    const k = this.keys(queue);
    const delay = Math.max(0, Math.ceil(delayMs));
    const ok = await this.run<number>(
      'retry',
      [k.active, k.retrying],
      [k.base, id, leaseToken, delay, error, this.channel, queue],
    );
    if (ok === 1 && delay > 0) this.wakeups.wakeLater(queue, delay);
    return { ok: ok === 1 };
  }

  async fail({ id, leaseToken, error }: FailParams): Promise<TransitionResult> {
    const queue = queueOfToken(leaseToken);
    if (queue === null) return { ok: false };
    const k = this.keys(queue);
    const ok = await this.run<number>(
      'fail',
      [k.active, k.failed, k.throughput],
      [k.base, id, leaseToken, error],
    );
    return { ok: ok === 1 };
  }

  async release({ id, leaseToken, delayMs = 0 }: ReleaseParams): Promise<TransitionResult> {
    const queue = queueOfToken(leaseToken);
    if (queue === null) return { ok: false };
    const k = this.keys(queue);
    const ok = await this.run<number>(
      'release',
      [k.active, k.pending, k.retrying],
      [k.base, id, leaseToken, Math.max(0, Math.ceil(delayMs)), this.channel, queue],
    );
    return { ok: ok === 1 };
  }

  async heartbeat({ leases, leaseMs }: HeartbeatParams): Promise<HeartbeatResult> {
    const lost: string[] = [];
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
    await Promise.all(
      [...byQueue].map(async ([queue, group]) => {
        const k = this.keys(queue);
        const args: Array<string | number> = [k.base, Math.max(1, Math.round(leaseMs))];
        for (const lease of group) args.push(lease.id, lease.leaseToken);
        lost.push(...(await this.run<string[]>('heartbeat', [k.active], args)));
      }),
    );
    return { lost };
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
        [k.active, k.retrying, k.failed, k.throughput],
        [k.base, Math.min(room, CHUNK), this.channel, name],
      );
      const requeued = Number(reply[0]);
      for (let i = 1; i <= requeued; i++) result.requeued.push(String(reply[i]));
      for (let i = 1 + requeued; i + FIELD_COUNT <= reply.length; i += FIELD_COUNT) {
        const job = decodeJob(reply, i);
        if (job) result.failed.push(job);
      }
    }
    return result;
  }

  async find({ id }: { id: string }): Promise<StoredJob | null> {
    return (await this.readSide()).find(id);
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
      const head = [k.base, this.channel, name];
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
    };
    this.registeredWorkers.add(params.workerId);
    const slot = this.slots.get(params.workerId);
    if (slot) slot.registered = true;
    await this.run(
      'register-worker',
      [this.global.workers, this.global.workersExpiry],
      [params.workerId, JSON.stringify(info), Math.max(1, Math.round(params.ttlMs))],
    );
  }

  async unregisterWorker({ workerId }: { workerId: string }): Promise<void> {
    this.registeredWorkers.delete(workerId);
    const slot = this.slots.get(workerId);
    if (slot) {
      this.slots.delete(workerId);
      this.slotsByPrefix.delete(slot.tokenPrefix);
      slot.registered = false;
      await this.giveBack(slot.drain());
    }
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
    // Refilled jobs nobody claimed go back without counting an attempt.
    for (const slot of this.slots.values()) await this.giveBack(slot.drain()).catch(() => {});
    this.slots.clear();
    this.slotsByPrefix.clear();
    await this.wakeups.close();
    const client = this.client ?? (await this.opening?.catch(() => undefined));
    if (client && this.ownsClient) await closeClient(client);
  }

  private get channel(): string {
    return this.options.wakeups ? this.global.wakeChannel : '';
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
      const client = this.options.client ?? (await connect(this.options.url!, this.options.target!));
      if (this.ownsClient)
        (client as unknown as { on(e: string, l: () => void): void }).on('error', () => {});
      this.scripts = new ScriptRunner(client);
      this.reads = new RedisReads({
        client,
        scripts: this.scripts,
        global: this.global,
        keys: (queue) => this.keys(queue),
        knownQueues: () => this.knownQueues(),
      });
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
    return this.scripts!.run<T>(name, keys, args);
  }

  private async command(name: string, ...args: Array<string | number>): Promise<unknown> {
    return (await this.open()).call(name, ...args);
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

  private slotsOf(queue: string, workerId: string, leaseMs: number): WorkerSlots {
    const lease = Math.max(1, Math.round(leaseMs));
    let slot = this.slots.get(workerId);
    if (!slot || slot.queue !== queue) {
      slot = new WorkerSlots(queue, workerId, lease);
      slot.registered = this.registeredWorkers.has(workerId);
      this.slots.set(workerId, slot);
      this.slotsByPrefix.set(slot.tokenPrefix, slot);
    }
    slot.leaseMs = lease;
    return slot;
  }

  /** Releases reserved jobs no worker ran, without counting their attempt. */
  private async giveBack(jobs: ReservedJob[]): Promise<void> {
    await Promise.all(jobs.map((job) => this.release({ id: job.id, leaseToken: job.leaseToken })));
  }

  private batcher(queue: string): CompletionBatcher<Completion> {
    let b = this.batchers.get(queue);
    if (!b) {
      const k = this.keys(queue);
      b = new CompletionBatcher<Completion>(async (items) => {
        const args: Array<string | number> = [k.base, this.channel, items.length];
        // Refill group numbers, from 1, per worker whose slots these completions free.
        const groups = new Map<WorkerSlots, { group: number; count: number }>();
        for (const item of items) {
          let group = 0;
          if (item.refill) {
            const g = groups.get(item.refill) ?? { group: groups.size + 1, count: 0 };
            g.count++;
            groups.set(item.refill, g);
            group = g.group;
          }
          args.push(item.id, item.leaseToken, group, item.next.length);
          for (const job of item.next)
            args.push(this.keys(job.queueName).base, job.queueName, ...jobArgs(job));
        }
        const order = [...groups.keys()];
        for (const slot of order) {
          const count = groups.get(slot)!.count;
          args.push(slot.leaseMs, slot.tokenPrefix, slot.takeNumbers(count), slot.workerId);
        }
        const reply = await this.run<Reply>(
          'complete',
          [
            k.active,
            k.completed,
            k.throughput,
            k.ready,
            k.delayed,
            k.pending,
            k.retrying,
            k.failed,
            k.paused,
          ],
          args,
        );
        let at = items.length;
        for (const slot of order) {
          const count = Number(reply[at]);
          const jobs = decodeReserved(reply, at + 1, [], at + 1 + count * FIELD_COUNT);
          at += 1 + count * FIELD_COUNT;
          if (slot.registered && !this.closed) slot.add(jobs, CLAIM_MS, (left) => void this.giveBack(left));
          else void this.giveBack(jobs);
        }
        return items.map((_, i) => Number(reply[i]) === 1);
      });
      this.batchers.set(queue, b);
    }
    return b;
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
