import type { BatchRecord } from '../batches/batch.js';
import type { JobDispatcher, QueueStats } from '../dispatcher.js';
import type { ActivityEntry, ThroughputBucket, WorkerInfo } from '../drivers/contract.js';
import type { QueueLimits } from '../drivers/flow-contract.js';
import type { JobRecord } from '../job.js';
import { redactRecord } from '../logging/sensitive.js';
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
}

export class DashboardData {
  constructor(private readonly dispatcher: JobDispatcher) {}

  /** The newest batches. */
  batches(): Promise<BatchRecord[]> {
    return this.dispatcher.batches({ limit: 100 });
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
    const activity = await this.dispatcher.activity({ jobId: id, limit: 100 });
    return { job: redactRecord(found, this.dispatcher.registry), activity };
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
    return this.dispatcher.retryFailed(id);
  }

  retryAll(queue: string | undefined): Promise<number> {
    return this.dispatcher.retryFailed('all', { queue });
  }

  /** Deletes one failed job; false when no failed job has that id. */
  deleteFailed(id: string): Promise<boolean> {
    return this.dispatcher.forgetFailed(id);
  }

  clearFailed(queue: string | undefined): Promise<number> {
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
