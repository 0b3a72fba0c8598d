/**
 * Attempt history and per-minute metrics: what every store records when a started attempt ends
 * (completed, retried or failed, including a worker that died), in the same step that writes the
 * outcome (a trigger of the settle statement, or the settle script), so the hot path gains no
 * round trip. Readers use stored text only: nothing here needs the job's class.
 */

/** How a started attempt ended. A release (the attempt given back) is not an attempt. */
export type AttemptOutcome = 'completed' | 'retried' | 'failed';

/** One attempt of one job, as the store recorded it when the attempt ended. */
export interface AttemptRecord {
  jobId: string;
  /** 1 for the first run (the job's `attempts` when this one started). */
  attempt: number;
  queueName: string;
  jobName: string;
  /** The worker that held the lease, when the store knows it. */
  workerId: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** finishedAt − startedAt, by the store's clock. */
  durationMs: number;
  /** How long the job waited between becoming due and this attempt's start (null if unknown). */
  waitMs: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

/**
 * A metric series: run times of completed, retried and failed attempts, and wait times (due to
 * start) of every ended attempt. Stored as one letter: c, r, f, w.
 */
export type MetricSeries = 'completed' | 'retried' | 'failed' | 'wait';

export const SERIES_CODES: Record<MetricSeries, string> = {
  completed: 'c',
  retried: 'r',
  failed: 'f',
  wait: 'w',
};
const SERIES_BY_CODE: Record<string, MetricSeries> = { c: 'completed', r: 'retried', f: 'failed', w: 'wait' };

export function seriesOfCode(code: string): MetricSeries | null {
  return SERIES_BY_CODE[code.trim()] ?? null;
}

/** One histogram cell summed over a window: how many durations fell in `bucket`, their sum and max. */
export interface MetricCell {
  queueName: string;
  jobName: string;
  series: MetricSeries;
  bucket: number;
  count: number;
  sumMs: number;
  maxMs: number;
}

/** A summed metric row as the SQL stores read it (PostgreSQL's bigint sums arrive as strings). */
export interface MetricCellRow {
  queue_name: string;
  job_name: string;
  series: string;
  bucket: number;
  n: number | string;
  sum_ms: number | string;
  max_ms: number | string;
}

/** The cell of a summed row; none for a series code no version of the trigger writes. */
export function metricCellOfRow(row: MetricCellRow): MetricCell[] {
  const series = seriesOfCode(row.series);
  if (!series) return [];
  return [
    {
      queueName: row.queue_name,
      jobName: row.job_name,
      series,
      bucket: row.bucket,
      count: Number(row.n),
      sumMs: Number(row.sum_ms),
      maxMs: Number(row.max_ms),
    },
  ];
}

/** One minute of one series, summed over every queue and class that matched. */
export interface MetricPoint {
  minute: Date;
  series: MetricSeries;
  count: number;
  sumMs: number;
  maxMs: number;
}

export interface MetricQuery {
  /** The window: the last this many minutes by the store's clock (1 to 1440). */
  minutes: number;
  queue?: string;
  jobName?: string;
}

/** A job a worker holds right now: running (started) or held ahead (startedAt null). */
export interface RunningJob {
  id: string;
  queueName: string;
  jobName: string;
  workerId: string | null;
  /** When the running attempt started; null for a job only held ahead. */
  startedAt: Date | null;
  attempts: number;
}

/** Jobs listed at most by `runningJobs`. */
export const MAX_RUNNING_LISTED = 1000;

/** Optional store verbs (check `canRecordInsights`): attempt history and metrics. */
export interface JobInsights {
  /** Jobs in 'processing' with the worker holding each, oldest lease first, at most `limit`. */
  runningJobs(params: { limit: number }): Promise<RunningJob[]>;
  /** The job's recorded attempts, newest first, at most `limit`. */
  attemptHistory(params: { id: string; limit: number }): Promise<AttemptRecord[]>;
  /** Histogram cells per queue, class, series and bucket, summed over the window. */
  metricCells(params: MetricQuery): Promise<MetricCell[]>;
  /** Per-minute totals of each series over the window, oldest first (empty minutes left out). */
  metricTimeline(params: MetricQuery): Promise<MetricPoint[]>;
}

/** Attempts kept per job: older ones are trimmed once a job has run more than this. */
export const ATTEMPTS_KEPT_PER_JOB = 25;
/** Metric minutes kept: a day and an hour, so "the last day" is always whole. */
export const METRIC_MINUTES_KEPT = 25 * 60;
export const MAX_METRIC_WINDOW_MINUTES = 24 * 60;

/**
 * Upper bounds (ms) of the duration buckets, 1-2-5 steps up to an hour; bucket i holds
 * durations ≤ BOUNDS[i] (and above BOUNDS[i-1]); bucket BOUNDS.length holds the rest. The
 * same list is spelled out in the stores' SQL and Lua (sqlite/history.ts, postgres 007,
 * redis history.lua): change them together.
 */
export const DURATION_BOUNDS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000,
  600_000, 1_800_000, 3_600_000,
] as const;

