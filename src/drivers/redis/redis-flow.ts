import { randomUUID } from 'node:crypto';
import type { LeaseRef, NewJob, ReservedJob, StoredJob } from '../contract.js';
import { type CounterHit, hasLimits, NO_LIMITS, type QueueLimits } from '../flow-contract.js';
import { jobArgs, queueOfToken } from './codec.js';
import type { GlobalKeys, QueueKeys } from './keys.js';
import type { ScriptName } from './scripts.js';

type Reply = Array<string | number | null>;

/** What the flow-control verbs need from the Redis driver. */
export interface RedisFlowHost {
  run<T = unknown>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T>;
  command(name: string, ...args: Array<string | number>): Promise<unknown>;
  keys(queue: string): QueueKeys;
  readonly global: GlobalKeys;
  readonly channel: string;
  find(id: string): Promise<StoredJob | null>;
  /** The queue's outbox key on Redis Cluster ('' on one server) and its mover (outbox.ts). */
  outboxOf(k: QueueKeys): string;
  drainOutbox(k: QueueKeys): Promise<void>;
  decodeReserved(reply: Reply, offset: number): ReservedJob[];
}

const ENQUEUE_CHUNK = 100;

/** How long a process trusts its copy of a queue's limits (ms). */
const LIMITS_CACHE_MS = 1000;

/**
 * The Redis driver's flow control. Each check and write is one Lua script on the queue's slot:
 * unique enqueue (flow-enqueue.lua), limited reservation (flow-reserve.lua), cancel
 * (flow-cancel.lua); middleware locks and counters are single keys (flow-keys.lua).
 */
export class RedisFlow {
  private readonly limitsCache = new Map<string, { limits: QueueLimits | null; at: number }>();

  constructor(private readonly host: RedisFlowHost) {}

