import { describe, expect, it } from 'vitest';
import { failJob, releaseJob, retryJob } from '../../src/drivers/settle-one.js';
import { MemoryQueueDriver, type NewJob } from '../../src/index.js';
import { newJob } from '../support/new-job.js';

/** Time rules proven with a controlled store clock instead of real waiting. */
describe('memory driver with a controlled clock', () => {
  // Each case builds its own driver and clock: none depends on another having run first.
  function setup() {
    const clock = { now: 1_700_000_000_000 };
    const driver = new MemoryQueueDriver({ clock: () => clock.now });
    const reserve = () => driver.reserve({ queue: 'clock', limit: 10, leaseMs: 30_000, workerId: 'w' });
    return { clock, driver, reserve };
  }
  const job = (id: string, over: Partial<NewJob> = {}) =>
    newJob({ id, queueName: 'clock', jobName: 'X', maxAttempts: 2, timeoutSeconds: 60, ...over });

  it('a delayed job is due exactly at its time, not a millisecond before', async () => {
    const { clock, driver, reserve } = setup();
    await driver.enqueue({
      jobs: [job('A', { delayMs: 60_000 }), job('B', { availableAt: new Date(clock.now + 120_000) })],
    });
    clock.now += 59_999;
    expect(await reserve()).toEqual([]);
    clock.now += 1;
    expect((await reserve()).map((j) => j.id)).toEqual(['A']);
    clock.now += 60_000;
    const [b] = await reserve();
    expect(b?.id).toBe('B');
    // A retry is due after its delay by the same clock.
    expect(
      (await retryJob(driver, { id: 'B', leaseToken: b!.leaseToken, delayMs: 5_000, error: 'e' })).ok,
    ).toBe(true);
    clock.now += 4_999;
    expect(await reserve()).toEqual([]);
    clock.now += 1;
    expect((await reserve()).map((j) => j.id)).toEqual(['B']);
  });

  it('a lease expires by the store clock and the job is recovered, then failed on its last attempt', async () => {
    const { clock, driver, reserve } = setup();
    await driver.enqueue({ jobs: [job('A')] });
    expect((await reserve()).map((j) => j.id)).toEqual(['A']);
    // A's 30 s lease has run out: it is due again, its attempt 1 of 2 spent.
    clock.now += 30_000;
    expect(await driver.recoverExpired({ queue: 'clock', limit: 10 })).toEqual({
      requeued: ['A'],
      failed: [],
    });
    await driver.enqueue({ jobs: [job('B', { maxAttempts: 1 }), job('C')] });
    expect((await reserve()).map((j) => j.id).sort()).toEqual(['A', 'B', 'C']);
    // All three leases end 30 s from now; A (2 of 2) and B (1 of 1) were their last attempts.
    clock.now += 29_999;
    expect(await driver.recoverExpired({ queue: 'clock', limit: 10 })).toEqual({ requeued: [], failed: [] });
    clock.now += 1;
    const recovered = await driver.recoverExpired({ queue: 'clock', limit: 10 });
    expect(recovered.requeued).toEqual(['C']);
    expect(recovered.failed.map((j) => j.id).sort()).toEqual(['A', 'B']);
    expect(recovered.failed.find((j) => j.id === 'A')!.errorMessage).toMatch(
      /Worker died during attempt 2\/2/,
    );
    expect(recovered.failed.find((j) => j.id === 'B')!.errorMessage).toMatch(
      /Worker died during attempt 1\/1/,
    );
  });

  it('counts the oldest due job age, retrying and failed jobs by the store clock', async () => {
    const { clock, driver, reserve } = setup();
    await driver.enqueue({ jobs: [job('P'), job('R'), job('F', { maxAttempts: 1 })] });
    clock.now += 5_000;
    expect((await driver.counts({ queue: 'clock' }))[0]).toMatchObject({
      pendingJobs: 3,
      oldestPendingMs: 5_000,
    });
    const reserved = await reserve();
    const lease = (id: string) => reserved.find((j) => j.id === id)!.leaseToken;
    await retryJob(driver, { id: 'R', leaseToken: lease('R'), delayMs: 10_000, error: 'again' });
    await failJob(driver, { id: 'F', leaseToken: lease('F'), error: 'no' });
    await releaseJob(driver, { id: 'P', leaseToken: lease('P') });
    clock.now += 2_000;
    expect((await driver.counts({ queue: 'clock' }))[0]).toMatchObject({
      retryingJobs: 1,
      failedJobs: 1,
      pendingJobs: 1,
    });
  });
});