export function durationBucket(ms: number): number {
  for (let i = 0; i < DURATION_BOUNDS_MS.length; i++) if (ms <= DURATION_BOUNDS_MS[i]!) return i;
  return DURATION_BOUNDS_MS.length;
}

/** The SQL CASE expression mapping a duration in ms to its bucket (shared by SQLite and PostgreSQL). */
export function bucketSql(ms: string): string {
  const arms = DURATION_BOUNDS_MS.map((b, i) => `WHEN ${ms} <= ${b} THEN ${i}`).join(' ');
  return `(CASE ${arms} ELSE ${DURATION_BOUNDS_MS.length} END)`;
}

/** Percentiles of one series, estimated from its buckets (linear inside a bucket, capped at the max). */
export interface DurationSummary {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

export function summarizeDurations(
  cells: Array<Pick<MetricCell, 'bucket' | 'count' | 'sumMs' | 'maxMs'>>,
): DurationSummary {
  const byBucket = new Map<number, number>();
  let count = 0;
  let sum = 0;
  let max = 0;
  for (const c of cells) {
    byBucket.set(c.bucket, (byBucket.get(c.bucket) ?? 0) + c.count);
    count += c.count;
    sum += c.sumMs;
    max = Math.max(max, c.maxMs);
  }
  if (count === 0) return { count: 0, p50Ms: null, p95Ms: null, maxMs: null, meanMs: null };
  const ordered = [...byBucket].sort((a, b) => a[0] - b[0]);
  const quantile = (q: number): number => {
    const rank = q * count;
    let seen = 0;
    for (const [bucket, n] of ordered) {
      if (seen + n >= rank) {
        const low = bucket === 0 ? 0 : DURATION_BOUNDS_MS[bucket - 1]!;
        const high = Math.min(DURATION_BOUNDS_MS[bucket] ?? max, max);
        const within = n === 0 ? 0 : (rank - seen) / n;
        return Math.max(0, Math.min(max, low + (Math.max(high, low) - low) * within));
      }
      seen += n;
    }
    return max;
  };
  return { count, p50Ms: quantile(0.5), p95Ms: quantile(0.95), maxMs: max, meanMs: sum / count };
}

/** What a queue or a job class did over a window. */
export interface ClassMetrics {
  queueName: string | null;
  jobName: string | null;
  completed: number;
  failed: number;
  retried: number;
  /** Failed (for good) and retried attempts over every ended attempt, 0..1; null with no attempts. */
  failureRate: number | null;
  /** Completed jobs per minute over the window. */
  perMinute: number;
  run: DurationSummary;
  wait: DurationSummary;
}

/** Groups cells by `key` (a queue, a class, or everything) into one summary per group. */
export function metricsBy(
  cells: MetricCell[],
  minutes: number,
  key: (c: MetricCell) => { queueName: string | null; jobName: string | null },
): ClassMetrics[] {
  const groups = new Map<string, { id: ReturnType<typeof key>; cells: MetricCell[] }>();
  for (const c of cells) {
    const id = key(c);
    const k = `${id.queueName ?? ''}\u0000${id.jobName ?? ''}`;
    let g = groups.get(k);
    if (!g) {
      g = { id, cells: [] };
      groups.set(k, g);
    }
    g.cells.push(c);
  }
  return [...groups.values()].map(({ id, cells: list }) => {
    const total = (s: MetricSeries) => list.filter((c) => c.series === s).reduce((n, c) => n + c.count, 0);
    const completed = total('completed');
    const failed = total('failed');
    const retried = total('retried');
    const ended = completed + failed + retried;
    return {
      ...id,
      completed,
      failed,
      retried,
      failureRate: ended === 0 ? null : (failed + retried) / ended,
      perMinute: completed / Math.max(1, minutes),
      run: summarizeDurations(list.filter((c) => c.series !== 'wait')),
      wait: summarizeDurations(list.filter((c) => c.series === 'wait')),
    };
  });
}

/** The window a reader asks for, bounded (1 minute to a day). */
export function metricWindow(minutes: number): number {
  if (!Number.isFinite(minutes)) return 60;
  return Math.min(MAX_METRIC_WINDOW_MINUTES, Math.max(1, Math.trunc(minutes)));
}

/** The capability check: the store records attempts and metrics. */
export function canRecordInsights<T extends object>(driver: T): driver is T & JobInsights {
  const d = driver as Partial<JobInsights>;
  return (
    typeof d.attemptHistory === 'function' &&
    typeof d.runningJobs === 'function' &&
    typeof d.metricCells === 'function' &&
    typeof d.metricTimeline === 'function'
  );
}
