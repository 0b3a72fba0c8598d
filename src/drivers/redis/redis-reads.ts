import type {
  ActivityEntry,
  ListParams,
  ListResult,
  QueueCounts,
  StoredJob,
  ThroughputBucket,
  WorkerInfo,
} from '../contract.js';
import { MINUTE_MS, minuteBuckets } from '../throughput.js';
import { decodeJob, FIELDS, flatPairs } from './codec.js';
import type { RedisClient } from './connection.js';
import type { GlobalKeys, QueueKeys } from './keys.js';
import type { ScriptRunner } from './scripts.js';

export interface ReadContext {
  client: RedisClient;
  scripts: ScriptRunner;
  global: GlobalKeys;
  keys(queue: string): QueueKeys;
  knownQueues(): Promise<string[]>;
}

/** A search looks at this many jobs per queue at most, so one request cannot keep Redis busy for long. */
const SEARCH_SCAN_LIMIT = 100_000;
const SEARCH_STEP = 1000;

interface Ranked {
  id: string;
  score: number;
  queue: string;
}

/** The reads of the CLI and dashboard: index sets and hashes, never SCAN. */
export class RedisReads {
  constructor(private readonly ctx: ReadContext) {}

  /** Job ids carry no queue: look in every known queue, in one pipelined burst. */
  async find(id: string): Promise<StoredJob | null> {
    const queues = await this.ctx.knownQueues();
    const rows = await Promise.all(queues.map((q) => this.hmget(this.ctx.keys(q).job(id))));
    for (const row of rows) {
      const job = decodeJob(row);
      if (job) return job;
    }
    return null;
  }

  async list({ queue, status, search, limit, offset, order = 'newest' }: ListParams): Promise<ListResult> {
    const queues = queue ? [queue] : await this.ctx.knownQueues();
    const desc = order === 'newest';
    // The lease set is scored by expiry, not by age: read it whole (it is small) and sort by id.
    const byId = status === 'processing';
    let ranked: Ranked[] = [];
    let total = 0;
    if (search) {
      for (const q of queues) ranked.push(...(await this.search(q, status, search, desc && !byId)));
      total = ranked.length;
    } else {
      const want = offset + limit;
      const parts = await Promise.all(
        queues.map(async (q) => {
          const set = this.ctx.keys(q).statusSet(status);
          const [count, range] = await Promise.all([
            this.ctx.client.call('ZCARD', set),
            this.ctx.client.call(
              desc && !byId ? 'ZREVRANGE' : 'ZRANGE',
              set,
              0,
              byId ? -1 : want - 1,
              'WITHSCORES',
            ),
          ]);
          return { q, count: Number(count), pairs: flatPairs(range) };
        }),
      );
      for (const { q, count, pairs } of parts) {
        total += count;
        for (let i = 0; i < pairs.length; i += 2)
          ranked.push({ id: pairs[i]!, score: byId ? 0 : Number(pairs[i + 1]), queue: q });
      }
    }
    ranked.sort((a, b) => compare(a, b) * (desc ? -1 : 1));
    ranked = ranked.slice(offset, offset + limit);
    const rows = await Promise.all(ranked.map((r) => this.hmget(this.ctx.keys(r.queue).job(r.id))));
    const jobs = rows.map((row) => decodeJob(row)).filter((j): j is StoredJob => j !== null);
    return { jobs, total };
  }

  async counts(queue: string | undefined): Promise<QueueCounts[]> {
    const queues = queue ? [queue] : await this.ctx.knownQueues();
    return Promise.all(
      queues.map(async (q) => {
        const k = this.ctx.keys(q);
        const reply = await this.ctx.scripts.run<number[]>(
          'counts',
          [k.pending, k.retrying, k.active, k.completed, k.failed, k.ready, k.delayed, k.held],
          [k.base],
        );
        const [pending, retrying, processing, completed, failed, age] = reply.map(Number);
        return {
          queueName: q,
          pendingJobs: pending ?? 0,
          processingJobs: processing ?? 0,
          retryingJobs: retrying ?? 0,
          completedJobs: completed ?? 0,
          failedJobs: failed ?? 0,
          oldestPendingMs: age === undefined || age < 0 ? null : age,
        };
      }),
    );
  }

