import type { BatchRecord } from '../batches/batch.js';
import type { JobDispatcher, QueueStats } from '../dispatcher.js';
import type { ActivityEntry, ThroughputBucket, WorkerInfo } from '../drivers/contract.js';
import type { QueueLimits } from '../drivers/flow-contract.js';
import {
  type AttemptRecord,
  type ClassMetrics,
  canRecordInsights,
  MAX_RUNNING_LISTED,
  type MetricPoint,
  type RunningJob,
} from '../drivers/insights.js';
import type { ErrorGroup } from '../insights/error-groups.js';
import { type ClassInsight, InsightsReader } from '../insights/reader.js';
import type { JobRecord } from '../job.js';
import { redactRecord } from '../logging/sensitive.js';
import type { ScheduleInfo } from '../schedules/schedule-info.js';
import type { ListQuery } from './params.js';

/**
 * What the pages and the JSON API show, read through the dispatcher only (never a table), so
 * the dashboard works the same on every driver.
 */

export interface QueueOverview extends QueueStats {
  paused: boolean;
  /** Only on queues with limits (`setQueueLimits`, `artisan queue:limit`). */
  limits?: QueueLimits;
}

export interface Overview {
  driver: string;
  pauseSupported: boolean;
  queues: QueueOverview[];
  totals: Omit<QueueStats, 'queueName' | 'oldestPendingMs'> & { oldestPendingMs: number | null };
  throughput: ThroughputBucket[];
  /** Live worker processes across machines, and their slots (a worker of two queues counts once). */
  liveWorkers: number;
  workerSlots: number;
  generatedAt: Date;
}

export interface JobList {
  jobs: JobRecord[];
  total: number;
  limit: number;
  offset: number;
  page: number;
  pages: number;
}

export interface JobDetail {
  job: JobRecord;
  activity: ActivityEntry[];
  /** Every recorded attempt, newest first, errors scrubbed like the job's own. */
  attempts: AttemptRecord[];
  attemptsSupported: boolean;
}

/** A live worker with the jobs it holds right now, and whether its heartbeat is late. */
export interface WorkerWithJobs extends WorkerInfo {
  running: RunningJob[];
  /** No heartbeat for more than two heartbeat intervals: it may be frozen or overloaded. */
  stale: boolean;
}

export interface MetricsView {
  supported: boolean;
  byQueue: ClassMetrics[];
  byClass: ClassMetrics[];
  /** Every series per minute over the last hour, all queues and classes together. */
  timeline: MetricPoint[];
}

type GroupedFailures = { groups: ErrorGroup[]; scanned: number; total: number };

/** How long the failed page's error groups of one filter are reused. */
const GROUPS_TTL_MS = 2000;

export class DashboardData {
  readonly insights: InsightsReader;
  private readonly groupsCache = new Map<string, { at: number; value: Promise<GroupedFailures> }>();

  constructor(private readonly dispatcher: JobDispatcher) {
    this.insights = new InsightsReader(dispatcher);
  }

  /** The newest batches. */
  batches(): Promise<BatchRecord[]> {
    return this.dispatcher.batches({ limit: 100 });
  }

  /** Stored schedules with their last and next tick. */
  schedules(): Promise<ScheduleInfo[]> {
    return this.dispatcher.schedules();
  }

  async driverInfo(): Promise<{ name: string; pauseSupported: boolean }> {
    const driver = await this.dispatcher.driver();
    return { name: driver.name, pauseSupported: driver.capabilities.pause };
  }

