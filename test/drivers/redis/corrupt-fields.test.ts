import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Job, JobDispatcher, RedisQueueDriver } from '../../../src/index.js';
import { REDIS_URL, serviceAvailable } from '../../support/services.js';
import { dropRedisPrefix } from '../../support/stores.js';
import { waitFor } from '../../support/wait.js';

/**
 * Issue 13 / rule 10: the scripts check what they read before they write. A job whose stored
 * numbers are corrupt fails alone, with its reason; the jobs around it run once, and nothing
 * waits forever.
 */
const available = await serviceAvailable('redis');

const ran: string[] = [];
class Named extends Job {
  constructor(public name = '') {
    super();
  }
  override jobName() {
    return 'redis-corrupt.Named';
  }
  override maxAttempts() {
    return 1;
  }
  override async handle() {
    ran.push(this.name);
  }
}

describe.skipIf(!available)('redis: corrupt job fields fail that job only', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const prefix = `jwcorrupt-${randomUUID().slice(0, 8)}`;
    const driver = new RedisQueueDriver({ url: REDIS_URL, prefix });
    const dispatcher = new JobDispatcher(driver, { jobs: [Named], config: { pollIntervalMs: 20 } });
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => {
      await dispatcher.close({ graceSeconds: 1 });
      await admin.quit();
      await dropRedisPrefix(prefix);
    });
    const key = (id: string) => `{${prefix}:default}:job:${id}`;
    return { dispatcher, admin, key };
  }

  it('HSET <job> attempts abc on one of six due jobs: that job fails with the reason, the other five run once', async () => {
    const { dispatcher, admin, key } = await setup();
    ran.length = 0;
    const ids = await dispatcher.dispatchMany(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => new Named(n)));
    await admin.hset(key(ids[2]!), 'attempts', 'abc');
    await dispatcher.startWorker('default', 6);
    await waitFor('all six settled', async () => {
      const s = await dispatcher.stats('default');
      return s.completedJobs + s.failedJobs === 6;
    });
    const bad = (await dispatcher.find(ids[2]!))!;
    expect(bad.status).toBe('failed');
    expect(bad.errorMessage).toMatch(/Corrupt job row: attempts is not a number \(abc\)/);
    for (const id of ids.filter((_, i) => i !== 2)) {
      expect(await dispatcher.find(id)).toMatchObject({ status: 'completed', attempts: 1 });
    }
    expect(ran.sort()).toEqual(['a', 'b', 'd', 'e', 'f']);
  });

  it('a delayed job whose stored priority is not a number fails alone; the queue keeps flowing', async () => {
    const { dispatcher, admin, key } = await setup();
    ran.length = 0;
    const delayed = await dispatcher.dispatch(new Named('late'), { delay: 0.2 });
    await admin.hset(key(delayed), 'priority', 'high');
    await dispatcher.startWorker('default', 2);
    // Once due, the bad job fails alone; then the queue takes the next ones.
    await waitFor('the bad job failed', async () => (await dispatcher.find(delayed))?.status === 'failed');
    const later = await dispatcher.dispatchMany([new Named('x'), new Named('y')]);
    await waitFor('the bad job failed and the others completed', async () => {
      const states = await Promise.all([delayed, ...later].map((id) => dispatcher.find(id)));
      return states[0]?.status === 'failed' && states.slice(1).every((s) => s?.status === 'completed');
    });
    expect((await dispatcher.find(delayed))!.errorMessage).toMatch(/priority is not a number \(high\)/);
    expect(ran.sort()).toEqual(['x', 'y']);
  });
});
