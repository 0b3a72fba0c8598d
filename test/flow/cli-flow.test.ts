import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardData } from '../../src/dashboard/data.js';
import { Job, JobDispatcher, MemoryQueueDriver, SqliteQueueDriver } from '../../src/index.js';
import { fakeQueue } from '../../src/testing/index.js';
import { artisanInProcess as artisan, projectsRemovedAfterEach } from '../cli/helpers.js';

const project = projectsRemovedAfterEach();

class WaitingJob extends Job {
  override jobName() {
    return 'flow.WaitingJob';
  }
  async handle() {}
}

function dispatcherOf(dir: string): JobDispatcher {
  return new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')), { jobs: [WaitingJob] });
}

describe('artisan flow control', () => {
  it('queue:cancel cancels waiting jobs and says which ids it could not cancel', async () => {
    const dir = project('{}');
    const d = dispatcherOf(dir);
    const id = await d.dispatch(new WaitingJob(), { delay: 60 });
    await d.close();
    const r = await artisan(dir, ['queue:cancel', id, '01NOTANID']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Cancelled job ${id}.`);
    expect(r.stdout).toContain('Job 01NOTANID was not cancelled');
    const again = await artisan(dir, ['queue:cancel', id, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ results: [{ id, cancelled: false }] });
    const check = dispatcherOf(dir);
    expect((await check.find(id))?.errorMessage).toMatch(/^Cancelled/);
    await check.close();
  });

  it('queue:limit sets, merges, shows and clears limits; queue:status prints them', async () => {
    const dir = project('{}');
    const set = await artisan(dir, ['queue:limit', 'emails', '--concurrency', '3', '--rate', '20/1']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("Limits of 'emails': concurrency 3, rate 20/1s");
    await artisan(dir, ['queue:limit', 'emails', '--group-concurrency', '1']);
    const shown = await artisan(dir, ['queue:limit', 'emails', '--json']);
    expect(JSON.parse(shown.stdout)).toEqual({
      queue: 'emails',
      limits: { concurrency: 3, rate: { max: 20, perSeconds: 1 }, groupConcurrency: 1, groupRate: null },
    });
    const d = dispatcherOf(dir);
    await d.dispatch(new WaitingJob(), { queue: 'emails', delay: 60 });
    await d.close();
    const status = await artisan(dir, ['queue:status']);
    expect(status.stdout).toContain("Limits of 'emails': concurrency 3, rate 20/1s, group concurrency 1");
    const bad = await artisan(dir, ['queue:limit', 'emails', '--rate', 'fast']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid rate "fast"/);
    const cleared = await artisan(dir, ['queue:limit', 'emails', '--clear']);
    expect(cleared.stdout).toContain("Limits of 'emails': no limits");
  });
});

describe('testing fake', () => {
  it('records cancels of recorded jobs and validates queue limits like the real dispatcher', async () => {
    const fake = fakeQueue();
    try {
      const id = await fake.dispatch(new WaitingJob());
      expect(await fake.cancel(id)).toBe(true);
      expect(await fake.cancel(id)).toBe(false);
      expect(await fake.cancel('unknown')).toBe(false);
      fake.assertCancelled(id);
      fake.assertCancelled(WaitingJob);
      expect(() => fake.assertCancelled('other')).toThrow(/Expected other to be cancelled/);
      await expect(fake.setQueueLimits('q', { concurrency: -1 })).rejects.toMatchObject({
        code: 'INVALID_QUEUE_LIMIT',
      });
    } finally {
      fake.restore();
    }
  });
});

describe('dashboard', () => {
  it('the overview carries the limits of limited queues only', async () => {
    const d = new JobDispatcher(new MemoryQueueDriver(), { jobs: [WaitingJob] });
    try {
      await d.dispatch(new WaitingJob(), { queue: 'a' });
      await d.dispatch(new WaitingJob(), { queue: 'b' });
      await d.setQueueLimits('a', { concurrency: 2 });
      const { queues } = await new DashboardData(d).overview();
      expect(queues.find((q) => q.queueName === 'a')?.limits?.concurrency).toBe(2);
      expect(queues.find((q) => q.queueName === 'b')?.limits).toBeUndefined();
    } finally {
      await d.close();
    }
  });
});