  async overview(options: { queue?: string; minutes?: number } = {}): Promise<Overview> {
    const [info, stats, paused, throughput, workers, limited] = await Promise.all([
      this.driverInfo(),
      this.dispatcher.allStats(),
      this.dispatcher.pausedQueues(),
      this.dispatcher.throughput({ queue: options.queue, minutes: options.minutes ?? 60 }),
      this.dispatcher.liveWorkers(),
      this.dispatcher.driver().then((d) => d.limitedQueues()),
    ]);
    const names = new Set(stats.map((s) => s.queueName));
    // A paused queue with no jobs yet is still worth showing, with its resume button.
    const queues: QueueOverview[] = stats.map((s) => ({ ...s, paused: paused.includes(s.queueName) }));
    for (const name of paused) {
      if (!names.has(name)) queues.push({ ...emptyStats(name), paused: true });
    }
    for (const { queue, limits } of limited) {
      const q = queues.find((entry) => entry.queueName === queue);
      if (q) q.limits = limits;
    }
    queues.sort((a, b) => a.queueName.localeCompare(b.queueName));
    const totals = {
      pendingJobs: 0,
      processingJobs: 0,
      retryingJobs: 0,
      completedJobs: 0,
      failedJobs: 0,
      workersCount: 0,
      oldestPendingMs: null as number | null,
    };
    for (const q of queues) {
      totals.pendingJobs += q.pendingJobs;
      totals.processingJobs += q.processingJobs;
      totals.retryingJobs += q.retryingJobs;
      totals.completedJobs += q.completedJobs;
      totals.failedJobs += q.failedJobs;
      totals.workersCount += q.workersCount;
      if (q.oldestPendingMs !== null) {
        totals.oldestPendingMs = Math.max(totals.oldestPendingMs ?? 0, q.oldestPendingMs);
      }
    }
    return {
      driver: info.name,
      pauseSupported: info.pauseSupported,
      queues,
      totals,
      throughput,
      liveWorkers: workers.length,
      workerSlots: workers.reduce((sum, w) => sum + w.concurrency, 0),
      generatedAt: new Date(),
    };
  }

  /** Every queue the store knows of, for the jobs page's queue filter. */
  async queueNames(): Promise<string[]> {
    const [stats, paused] = await Promise.all([this.dispatcher.allStats(), this.dispatcher.pausedQueues()]);
    return [...new Set([...stats.map((s) => s.queueName), ...paused])].sort();
  }

  async jobs(query: ListQuery): Promise<JobList> {
    const { jobs, total } = await this.dispatcher.jobs({
      queue: query.queue,
      status: query.status,
      search: query.search,
      limit: query.limit,
      offset: query.offset,
      order: query.order,
    });
    return {
      // Fields a job class marks sensitive never reach the page or the API.
      jobs: jobs.map((job) => redactRecord(job, this.dispatcher.registry)),
      total,
      limit: query.limit,
      offset: query.offset,
      page: query.page,
      pages: Math.max(1, Math.ceil(total / query.limit)),
    };
  }

  async job(id: string): Promise<JobDetail | null> {
    const found = await this.dispatcher.find(id);
    if (!found) return null;
    const [activity, attempts, attemptsSupported] = await Promise.all([
      this.dispatcher.activity({ jobId: id, limit: 100 }),
      this.insights.attemptsOf(found),
      this.insights.supported(),
    ]);
    return { job: redactRecord(found, this.dispatcher.registry), activity, attempts, attemptsSupported };
  }

  async metrics(minutes: number): Promise<MetricsView> {
    const [supported, byQueue, byClass, timeline] = await Promise.all([
      this.insights.supported(),
      this.insights.byQueue(minutes),
      this.insights.byClass(minutes),
      this.insights.timeline(60),
    ]);
    return { supported, byQueue, byClass, timeline };
  }

  jobClass(jobName: string): Promise<ClassInsight> {
    return this.insights.jobClass(jobName);
  }

  /**
   * Error groups read up to 5,000 failed jobs: a page that live updates refetches often, so the
   * groups of one filter are reused for GROUPS_TTL_MS (the group actions always read afresh).
   */
  errorGroups(filter: { queue?: string; search?: string }): Promise<GroupedFailures> {
    const key = `${filter.queue ?? ''}\u0000${filter.search ?? ''}`;
    const now = Date.now();
    const cached = this.groupsCache.get(key);
    if (cached && now - cached.at < GROUPS_TTL_MS) return cached.value;
    const value = this.insights.errorGroups(filter);
    this.groupsCache.set(key, { at: now, value });
    value.catch(() => this.groupsCache.delete(key));
    // A handful of filters at most: forget the oldest.
    if (this.groupsCache.size > 20) this.groupsCache.delete(this.groupsCache.keys().next().value!);
    return value;
  }

