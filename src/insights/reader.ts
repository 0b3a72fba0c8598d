import type { JobDispatcher } from '../dispatcher.js';
import {
  ATTEMPTS_KEPT_PER_JOB,
  type AttemptRecord,
  type ClassMetrics,
  canRecordInsights,
  type MetricPoint,
  metricsBy,
  metricWindow,
} from '../drivers/insights.js';
import type { JobRecord } from '../job.js';
import { redactRecord } from '../logging/sensitive.js';
import { type ErrorGroup, groupFailures, MAX_GROUPED_FAILURES } from './error-groups.js';

/** A finished run of a class, from its job row (start of the last attempt to its end). */
export interface RunSummary {
  id: string;
  queueName: string;
  status: string;
  attempts: number;
  startedAt: Date;
  durationMs: number;
}

export interface ClassInsight {
  jobName: string;
  hour: ClassMetrics | null;
  day: ClassMetrics | null;
  timeline: MetricPoint[];
  /** Recent jobs of the class, newest first, sensitive fields redacted. */
  recent: JobRecord[];
  /** The slowest finished runs among the recent jobs. */
  slowest: RunSummary[];
}

const RECENT_JOBS = 200;
/** The dispatcher's largest list page. */
const PAGE = 1000;

/**
 * What the dashboard and `queue:show` read about attempts, metrics and error groups, through the
 * dispatcher's driver only. Everything works from stored text: a job whose class is not loaded
 * reads the same. On a store without these verbs the readers answer empty.
 */
export class InsightsReader {
  constructor(private readonly dispatcher: JobDispatcher) {}

  async supported(): Promise<boolean> {
    return canRecordInsights(await this.dispatcher.driver());
  }

  /**
   * The job's attempts, newest first, each error scrubbed of the job's sensitive values like the
   * job's own error (`record` is the job as found, before redaction: its payload holds the values).
   */
  async attemptsOf(record: JobRecord): Promise<AttemptRecord[]> {
    const attempts = await this.attempts(record.id);
    return attempts.map((a) =>
      a.error === null
        ? a
        : {
            ...a,
            error: redactRecord({ ...record, errorMessage: a.error }, this.dispatcher.registry).errorMessage,
          },
    );
  }

  /** Raw attempts as stored (errors not scrubbed): for callers that scrub them themselves. */
  async attempts(id: string, limit = ATTEMPTS_KEPT_PER_JOB): Promise<AttemptRecord[]> {
    const driver = await this.dispatcher.driver();
    if (!canRecordInsights(driver) || typeof id !== 'string' || id.length === 0 || id.length > 64) return [];
    return driver.attemptHistory({
      id,
      limit: Math.min(Math.max(1, Math.trunc(limit)), ATTEMPTS_KEPT_PER_JOB),
    });
  }

  /** Metrics of each queue (jobName null) over the window. */
  async byQueue(minutes: number): Promise<ClassMetrics[]> {
    const driver = await this.dispatcher.driver();
    if (!canRecordInsights(driver)) return [];
    const window = metricWindow(minutes);
    const cells = await driver.metricCells({ minutes: window });
    return metricsBy(cells, window, (c) => ({ queueName: c.queueName, jobName: null })).sort((a, b) =>
      (a.queueName ?? '').localeCompare(b.queueName ?? ''),
    );
  }

  /** Metrics of each job class (across its queues, queueName null) over the window. */
  async byClass(minutes: number, queue?: string): Promise<ClassMetrics[]> {
    const driver = await this.dispatcher.driver();
    if (!canRecordInsights(driver)) return [];
    const window = metricWindow(minutes);
    const cells = await driver.metricCells({ minutes: window, queue });
    return metricsBy(cells, window, (c) => ({ queueName: null, jobName: c.jobName })).sort(
      (a, b) => b.completed + b.failed + b.retried - (a.completed + a.failed + a.retried),
    );
  }

