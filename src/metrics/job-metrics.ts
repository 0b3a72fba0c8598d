import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobDispatcher } from '../dispatcher.js';
import { MissingDependencyError } from '../errors.js';

type PromClient = typeof import('prom-client');

/**
 * The prom-client module as the published declarations show it. prom-client is an optional peer,
 * so they must not import it (a TypeScript user without it would get errors); the code casts to
 * the real module type inside.
 */
export interface PromClientModule {
  Registry: new () => MetricsRegistry;
}

/** prom-client is an optional peer: loaded on first use, and a clear error when it is missing. */
export async function loadPromClient(
  importer: () => Promise<unknown> = () => import('prom-client'),
): Promise<PromClientModule> {
  try {
    const mod = (await importer()) as PromClient & { default?: PromClient };
    return mod.Registry ? mod : (mod.default as PromClient);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingDependencyError(
        'MISSING_DEPENDENCY',
        "Prometheus metrics need the 'prom-client' package: npm install prom-client@^15",
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * What jobwright uses of a prom-client `Registry`, typed structurally so that its declarations do
 * not need prom-client installed. Any prom-client Registry fits (its global `register` too); the
 * one in `JobMetrics` is a real Registry, to cast back for the rest of its methods.
 */
export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface JobMetricsOptions {
  /** Register into this prom-client registry (e.g. its global `register`); a new one by default. */
  register?: MetricsRegistry;
  /** Metric name prefix; 'jobwright_' by default. */
  prefix?: string;
  /** Also export Node process metrics (CPU, memory, event loop) into the registry. */
  collectDefaultMetrics?: boolean;
  /** Histogram buckets in seconds. */
  durationBuckets?: number[];
  waitBuckets?: number[];
}

export interface JobMetrics {
  /** The prom-client `Registry` the metrics are in. */
  register: MetricsRegistry;
  contentType: string;
  /** The exposition text (collects queue depth and live workers from the store first). */
  metrics(): Promise<string>;
  /** Stops counting this dispatcher's events. */
  detach(): void;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600, 4 * 3600];
/** One scrape asks several store gauges in a row; one store round trip serves them all. */
const COLLECT_REUSE_MS = 100;

/**
 * Prometheus metrics of one dispatcher: counters and histograms fed by its events (this
 * process's work), gauges collected from the store at scrape time (every process's queues).
 */
export async function createJobMetrics(
  dispatcher: JobDispatcher,
  options: JobMetricsOptions = {},
): Promise<JobMetrics> {
  const prom = (await loadPromClient()) as PromClient;
  // Only a prom-client Registry is meant to be passed; its structural type is MetricsRegistry.
  const register = (options.register as Registry | undefined) ?? new prom.Registry();
  const p = options.prefix ?? 'jobwright_';
  const jobLabels = ['queue', 'job_name'] as const;
  const counter = (name: string, help: string): Counter<'queue' | 'job_name'> =>
    new prom.Counter({ name: p + name, help, labelNames: jobLabels, registers: [register] });
  const dispatched = counter('jobs_dispatched_total', 'Jobs dispatched by this process');
  const processed = counter('jobs_processed_total', 'Jobs completed successfully by this process');
  const failed = counter('jobs_failed_total', 'Jobs failed for good (no attempts left) in this process');
  const retried = counter('jobs_retried_total', 'Failed attempts scheduled for a retry in this process');
  const duration: Histogram<'queue' | 'job_name' | 'outcome'> = new prom.Histogram({
    name: `${p}job_duration_seconds`,
    help: 'Run time of one attempt, by outcome (completed, retried, failed)',
    labelNames: ['queue', 'job_name', 'outcome'],
    buckets: options.durationBuckets ?? DURATION_BUCKETS,
    registers: [register],
  });
  const wait: Histogram<'queue' | 'job_name'> = new prom.Histogram({
    name: `${p}job_wait_seconds`,
    help: 'Time from due to picked up by a worker',
    labelNames: jobLabels,
    buckets: options.waitBuckets ?? WAIT_BUCKETS,
    registers: [register],
  });

  // Reused while in flight and for a moment after it settled, never across scrapes seconds apart.
  let snapshot: { settledAt: number | null; promise: Promise<Snapshot> } | undefined;
  const collect = (): Promise<Snapshot> => {
    const fresh =
      snapshot && (snapshot.settledAt === null || Date.now() - snapshot.settledAt < COLLECT_REUSE_MS);
    if (!fresh) {
      const entry: { settledAt: number | null; promise: Promise<Snapshot> } = {
        settledAt: null,
        promise: takeSnapshot(dispatcher),
      };
      entry.promise.then(
        () => (entry.settledAt = Date.now()),
        () => (entry.settledAt = 0),
      );
      snapshot = entry;
    }
    return snapshot!.promise;
  };
  const depth: Gauge<'queue' | 'state'> = new prom.Gauge({
    name: `${p}queue_depth`,
    help: 'Jobs in the store by queue and state (pending includes delayed jobs)',
    labelNames: ['queue', 'state'],
    registers: [register],
    async collect() {
      const { stats } = await collect();
      this.reset();
      for (const s of stats) {
        this.set({ queue: s.queueName, state: 'pending' }, s.pendingJobs);
        this.set({ queue: s.queueName, state: 'processing' }, s.processingJobs);
        this.set({ queue: s.queueName, state: 'retrying' }, s.retryingJobs);
        this.set({ queue: s.queueName, state: 'failed' }, s.failedJobs);
      }
    },
  });
  const oldest: Gauge<'queue'> = new prom.Gauge({
    name: `${p}queue_oldest_pending_seconds`,
    help: 'Age of the oldest due job still waiting (0 when none)',
    labelNames: ['queue'],
    registers: [register],
    async collect() {
      const { stats } = await collect();
      this.reset();
      for (const s of stats) this.set({ queue: s.queueName }, (s.oldestPendingMs ?? 0) / 1000);
    },
  });
  const workers: Gauge<'queue'> = new prom.Gauge({
    name: `${p}workers`,
    help: 'Live worker processes on each queue, across every process on this store',
    labelNames: ['queue'],
    registers: [register],
    async collect() {
      const { stats, live } = await collect();
      this.reset();
      for (const s of stats) this.set({ queue: s.queueName }, live.get(s.queueName) ?? 0);
    },
  });
  const slots: Gauge<'queue'> = new prom.Gauge({
    name: `${p}worker_concurrency`,
    help: 'Concurrent job slots of the live workers on each queue, summed across processes',
    labelNames: ['queue'],
    registers: [register],
    async collect() {
      const { stats } = await collect();
      this.reset();
      for (const s of stats) this.set({ queue: s.queueName }, s.workersCount);
    },
  });
  void [depth, oldest, workers, slots];
  if (options.collectDefaultMetrics) prom.collectDefaultMetrics({ register, prefix: p });

  const labels = (e: { queueName: string; jobName: string }) => ({ queue: e.queueName, job_name: e.jobName });
  const events = dispatcher.events;
  const listeners = {
    dispatched: (e: { queueName: string; jobName: string }) => dispatched.inc(labels(e)),
    processing: (e: { queueName: string; jobName: string; waitMs: number }) =>
      wait.observe(labels(e), e.waitMs / 1000),
    completed: (e: { queueName: string; jobName: string; durationMs: number }) => {
      processed.inc(labels(e));
      duration.observe({ ...labels(e), outcome: 'completed' }, e.durationMs / 1000);
    },
    retrying: (e: { queueName: string; jobName: string; durationMs: number }) => {
      retried.inc(labels(e));
      duration.observe({ ...labels(e), outcome: 'retried' }, e.durationMs / 1000);
    },
    failed: (e: { queueName: string; jobName: string; durationMs: number | null }) => {
      failed.inc(labels(e));
      if (e.durationMs !== null) duration.observe({ ...labels(e), outcome: 'failed' }, e.durationMs / 1000);
    },
  };
  events.on('job:dispatched', listeners.dispatched);
  events.on('job:processing', listeners.processing);
  events.on('job:completed', listeners.completed);
  events.on('job:retrying', listeners.retrying);
  events.on('job:failed', listeners.failed);

  return {
    register,
    contentType: register.contentType,
    metrics: () => register.metrics(),
    detach() {
      events.off('job:dispatched', listeners.dispatched);
      events.off('job:processing', listeners.processing);
      events.off('job:completed', listeners.completed);
      events.off('job:retrying', listeners.retrying);
      events.off('job:failed', listeners.failed);
    },
  };
}

interface Snapshot {
  stats: Awaited<ReturnType<JobDispatcher['allStats']>>;
  /** Live worker processes per queue. */
  live: Map<string, number>;
}

async function takeSnapshot(dispatcher: JobDispatcher): Promise<Snapshot> {
  const [stats, workers] = await Promise.all([dispatcher.allStats(), dispatcher.liveWorkers()]);
  const live = new Map<string, number>();
  for (const w of workers) for (const q of w.queues) live.set(q, (live.get(q) ?? 0) + 1);
  return { stats, live };
}

const shared = new WeakMap<JobDispatcher, Promise<JobMetrics>>();

/** The dispatcher's metrics, made once and shared by `metricsHandler` and `startMetricsServer`. */
export function jobMetrics(dispatcher: JobDispatcher): Promise<JobMetrics> {
  let metrics = shared.get(dispatcher);
  if (!metrics) {
    metrics = createJobMetrics(dispatcher);
    shared.set(dispatcher, metrics);
    // A failed load (prom-client missing) is not cached: installing it and retrying works.
    metrics.catch(() => shared.delete(dispatcher));
  }
  return metrics;
}
