import { describe, expect, it } from 'vitest';
import { retryJob } from '../../src/drivers/settle-one.js';
import { MemoryQueueDriver, type NewJob } from '../../src/index.js';

/** Time rules proven with a controlled store clock instead of real waiting. */
describe('memory driver with a controlled clock', () => {
  let now = 1_700_000_000_000;
  const driver = new MemoryQueueDriver({ clock: () => now });
  const job = (id: string, over: Partial<NewJob> = {}): NewJob => ({
    id,
    queueName: 'clock',
    jobName: 'X',
    payload: '{}',
    maxAttempts: 2,
    priority: 0,
    timeoutSeconds: 60,
    delayMs: 0,
    availableAt: null,
    meta: null,
    ...over,
  });
  const reserve = () => driver.reserve({ queue: 'clock', limit: 10, leaseMs: 30_000, workerId: 'w' });

  it('a delayed job is due exactly at its time, not a millisecond before', async () => {
    await driver.enqueue({
      jobs: [job('A', { delayMs: 60_000 }), job('B', { availableAt: new Date(now + 120_000) })],
    });
    now += 59_999;
    expect(await reserve()).toEqual([]);
    now += 1;
    expect((await reserve()).map((j) => j.id)).toEqual(['A']);
    now += 60_000;
    const [b] = await reserve();
    expect(b?.id).toBe('B');
    // A retry is due after its delay by the same clock.
    expect(
      (await retryJob(driver, { id: 'B', leaseToken: b!.leaseToken, delayMs: 5_000, error: 'e' })).ok,
    ).toBe(true);
    now += 4_999;
    expect(await reserve()).toEqual([]);
    now += 1;
    expect((await reserve()).map((j) => j.id)).toEqual(['B']);
  });

  it('a lease expires by the store clock and the job is recovered, then failed on its last attempt', async () => {
    // A (attempt 1) was reserved 65 s ago: its 30 s lease has run out.
    expect(await driver.recoverExpired({ queue: 'clock', limit: 10 })).toEqual({
      requeued: ['A'],
      failed: [],
    });
    await driver.enqueue({ jobs: [job('C')] });
    const reserved = await reserve();
    expect(reserved.map((j) => j.id).sort()).toEqual(['A', 'C']);
    // B (attempt 2 of 2) was reserved now too: all three leases end 30 s from now.
    now += 29_999;
    expect(await driver.recoverExpired({ queue: 'clock', limit: 10 })).toEqual({ requeued: [], failed: [] });
    now += 1;
    const recovered = await driver.recoverExpired({ queue: 'clock', limit: 10 });
    expect(recovered.requeued.sort()).toEqual(['C']);
    expect(recovered.failed.map((j) => j.id).sort()).toEqual(['A', 'B']);
    expect(recovered.failed.find((j) => j.id === 'B')!.errorMessage).toMatch(
      /Worker died during attempt 2\/2/,
    );
  });

  it('counts the oldest due job age by the store clock', async () => {
    const [counts] = await driver.counts({ queue: 'clock' });
    expect(counts!.oldestPendingMs).toBeGreaterThanOrEqual(0);
    expect(counts!.failedJobs).toBe(2);
    expect(counts!.retryingJobs).toBe(1);
  });
});