  async timeline(minutes: number, filter: { queue?: string; jobName?: string } = {}): Promise<MetricPoint[]> {
    const driver = await this.dispatcher.driver();
    if (!canRecordInsights(driver)) return [];
    return driver.metricTimeline({ minutes: metricWindow(minutes), ...filter });
  }

  async jobClass(jobName: string): Promise<ClassInsight> {
    const driver = await this.dispatcher.driver();
    const insights = canRecordInsights(driver) ? driver : null;
    const [hourCells, dayCells, timeline, listed] = await Promise.all([
      insights ? insights.metricCells({ minutes: 60, jobName }) : [],
      insights ? insights.metricCells({ minutes: 24 * 60, jobName }) : [],
      insights ? insights.metricTimeline({ minutes: 60, jobName }) : [],
      // The list's search matches the name as a substring (and payload and error text): keep exact matches.
      this.dispatcher.jobs({ search: jobName, limit: PAGE, offset: 0 }),
    ]);
    const whole = () => ({ queueName: null, jobName });
    const recent = listed.jobs.filter((j) => j.jobName === jobName).slice(0, RECENT_JOBS);
    const slowest = recent
      .flatMap((j): RunSummary[] => {
        const end = j.status === 'completed' ? j.processedAt : j.status === 'failed' ? j.failedAt : null;
        if (!end || !j.reservedAt) return [];
        return [
          {
            id: j.id,
            queueName: j.queueName,
            status: j.status,
            attempts: j.attempts,
            startedAt: j.reservedAt,
            durationMs: Math.max(0, end.getTime() - j.reservedAt.getTime()),
          },
        ];
      })
      .sort((a, b) => b.durationMs - a.durationMs)
      .slice(0, 10);
    return {
      jobName,
      hour: metricsBy(hourCells, 60, whole)[0] ?? null,
      day: metricsBy(dayCells, 24 * 60, whole)[0] ?? null,
      timeline,
      recent: recent.slice(0, 25).map((j) => redactRecord(j, this.dispatcher.registry)),
      slowest,
    };
  }

  /**
   * Failed jobs grouped by masked error, from the newest MAX_GROUPED_FAILURES failures (of one
   * queue, matching `search` in id, name, payload or error text when given).
   */
  async errorGroups(
    filter: { queue?: string; search?: string } = {},
  ): Promise<{ groups: ErrorGroup[]; scanned: number; total: number }> {
    const jobs: JobRecord[] = [];
    let total = 0;
    for (let offset = 0; offset < MAX_GROUPED_FAILURES; offset += PAGE) {
      const page = await this.dispatcher.jobs({
        status: 'failed',
        queue: filter.queue,
        search: filter.search || undefined,
        limit: Math.min(PAGE, MAX_GROUPED_FAILURES - offset),
        offset,
      });
      total = page.total;
      // Error texts are scrubbed of sensitive values before they are grouped or shown.
      jobs.push(...page.jobs.map((j) => redactRecord(j, this.dispatcher.registry)));
      if (page.jobs.length === 0 || jobs.length >= total) break;
    }
    return { groups: groupFailures(jobs), scanned: jobs.length, total };
  }

  /** The ids of one group (by fingerprint), as the groups read now. */
  async groupIds(fingerprint: string, filter: { queue?: string; search?: string } = {}): Promise<string[]> {
    const { groups } = await this.errorGroups(filter);
    return groups.find((g) => g.fingerprint === fingerprint)?.ids ?? [];
  }

  async retryGroup(fingerprint: string, filter: { queue?: string; search?: string } = {}): Promise<number> {
    const ids = await this.groupIds(fingerprint, filter);
    return ids.length === 0 ? 0 : this.dispatcher.retryFailed(ids);
  }

  async deleteGroup(fingerprint: string, filter: { queue?: string; search?: string } = {}): Promise<number> {
    const ids = await this.groupIds(fingerprint, filter);
    return ids.length === 0 ? 0 : this.dispatcher.clearFailed({ ids });
  }
}
