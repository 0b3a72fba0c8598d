import {
  ATTEMPTS_KEPT_PER_JOB,
  type AttemptOutcome,
  type AttemptRecord,
  durationBucket,
  type JobInsights,
  METRIC_MINUTES_KEPT,
  type MetricCell,
  type MetricPoint,
  type MetricQuery,
  type MetricSeries,
  metricWindow,
} from '../insights.js';

const MINUTE = 60_000;

/** What the memory store knows of an attempt when it ends. */
export interface EndedAttempt {
  id: string;
  queueName: string;
  jobName: string;
  attempts: number;
  workerId: string | null;
  reservedAt: Date;
  /** When the job was due before this attempt (its availableAt before the outcome moved it). */
  dueAt: Date;
  error: string | null;
}

interface Cell {
  queueName: string;
  jobName: string;
  series: MetricSeries;
  bucket: number;
  count: number;
  sumMs: number;
  maxMs: number;
}

/**
 * The memory store's attempt history and per-minute metric cells, written by `settle` and
 * `recoverExpired` as each started attempt ends. Bounded: ATTEMPTS_KEPT_PER_JOB per job (the
 * rest forgotten with the job) and METRIC_MINUTES_KEPT minutes of cells.
 */
export class MemoryInsights implements Omit<JobInsights, 'runningJobs'> {
  private readonly attempts = new Map<string, AttemptRecord[]>();
  /** minute number -> cell key -> cell */
  private readonly minutes = new Map<number, Map<string, Cell>>();

  constructor(private readonly clock: () => number) {}

  ended(job: EndedAttempt, outcome: AttemptOutcome, now: number): void {
    const started = job.reservedAt.getTime();
    const durationMs = Math.max(0, now - started);
    const waitMs = Math.max(0, started - job.dueAt.getTime());
    let list = this.attempts.get(job.id);
    if (!list) {
      list = [];
      this.attempts.set(job.id, list);
    }
    list.push({
      jobId: job.id,
      attempt: job.attempts,
      queueName: job.queueName,
      jobName: job.jobName,
      workerId: job.workerId,
      startedAt: job.reservedAt,
      finishedAt: new Date(now),
      durationMs,
      waitMs,
      outcome,
      error: outcome === 'completed' ? null : job.error,
    });
    if (list.length > ATTEMPTS_KEPT_PER_JOB) list.splice(0, list.length - ATTEMPTS_KEPT_PER_JOB);
    const minute = Math.floor(now / MINUTE);
    this.add(minute, job, outcome, durationMs);
    this.add(minute, job, 'wait', waitMs);
  }

  forget(id: string): void {
    this.attempts.delete(id);
  }

  async attemptHistory({ id, limit }: { id: string; limit: number }): Promise<AttemptRecord[]> {
    return [...(this.attempts.get(id) ?? [])].reverse().slice(0, Math.max(0, limit));
  }

  async metricCells(query: MetricQuery): Promise<MetricCell[]> {
    const sums = new Map<string, Cell>();
    for (const [, cell] of this.window(query)) {
      const key = `${cell.queueName}\u0000${cell.jobName}\u0000${cell.series}\u0000${cell.bucket}`;
      const sum = sums.get(key);
      if (sum) merge(sum, cell);
      else sums.set(key, { ...cell });
    }
    return [...sums.values()];
  }

  async metricTimeline(query: MetricQuery): Promise<MetricPoint[]> {
    const points = new Map<string, MetricPoint>();
    for (const [minute, cell] of this.window(query)) {
      const key = `${minute}\u0000${cell.series}`;
      const point = points.get(key);
      if (point) merge(point, cell);
      else
        points.set(key, {
          minute: new Date(minute * MINUTE),
          series: cell.series,
          count: cell.count,
          sumMs: cell.sumMs,
          maxMs: cell.maxMs,
        });
    }
    return [...points.values()].sort((a, b) => a.minute.getTime() - b.minute.getTime());
  }

  private *window(query: MetricQuery): Generator<[number, Cell]> {
    const last = Math.floor(this.clock() / MINUTE);
    const first = last - metricWindow(query.minutes) + 1;
    for (const [minute, cells] of this.minutes) {
      if (minute < first || minute > last) continue;
      for (const cell of cells.values()) {
        if (query.queue !== undefined && cell.queueName !== query.queue) continue;
        if (query.jobName !== undefined && cell.jobName !== query.jobName) continue;
        yield [minute, cell];
      }
    }
  }

  private add(minute: number, job: EndedAttempt, series: MetricSeries, ms: number): void {
    let cells = this.minutes.get(minute);
    if (!cells) {
      cells = new Map();
      this.minutes.set(minute, cells);
      // Pruned when a minute is added, so the map never holds more than a day and an hour.
      for (const m of this.minutes.keys()) if (m <= minute - METRIC_MINUTES_KEPT) this.minutes.delete(m);
    }
    const bucket = durationBucket(ms);
    const key = `${job.queueName}\u0000${job.jobName}\u0000${series}\u0000${bucket}`;
    const cell = cells.get(key);
    if (cell) merge(cell, { count: 1, sumMs: ms, maxMs: ms });
    else
      cells.set(key, {
        queueName: job.queueName,
        jobName: job.jobName,
        series,
        bucket,
        count: 1,
        sumMs: ms,
        maxMs: ms,
      });
  }
}

function merge(
  into: { count: number; sumMs: number; maxMs: number },
  from: { count: number; sumMs: number; maxMs: number },
) {
  into.count += from.count;
  into.sumMs += from.sumMs;
  into.maxMs = Math.max(into.maxMs, from.maxMs);
}
