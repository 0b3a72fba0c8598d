import { Job, JobDispatcher, type QueueDriver } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

export { waitFor };

/** A job that completes at once. */
export class OkJob extends Job {
  constructor(public n: number) {
    super();
  }
  override jobName() {
    return 'OkJob';
  }
  async handle() {}
}

/** Fails while `FlakyJob.failing` is true, so a test can fail it, then retry it into success. */
export class FlakyJob extends Job {
  static failing = true;
  constructor(public orderId: string) {
    super();
  }
  override jobName() {
    return 'FlakyJob';
  }
  override maxAttempts() {
    return 1;
  }
  async handle() {
    if (FlakyJob.failing) throw new Error(`payment gateway timed out for order ${this.orderId}`);
  }
}

export const HOSTILE_PAYLOAD = `<script>window.__pwned = 1; alert('payload')</script><img src=x onerror="window.__pwned = 2; alert('img')">`;

/** Data and error text that would run script if any page printed it unescaped. */
export class HostileJob extends Job {
  constructor(public note: string) {
    super();
  }
  override jobName() {
    return 'HostileJob';
  }
  override maxAttempts() {
    return 1;
  }
  async handle() {
    throw new Error(`bad input ${this.note} "><svg onload="window.__pwned = 3">`);
  }
}

/** Goes to 'reports', a queue no worker serves in these tests, so its counts stay put. */
export class ReportJob extends Job {
  constructor(public month: string) {
    super();
  }
  override jobName() {
    return 'ReportJob';
  }
  override queueName() {
    return 'reports';
  }
  async handle() {}
}

export function makeDispatcher(driver: QueueDriver): JobDispatcher {
  return new JobDispatcher(driver, {
    jobs: [OkJob, FlakyJob, HostileJob, ReportJob],
    config: { pollIntervalMs: 50 },
  });
}

export interface Seeded {
  flakyId: string;
  hostileId: string;
  reportIds: string[];
  okIds: string[];
}

/**
 * A store with something in every column: 4 pending report jobs (one delayed) with no worker,
 * 4 completed and 2 failed jobs on 'default', which has a live worker.
 */
export async function seed(dispatcher: JobDispatcher): Promise<Seeded> {
  FlakyJob.failing = true;
  const reportIds = await dispatcher.dispatchMany([
    new ReportJob('2026-08'),
    new ReportJob('2026-09'),
    new ReportJob('2026-10'),
  ]);
  reportIds.push(await dispatcher.dispatch(new ReportJob('2026-11'), { delay: 3600 }));
  await dispatcher.startWorker('default', 2);
  const okIds = await dispatcher.dispatchMany([1, 2, 3, 4].map((n) => new OkJob(n)));
  const flakyId = await dispatcher.dispatch(new FlakyJob('A-1001'));
  const hostileId = await dispatcher.dispatch(new HostileJob(HOSTILE_PAYLOAD));
  await waitFor('the default queue to settle', async () => {
    const s = await dispatcher.stats('default');
    return s.completedJobs === 4 && s.failedJobs === 2 && s.pendingJobs + s.processingJobs === 0;
  });
  return { flakyId, hostileId, reportIds, okIds };
}
