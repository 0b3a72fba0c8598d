import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DatabaseQueueDriver,
  Job,
  JobDispatcher,
  MemoryQueueDriver,
  type QueueDriver,
  RedisQueueDriver,
  SqliteQueueDriver,
} from '../../src/index.js';
import { DATABASE_URL, REDIS_URL } from '../support/services.js';
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';
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

export interface DriverTarget {
  name: string;
  make(): Promise<QueueDriver>;
  cleanup(): Promise<void>;
}

export function memoryTarget(): DriverTarget {
  return { name: 'memory', make: async () => new MemoryQueueDriver(), cleanup: async () => {} };
}

export function sqliteTarget(): DriverTarget {
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-dashboard-'));
  let n = 0;
  return {
    name: 'sqlite',
    make: async () => new SqliteQueueDriver(join(dir, `store-${++n}.sqlite`)),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Its own schema per make(), dropped by cleanup(). */
export function postgresTarget(): DriverTarget {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    make: async () => {
      const schema = uniqueName('jw_dash');
      schemas.push(schema);
      return new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 });
    },
    cleanup: async () => {
      for (const schema of schemas.splice(0)) await dropPgSchema(schema);
    },
  };
}

/** Its own key prefix per make(); cleanup() deletes every key under the prefixes it made. */
export function redisTarget(): DriverTarget {
  const prefixes: string[] = [];
  return {
    name: 'redis',
    make: async () => {
      const prefix = `jwdash-${randomUUID().slice(0, 8)}`;
      prefixes.push(prefix);
      return new RedisQueueDriver({ url: REDIS_URL, prefix });
    },
    cleanup: async () => {
      for (const prefix of prefixes.splice(0)) await dropRedisPrefix(prefix);
    },
  };
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
