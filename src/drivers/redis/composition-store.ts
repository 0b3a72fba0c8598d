import type { JobDataParams, NewBatch, StoredBatch, StoredSchedule } from '../composition.js';
import type { NewJob } from '../contract.js';
import { jobArgs, queueOfToken } from './codec.js';
import type { QueueKeys } from './keys.js';
import type { ScriptName } from './scripts.js';

/** What the composition store needs from the Redis driver. */
export interface RedisAccess {
  prefix(): string;
  channel(): string;
  keys(queue: string): QueueKeys;
  run<T = unknown>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T>;
  command(name: string, ...args: Array<string | number>): Promise<unknown>;
  registerQueue(queue: string): Promise<void>;
  /** True on Redis Cluster: jobs for a queue's slot then go through the cross-queue outbox. */
  clustered(): Promise<boolean>;
  /** Stores the jobs of a cross-queue outbox entry in their queues, then removes it (outbox.ts). */
  moveCross(entry: string): Promise<void>;
}

/**
 * Progress, results, batches and schedules on Redis. Batch counters and callbacks move inside
 * settle.lua and recover.lua (lib.lua's batch_job_finished); schedule ticks are claimed by
 * claim-tick.lua. Batch and schedule hashes use the cross-queue tag `{prefix}`. On Redis Cluster
 * no script touches two slots: batch jobs and schedule ticks go to the cross-queue outbox with the
 * batch or the claim, and are moved into their queues right after (outbox.ts).
 */
export class RedisComposition {
  constructor(private readonly r: RedisAccess) {}

  /** The cross-queue hash tag `{prefix}:`. */
  private get tag(): string {
    return `{${this.r.prefix()}}:`;
  }

  private batchKey(id: string): string {
    return `${this.tag}batch:${id}`;
  }

  private scheduleKey(name: string): string {
    return `${this.tag}schedule:${name}`;
  }

  /** Reads progress and result of a job found on `queue`. */
  async jobData(queue: string, id: string): Promise<{ progress: string | null; result: string | null }> {
    const [progress, result] = (await this.r.command(
      'HMGET',
      this.r.keys(queue).job(id),
      'progress',
      'result',
    )) as Array<string | null>;
    return { progress: progress || null, result: result || null };
  }

  async saveJobData({ id, leaseToken, progress, result }: JobDataParams): Promise<boolean> {
    const queue = queueOfToken(leaseToken);
    if (queue === null) return false;
    const reply = await this.r.run(
      'job-data',
      [this.r.keys(queue).job(id)],
      [leaseToken, progress ?? '', result ?? ''],
    );
    return Number(reply) === 1;
  }

  async storeBatch(mode: 'create' | 'add', batch: NewBatch, jobs: NewJob[]): Promise<boolean> {
    for (const queue of new Set(jobs.map((j) => j.queueName))) await this.r.registerQueue(queue);
    const clustered = await this.r.clustered();
    const args: Array<string | number> = [
      mode,
      this.r.channel(),
      batch.id,
      batch.name ?? '',
      batch.allowFailures ? '1' : '0',
      batch.thenJob ?? '',
      batch.catchJob ?? '',
      batch.finallyJob ?? '',
      jobs.length,
    ];
    for (const job of jobs) {
      const base = clustered ? '' : this.r.keys(job.queueName).base;
      args.push(base, job.queueName, ...jobArgs(job), job.group ?? '');
    }
    const reply = await this.r.run<number | string>(
      'batch-store',
      [this.batchKey(batch.id), `${this.tag}batches`, `${this.tag}outbox`],
      args,
    );
    if (typeof reply === 'string') await this.r.moveCross(reply);
    return typeof reply === 'string' || Number(reply) === 1;
  }

  async findBatch(id: string): Promise<StoredBatch | null> {
    const fields = ['id', 'name', 'total', 'pending', 'failed', 'allow', 'created', 'finished', 'cancelled'];
    const row = (await this.r.command('HMGET', this.batchKey(id), ...fields)) as Array<string | null>;
    if (!row[0]) return null;
    const date = (v: string | null | undefined) => (v ? new Date(Number(v)) : null);
    return {
      id: row[0],
      name: row[1] || null,
      totalJobs: Number(row[2]),
      pendingJobs: Number(row[3]),
      failedJobs: Number(row[4]),
      allowFailures: row[5] === '1',
      createdAt: new Date(Number(row[6])),
      finishedAt: date(row[7]),
      cancelledAt: date(row[8]),
    };
  }

  async cancelBatch(id: string): Promise<boolean> {
    return Number(await this.r.run('batch-cancel', [this.batchKey(id)], [])) === 1;
  }

  async listBatches(limit: number, offset: number): Promise<StoredBatch[]> {
    const ids = (await this.r.command(
      'ZRANGE',
      `${this.tag}batches`,
      offset,
      offset + limit - 1,
      'REV',
    )) as string[];
    const batches = await Promise.all(ids.map((id) => this.findBatch(id)));
    return batches.filter((b): b is StoredBatch => b !== null);
  }

  async saveSchedule(s: Omit<StoredSchedule, 'lastTick'>): Promise<void> {
    await this.r.command(
      'HSET',
      this.scheduleKey(s.name),
      'name',
      s.name,
      'cron',
      s.cron,
      'timezone',
      s.timezone ?? '',
      'catchUp',
      s.catchUp ? '1' : '0',
      'job',
      s.job,
    );
    await this.r.command('SADD', `${this.tag}schedules`, s.name);
  }

  async removeSchedule(name: string): Promise<boolean> {
    const removed = Number(await this.r.command('DEL', this.scheduleKey(name)));
    await this.r.command('SREM', `${this.tag}schedules`, name);
    return removed > 0;
  }

  async schedules(): Promise<StoredSchedule[]> {
    const names = ((await this.r.command('SMEMBERS', `${this.tag}schedules`)) as string[]).sort();
    const out: StoredSchedule[] = [];
    for (const name of names) {
      const row = (await this.r.command(
        'HMGET',
        this.scheduleKey(name),
        'cron',
        'timezone',
        'catchUp',
        'job',
        'lastTick',
      )) as Array<string | null>;
      if (!row[0] || !row[3]) continue;
      out.push({
        name,
        cron: row[0],
        timezone: row[1] || null,
        catchUp: row[2] === '1',
        job: row[3],
        lastTick: row[4] ? new Date(Number(row[4])) : null,
      });
    }
    return out;
  }

  async claimTick(name: string, tick: Date, job: NewJob): Promise<boolean> {
    await this.r.registerQueue(job.queueName);
    const base = (await this.r.clustered()) ? '' : this.r.keys(job.queueName).base;
    const reply = await this.r.run<number | string>(
      'claim-tick',
      [this.scheduleKey(name), `${this.tag}outbox`],
      [tick.getTime(), this.r.channel(), base, job.queueName, ...jobArgs(job)],
    );
    if (typeof reply === 'string') await this.r.moveCross(reply);
    return typeof reply === 'string' || Number(reply) === 1;
  }
}