  /** Stores unique or grouped jobs of one queue; per job, its id or the live job's. */
  async enqueue(queue: string, jobs: NewJob[]): Promise<string[]> {
    const k = this.host.keys(queue);
    const keys = [k.ready, k.delayed, k.pending, k.all, k.unique];
    const calls: Array<Promise<string[]>> = [];
    // Calls of 100 jobs keep each script short, as enqueue.lua's; they run in order.
    for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
      const args: Array<string | number> = [k.base, queue, this.host.channel];
      for (const job of jobs.slice(i, i + ENQUEUE_CHUNK)) {
        args.push(
          ...jobArgs(job),
          job.uniqueKey ?? '',
          Math.max(0, Math.round(job.uniqueForMs ?? 0)),
          job.group ?? '',
        );
      }
      calls.push(this.host.run<string[]>('flow-enqueue', keys, args));
    }
    return (await Promise.all(calls)).flat().map(String);
  }

  async cachedLimits(queue: string): Promise<QueueLimits | null> {
    const hit = this.limitsCache.get(queue);
    const now = performance.now();
    if (hit && now - hit.at < LIMITS_CACHE_MS) return hit.limits;
    const limits = await this.readLimits(queue);
    this.limitsCache.set(queue, { limits: hasLimits(limits) ? limits : null, at: now });
    return hasLimits(limits) ? limits : null;
  }

  private async readLimits(queue: string): Promise<QueueLimits> {
    const text = (await this.host.command('HGET', this.host.global.limits, queue)) as string | null;
    return text ? { ...NO_LIMITS, ...(JSON.parse(text) as QueueLimits) } : { ...NO_LIMITS };
  }

  async reserveLimited(
    queue: string,
    limits: QueueLimits,
    want: number,
    leaseMs: number,
    workerId: string,
  ): Promise<{ jobs: ReservedJob[]; nextDue: number; now: number }> {
    const k = this.host.keys(queue);
    const opt = (v: number | null | undefined) => (v === null || v === undefined ? '' : v);
    const reply = await this.host.run<Reply>(
      'flow-reserve',
      [k.ready, k.delayed, k.active, k.pending, k.retrying, k.failed, k.paused, k.held, k.starts],
      [
        k.base,
        Math.trunc(want),
        Math.max(1, Math.round(leaseMs)),
        `${queue}/${randomUUID()}.`,
        workerId,
        1,
        opt(limits.concurrency),
        opt(limits.rate?.max),
        opt(limits.rate ? Math.round(limits.rate.perSeconds * 1000) : null),
        opt(limits.groupConcurrency),
        opt(limits.groupRate?.max),
        opt(limits.groupRate ? Math.round(limits.groupRate.perSeconds * 1000) : null),
      ],
    );
    return { jobs: this.host.decodeReserved(reply, 2), nextDue: Number(reply[0]), now: Number(reply[1]) };
  }

  async cancel(id: string, reason: string): Promise<boolean> {
    const job = await this.host.find(id);
    if (!job) return false;
    const k = this.host.keys(job.queueName);
    const outbox = this.host.outboxOf(k);
    const done = await this.host.run<number>(
      'flow-cancel',
      [k.ready, k.delayed, k.pending, k.retrying, k.active, k.held, k.failed, k.throughput],
      [k.base, id, reason, outbox],
    );
    // Cluster: a batch job's event is in the queue's outbox; moved now, so the batch shows it.
    if (outbox !== '' && Number(done) === 1) await this.host.drainOutbox(k);
    return Number(done) === 1;
  }

  /** One script call per queue for all of a worker's running jobs (flow-cancelled.lua). */
  async cancelRequested(leases: LeaseRef[]): Promise<string[]> {
    const byQueue = new Map<string, LeaseRef[]>();
    for (const lease of leases) {
      const queue = queueOfToken(lease.leaseToken);
      if (queue !== null) byQueue.set(queue, [...(byQueue.get(queue) ?? []), lease]);
    }
    const found = await Promise.all(
      [...byQueue].map(([queue, group]) =>
        this.host.run<string[]>(
          'flow-cancelled',
          // KEYS[1] routes the call to the queue's slot on Redis Cluster (with no key it goes to any node).
          [this.host.keys(queue).active],
          [this.host.keys(queue).base, ...group.flatMap((l) => [l.id, l.leaseToken])],
        ),
      ),
    );
    return found.flat().map(String);
  }

  async setLimits(queue: string, limits: QueueLimits): Promise<void> {
    if (hasLimits(limits))
      await this.host.command('HSET', this.host.global.limits, queue, JSON.stringify(limits));
    else await this.host.command('HDEL', this.host.global.limits, queue);
    this.limitsCache.delete(queue);
  }

  limits(queue: string): Promise<QueueLimits> {
    return this.readLimits(queue);
  }

  async limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>> {
    const flat = (await this.host.command('HGETALL', this.host.global.limits)) as
      | string[]
      | Record<string, string>;
    const entries: Array<[string, string]> = Array.isArray(flat)
      ? Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!])
      : Object.entries(flat);
    return entries
      .map(([queue, text]) => ({ queue, limits: { ...NO_LIMITS, ...(JSON.parse(text) as QueueLimits) } }))
      .sort((a, b) => (a.queue < b.queue ? -1 : 1));
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (
      Number(
        await this.host.run('flow-keys', [this.host.global.flowKey(key)], ['lock', owner, Math.round(ttlMs)]),
      ) === 1
    );
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    await this.host.run('flow-keys', [this.host.global.flowKey(key)], ['unlock', owner]);
  }

  async hit(key: string, windowMs: number, max: number | null): Promise<CounterHit> {
    const [allowed, count, reset] = await this.host.run<number[]>(
      'flow-keys',
      [this.host.global.flowKey(key)],
      ['hit', Math.max(1, Math.round(windowMs)), max === null ? '' : max],
    );
    return { allowed: Number(allowed) === 1, count: Number(count), resetInMs: Number(reset) };
  }

  async clear(key: string): Promise<void> {
    await this.host.run('flow-keys', [this.host.global.flowKey(key)], ['clear']);
  }
}
