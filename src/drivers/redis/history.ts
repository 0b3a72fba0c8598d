import {
  type AttemptOutcome,
  type AttemptRecord,
  type MetricCell,
  type MetricPoint,
  type MetricQuery,
  type MetricSeries,
  metricWindow,
  type RunningJob,
  seriesOfCode,
} from '../insights.js';
import { flatPairs } from './codec.js';
import type { ReadContext } from './redis-reads.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Windows longer than this are read from the hour hashes (24 reads a day instead of 1,440). */
const MINUTE_READS_UP_TO = 120;

/**
 * Reads of the attempt lists and metric hashes that settle.lua and recover.lua write through
 * history.lua (see that file for the key layout).
 */
export class RedisHistoryReads {
  constructor(
    private readonly ctx: ReadContext,
    /** History on: a completed job's last attempt is read from its hash (history.lua does not copy it). */
    private readonly history = true,
  ) {}

  /** Job ids carry no queue: one HMGET per known queue, sent together. */
  async attemptHistory(id: string, limit: number): Promise<AttemptRecord[]> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64 || limit <= 0) return [];
    const queues = await this.ctx.knownQueues();
    const rows = await Promise.all(
      queues.map(async (q) =>
        hashFields(await this.ctx.client.call('HMGET', this.ctx.keys(q).job(id), ...ATTEMPT_FIELDS)),
      ),
    );
    for (const [i, fields] of rows.entries()) {
      const [name, hist, status] = fields;
      if (!hist && !status) continue;
      const queue = queues[i]!;
      const attempts = hist ? decodeAttempts(hist, id, queue, name ?? '') : [];
      const last = attempts[attempts.length - 1];
      if (this.history && status === 'completed' && last?.outcome !== 'completed') {
        attempts.push(...completedAttempt(fields, id, queue));
      }
      return attempts.reverse().slice(0, limit);
    }
    return [];
  }

  /** The lease set of every known queue (oldest lease first), then each job's fields, read together. */
  async runningJobs(limit: number): Promise<RunningJob[]> {
    const queues = await this.ctx.knownQueues();
    const sets = await Promise.all(
      queues.map(async (queue) => ({
        queue,
        ids: flatPairs(
          await this.ctx.client.call('ZRANGE', this.ctx.keys(queue).active, 0, Math.max(0, limit - 1)),
        ),
      })),
    );
    const wanted = sets
      .flatMap(({ queue, ids }) => ids.map((id) => ({ queue, id })))
      .slice(0, Math.max(0, limit));
    const rows = await Promise.all(
      wanted.map(async ({ queue, id }) => {
        const [status, name, worker, reserved, attempts] = flatPairs(
          await this.ctx.client.call(
            'HMGET',
            this.ctx.keys(queue).job(id),
            'status',
            'name',
            'worker',
            'reserved',
            'attempts',
          ),
        );
        if (status !== 'processing') return null;
        const started = Number(reserved);
        return {
          id,
          queueName: queue,
          jobName: name ?? '',
          workerId: worker || null,
          startedAt: reserved && Number.isFinite(started) ? new Date(started) : null,
          attempts: Number(attempts) || 0,
        } satisfies RunningJob;
      }),
    );
    return rows.filter((r): r is RunningJob => r !== null);
  }

  async metricCells(query: MetricQuery): Promise<MetricCell[]> {
    const sums = new Map<string, MetricCell>();
    for (const { queue, fields } of await this.read(query)) {
      for (const [field, value] of fields) {
        const cell = parseField(field);
        if (!cell || (query.jobName !== undefined && cell.jobName !== query.jobName)) continue;
        const key = `${queue}\u0000${cell.jobName}\u0000${cell.series}\u0000${cell.bucket}`;
        let sum = sums.get(key);
        if (!sum) {
          sum = {
            queueName: queue,
            jobName: cell.jobName,
            series: cell.series,
            bucket: cell.bucket,
            count: 0,
            sumMs: 0,
            maxMs: 0,
          };
          sums.set(key, sum);
        }
        addKind(sum, cell.kind, value);
      }
    }
    return [...sums.values()].filter((c) => c.count > 0);
  }

  async metricTimeline(query: MetricQuery): Promise<MetricPoint[]> {
    const points = new Map<string, MetricPoint>();
    for (const { start, fields } of await this.read(query)) {
      for (const [field, value] of fields) {
        const cell = parseField(field);
        if (!cell || (query.jobName !== undefined && cell.jobName !== query.jobName)) continue;
        const key = `${start}\u0000${cell.series}`;
        let point = points.get(key);
        if (!point) {
          point = { minute: new Date(start), series: cell.series, count: 0, sumMs: 0, maxMs: 0 };
          points.set(key, point);
        }
        addKind(point, cell.kind, value);
      }
    }
    return [...points.values()]
      .filter((p) => p.count > 0)
      .sort((a, b) => a.minute.getTime() - b.minute.getTime());
  }

  /** Every hash of the window (minute hashes, or hour hashes for long windows), read together. */
  private async read(
    query: MetricQuery,
  ): Promise<Array<{ queue: string; start: number; fields: Array<[string, number]> }>> {
    const minutes = metricWindow(query.minutes);
    const [seconds, micros] = flatPairs(await this.ctx.client.call('TIME')).map(Number);
    const now = (seconds ?? 0) * 1000 + Math.floor((micros ?? 0) / 1000);
    const slices: Array<{ suffix: string; start: number }> = [];
    if (minutes <= MINUTE_READS_UP_TO) {
      const last = Math.floor(now / MINUTE_MS);
      for (let m = last - minutes + 1; m <= last; m++)
        slices.push({ suffix: `m:${m}`, start: m * MINUTE_MS });
    } else {
      const last = Math.floor(now / HOUR_MS);
      const first = Math.floor((now - minutes * MINUTE_MS) / HOUR_MS) + 1;
      for (let h = first; h <= last; h++) slices.push({ suffix: `h:${h}`, start: h * HOUR_MS });
    }
    const queues = query.queue !== undefined ? [query.queue] : await this.ctx.knownQueues();
    const reads = queues.flatMap((queue) =>
      slices.map(async ({ suffix, start }) => {
        const flat = flatPairs(
          await this.ctx.client.call('HGETALL', `${this.ctx.keys(queue).base}metrics:${suffix}`),
        );
        const fields: Array<[string, number]> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i]!, Number(flat[i + 1])]);
        return { queue, start, fields };
      }),
    );
    return Promise.all(reads);
  }
}