  async workers(): Promise<WorkerInfo[]> {
    const { global, scripts } = this.ctx;
    const reply = await scripts.run<string[]>('workers', [global.workers, global.workersExpiry], []);
    const out: WorkerInfo[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const entry = String(reply[i + 1]);
      const [started, beat] = entry.split('|', 2);
      const json = entry.slice(`${started}|${beat}|`.length);
      try {
        const info = JSON.parse(json) as Omit<WorkerInfo, 'workerId' | 'startedAt' | 'lastHeartbeatAt'>;
        out.push({
          workerId: String(reply[i]),
          host: String(info.host),
          pid: Number(info.pid),
          queues: Array.isArray(info.queues) ? info.queues.map(String) : [],
          concurrency: Number(info.concurrency),
          jobsDone: Number(info.jobsDone),
          held: Number(info.held ?? 0) || 0,
          startedAt: new Date(Number(started)),
          lastHeartbeatAt: new Date(Number(beat)),
        });
      } catch {
        // An entry that is not ours (or damaged) is not a worker: skip it rather than fail the read.
      }
    }
    return out;
  }

  async activity({ jobId, limit }: { jobId?: string; limit: number }): Promise<ActivityEntry[]> {
    const needle = jobId === undefined ? '' : `"jobId":${JSON.stringify(jobId)}`;
    const reply = await this.ctx.scripts.run<string[]>(
      'activity',
      [this.ctx.global.activity],
      [needle, limit],
    );
    const out: ActivityEntry[] = [];
    for (const raw of reply) {
      const text = String(raw);
      const bar = text.indexOf('|');
      try {
        const entry = JSON.parse(text.slice(bar + 1)) as Omit<ActivityEntry, 'createdAt'>;
        if (jobId !== undefined && entry.jobId !== jobId) continue;
        out.push({ ...entry, createdAt: new Date(Number(text.slice(0, bar))) });
      } catch {
        // A damaged entry is skipped; the rest of the log stays readable.
      }
    }
    return out;
  }

  async throughput({ queue, minutes }: { queue?: string; minutes: number }): Promise<ThroughputBucket[]> {
    const queues = queue ? [queue] : await this.ctx.knownQueues();
    const [sec, usec] = (await this.ctx.client.call('TIME')) as [string, string];
    const current = Math.floor((Number(sec) * 1000 + Math.floor(Number(usec) / 1000)) / MINUTE_MS);
    const span = Math.max(1, Math.floor(minutes));
    const fields: string[] = [];
    for (let m = current - span + 1; m <= current; m++) fields.push(`c:${m}`, `f:${m}`);
    const buckets = minuteBuckets(current - span + 1, current);
    const replies = await Promise.all(
      queues.map((q) => this.ctx.client.call('HMGET', this.ctx.keys(q).throughput, ...fields)),
    );
    for (const reply of replies) {
      (reply as Array<string | null>).forEach((value, i) => {
        const bucket = buckets[Math.floor(i / 2)]!;
        if (i % 2 === 0) bucket.completed += Number(value ?? 0);
        else bucket.failed += Number(value ?? 0);
      });
    }
    return buckets;
  }

  private async hmget(key: string): Promise<Array<string | null>> {
    return (await this.ctx.client.call('HMGET', key, ...FIELDS)) as Array<string | null>;
  }

  /** All matches of one queue, found in bounded script steps. */
  private async search(
    queue: string,
    status: string | undefined,
    text: string,
    desc: boolean,
  ): Promise<Ranked[]> {
    const k = this.ctx.keys(queue);
    const set = k.statusSet(status);
    const byId = status === 'processing';
    const out: Ranked[] = [];
    for (let start = 0; start < SEARCH_SCAN_LIMIT; start += SEARCH_STEP) {
      const reply = await this.ctx.scripts.run<string[]>(
        'search',
        [set],
        [k.base, text, start, SEARCH_STEP, desc ? '1' : '0'],
      );
      for (let i = 1; i + 1 < reply.length; i += 2)
        out.push({ id: String(reply[i]), score: byId ? 0 : Number(reply[i + 1]), queue });
      if (Number(reply[0]) < SEARCH_STEP) break;
    }
    return out;
  }
}

/** Order of list results: by score (finish time for completed and failed, else 0), then by id. */
function compare(a: Ranked, b: Ranked): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