  retryGroup(fingerprint: string, filter: { queue?: string; search?: string }): Promise<number> {
    this.groupsCache.clear();
    return this.insights.retryGroup(fingerprint, filter);
  }

  deleteGroup(fingerprint: string, filter: { queue?: string; search?: string }): Promise<number> {
    this.groupsCache.clear();
    return this.insights.deleteGroup(fingerprint, filter);
  }

  /** Live workers with the jobs each holds (running and held ahead), stale ones marked. */
  async workersWithJobs(): Promise<WorkerWithJobs[]> {
    const driver = await this.dispatcher.driver();
    const [workers, running] = await Promise.all([
      this.dispatcher.liveWorkers(),
      canRecordInsights(driver) ? driver.runningJobs({ limit: MAX_RUNNING_LISTED }) : Promise.resolve([]),
    ]);
    // Workers renew their registration every third of the lease: two missed renewals is late.
    const c = this.dispatcher.config;
    const staleAfterMs = Math.max(5000, ((c.leaseSeconds + c.leaseGraceSeconds) * 1000 * 2) / 3);
    const now = Date.now();
    return workers.map((w) => ({
      ...w,
      running: running.filter((j) => j.workerId === w.workerId),
      stale: now - w.lastHeartbeatAt.getTime() > staleAfterMs,
    }));
  }

  /**
   * A short text that changes whenever what the live pages show may have changed (counts per
   * queue, workers, jobs done): the event stream sends an update when it does.
   */
  async liveSignature(): Promise<string> {
    const [stats, workers] = await Promise.all([this.dispatcher.allStats(), this.dispatcher.liveWorkers()]);
    const counts = stats.map(
      (s) =>
        `${s.queueName}:${s.pendingJobs}/${s.processingJobs}/${s.retryingJobs}/${s.completedJobs}/${s.failedJobs}/${s.workersCount}`,
    );
    const live = workers.map((w) => `${w.workerId}:${w.jobsDone}/${w.held ?? 0}`).sort();
    return `${counts.join(',')}|${live.join(',')}`;
  }

  /** Queues with failed jobs, for the per-queue retry-all and clear-all buttons. */
  async failedQueues(): Promise<Array<{ queueName: string; failedJobs: number }>> {
    const stats = await this.dispatcher.allStats();
    return stats
      .filter((s) => s.failedJobs > 0)
      .map((s) => ({ queueName: s.queueName, failedJobs: s.failedJobs }));
  }

  workers(): Promise<WorkerInfo[]> {
    return this.dispatcher.liveWorkers();
  }

  retry(id: string): Promise<number> {
    this.groupsCache.clear();
    return this.dispatcher.retryFailed(id);
  }

  retryAll(queue: string | undefined): Promise<number> {
    this.groupsCache.clear();
    return this.dispatcher.retryFailed('all', { queue });
  }

  /** Deletes one failed job; false when no failed job has that id. */
  deleteFailed(id: string): Promise<boolean> {
    this.groupsCache.clear();
    return this.dispatcher.forgetFailed(id);
  }

  clearFailed(queue: string | undefined): Promise<number> {
    this.groupsCache.clear();
    return this.dispatcher.clearFailed({ queue });
  }

  pause(queue: string): Promise<void> {
    return this.dispatcher.pause(queue);
  }

  resume(queue: string): Promise<void> {
    return this.dispatcher.resume(queue);
  }
}

function emptyStats(queueName: string): QueueStats {
  return {
    queueName,
    pendingJobs: 0,
    processingJobs: 0,
    retryingJobs: 0,
    completedJobs: 0,
    failedJobs: 0,
    workersCount: 0,
    oldestPendingMs: null,
  };
}