function addKind(into: { count: number; sumMs: number; maxMs: number }, kind: string, value: number): void {
  if (!Number.isFinite(value)) return;
  if (kind === 'n') into.count += value;
  else if (kind === 's') into.sumMs += value;
  else if (kind === 'x') into.maxMs = Math.max(into.maxMs, value);
}

/** `n` / `s` / `x`, the series letter, two bucket digits, then the job name. */
function parseField(
  field: string,
): { kind: string; series: MetricSeries; bucket: number; jobName: string } | null {
  const series = seriesOfCode(field.charAt(1));
  const bucket = Number(field.slice(2, 4));
  if (!series || !Number.isInteger(bucket)) return null;
  return { kind: field.charAt(0), series, bucket, jobName: field.slice(4) };
}

/** An HMGET reply with missing fields as null (flatPairs would make them 'null'). */
function hashFields(reply: unknown): Array<string | null> {
  return Array.isArray(reply) ? reply.map((v) => (v === null || v === undefined ? null : String(v))) : [];
}

/** The job hash fields attemptHistory reads, in this order. */
const ATTEMPT_FIELDS = ['name', 'hist', 'status', 'attempts', 'worker', 'reserved', 'processed', 'available'];

/** A completed job's last attempt, from its hash (nothing when a field is missing or corrupt). */
function completedAttempt(fields: Array<string | null>, jobId: string, queueName: string): AttemptRecord[] {
  const [name, , , attempts, worker, reserved, processed, available] = fields;
  const started = Number(reserved);
  const finished = Number(processed);
  if (!reserved || !processed || !Number.isFinite(started) || !Number.isFinite(finished)) return [];
  const due = Number(available);
  return [
    {
      jobId,
      attempt: Number(attempts) || 0,
      queueName,
      jobName: name ?? '',
      workerId: worker || null,
      startedAt: new Date(started),
      finishedAt: new Date(finished),
      durationMs: Math.max(0, finished - started),
      waitMs: available && Number.isFinite(due) ? Math.max(0, started - due) : null,
      outcome: 'completed',
      error: null,
    },
  ];
}

/** The 'hist' field: a JSON array of [attempt, worker, started ms, finished ms, wait ms, outcome, error], oldest first. */
function decodeAttempts(text: string, jobId: string, queueName: string, jobName: string): AttemptRecord[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  return Array.isArray(list) ? list.flatMap((entry) => decodeAttempt(entry, jobId, queueName, jobName)) : [];
}

/** One entry; a corrupt one is skipped. */
function decodeAttempt(entry: unknown, jobId: string, queueName: string, jobName: string): AttemptRecord[] {
  if (!Array.isArray(entry)) return [];
  const [attempt, worker, started, finished, wait, outcome, error] = entry as unknown[];
  if (typeof started !== 'number' || typeof finished !== 'number') return [];
  return [
    {
      jobId,
      attempt: Number(attempt) || 0,
      queueName,
      jobName,
      workerId: typeof worker === 'string' && worker !== '' ? worker : null,
      startedAt: new Date(started),
      finishedAt: new Date(finished),
      durationMs: Math.max(0, finished - started),
      waitMs: typeof wait === 'number' ? wait : null,
      outcome: String(outcome) as AttemptOutcome,
      error: typeof error === 'string' && error !== '' ? error : null,
    },
  ];
}
