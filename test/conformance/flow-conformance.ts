import { expect, it } from 'vitest';
import { InvalidJobError } from '../../src/index.js';
import { FlowJob } from './flow-jobs.js';
import { type makeHarnessFactory, waitFor } from './harness.js';

/** Flow control (issue 17) on every driver: unique jobs, cancel, release, middleware, ordered pools, limits. */
export function runFlowConformance(harness: ReturnType<typeof makeHarnessFactory>): void {
  const create = async () => {
    const h = await harness.create();
    h.dispatcher.register([FlowJob]);
    return h;
  };

  it('flow: unique jobs store one live job per id, from every dispatcher at once; the lock ends with the job', async () => {
    const { dispatcher, run, second } = await create();
    const other = await second();
    other.register([FlowJob]);
    const job = () => new FlowJob(run, 1, { uniqueId: 'u1' });
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : dispatcher).dispatch(job())),
    );
    expect(new Set(ids).size).toBe(1);
    expect((await dispatcher.stats('default')).pendingJobs).toBe(1);
    const many = await dispatcher.dispatchMany([job(), new FlowJob(run, 2, { uniqueId: 'u2' })]);
    expect(many[0]).toBe(ids[0]);
    expect(many[1]).not.toBe(ids[0]);
    await expect(dispatcher.chain([job(), new FlowJob(run, 3)])).rejects.toMatchObject({
      code: 'UNIQUE_JOB_LIVE',
    });
    await dispatcher.startWorker('default', 2);
    await waitFor('unique job done', async () => (await dispatcher.find(ids[0]!))?.status === 'completed');
    const again = await dispatcher.dispatch(job());
    expect(again).not.toBe(ids[0]);
    // A failed unique job is not revived while another live job holds its id.
    await dispatcher.stopWorker('default');
    const doomed = await dispatcher.dispatch(
      new FlowJob(run, 4, { uniqueId: 'u9', fail: true, maxAttempts: 1 }),
    );
    await dispatcher.startWorker('default', 1);
    await waitFor('doomed failed', async () => (await dispatcher.find(doomed))?.status === 'failed');
    await dispatcher.stopWorker('default');
    const holder = await dispatcher.dispatch(new FlowJob(run, 5, { uniqueId: 'u9' }));
    expect(holder).not.toBe(doomed);
    expect(await dispatcher.retryFailed(doomed)).toBe(0);
    await dispatcher.startWorker('default', 1);
    await waitFor('holder done', async () => (await dispatcher.find(holder))?.status === 'completed');
    expect(await dispatcher.retryFailed(doomed)).toBe(1);
  });

  it('flow: uniqueFor lets the lock lapse while the job still waits', async () => {
    const { dispatcher, run } = await create();
    // Within uniqueFor the lock holds while the job waits (an hour: no machine is that slow).
    const held = await dispatcher.dispatch(new FlowJob(run, 1, { uniqueId: 'u', uniqueFor: 3600 }), {
      delay: 60,
    });
    expect(await dispatcher.dispatch(new FlowJob(run, 2, { uniqueId: 'u', uniqueFor: 3600 }))).toBe(held);
    // Past it the lock lapses, the job still waiting: dispatch until it does (each refused try
    // stores nothing). A 0.2 s lock checked as held first failed when a loaded machine took longer.
    const first = await dispatcher.dispatch(new FlowJob(run, 3, { uniqueId: 'v', uniqueFor: 0.2 }), {
      delay: 60,
    });
    const third = await waitFor('the unique lock lapsed', async () => {
      const id = await dispatcher.dispatch(new FlowJob(run, 4, { uniqueId: 'v', uniqueFor: 0.2 }));
      return id !== first && id;
    });
    expect(third).not.toBe(first);
    expect((await dispatcher.find(first))?.status).toBe('pending');
    await expect(dispatcher.dispatch(new FlowJob(run, 5, { uniqueId: '' }))).rejects.toBeInstanceOf(
      InvalidJobError,
    );
  });

  it('flow: cancel fails a waiting job at once and it never runs; unknown and finished jobs give false', async () => {
    const { dispatcher, run, rec } = await create();
    const delayed = await dispatcher.dispatch(new FlowJob(run, 1), { delay: 0.2 });
    const pending = await dispatcher.dispatch(new FlowJob(run, 2, { queue: 'other' }));
    expect(await dispatcher.cancel(delayed)).toBe(true);
    expect(await dispatcher.cancel(pending)).toBe(true);
    expect(await dispatcher.cancel(pending)).toBe(false);
    expect(await dispatcher.cancel('01NOPE')).toBe(false);
    const record = (await dispatcher.find(delayed))!;
    expect(record.status).toBe('failed');
    expect(record.errorMessage).toMatch(/^Cancelled/);
    await dispatcher.startWorker('default', 1);
    await dispatcher.startWorker('other', 1);
    // Jobs dispatched after the cancelled ones ran on both queues: the workers have passed them.
    await dispatcher.dispatch(new FlowJob(run, 3), { delay: 0.25 });
    await dispatcher.dispatch(new FlowJob(run, 4, { queue: 'other' }));
    await waitFor('later jobs ran', () => rec.of('done', 3).length === 1 && rec.of('done', 4).length === 1);
    expect([...rec.of('start', 1), ...rec.of('start', 2)]).toHaveLength(0);
    expect(rec.of('failed-hook')).toHaveLength(0);
    expect(await dispatcher.retryFailed(delayed)).toBe(1);
    await waitFor('revived job done', async () => (await dispatcher.find(delayed))?.status === 'completed');
  });

  it('flow: cancel aborts a running job on the worker of another dispatcher; failed, not retried, no failed()', async () => {
    const { dispatcher, run, rec, second } = await create();
    const worker = await second();
    worker.register([FlowJob]);
    const id = await dispatcher.dispatch(new FlowJob(run, 1, { waitForAbort: true, maxAttempts: 3 }));
    await worker.startWorker('default', 1);
    await waitFor('running', () => rec.of('start').length === 1);
    expect(await dispatcher.cancel(id)).toBe(true);
    await waitFor('aborted', () => rec.of('aborted').length === 1);
    await waitFor('failed', async () => (await dispatcher.find(id))?.status === 'failed');
    const record = (await dispatcher.find(id))!;
    expect(record.errorMessage).toMatch(/^Cancelled/);
    expect(record.attempts).toBe(1);
    // A stopped worker has finished every run it had, failed() hooks included.
    await worker.stopWorker('default');
    expect(rec.of('failed-hook')).toHaveLength(0);
    expect(await dispatcher.cancel(id)).toBe(false);
  });

  it('flow: ctx.release puts the job back without failing it and gives the attempt back', async () => {
    const { dispatcher, run, rec } = await create();
    const released: number[] = [];
    dispatcher.on('job:released', (e) => released.push(e.delaySeconds));
    const id = await dispatcher.dispatch(new FlowJob(run, 1, { releaseOnce: 0.05, maxAttempts: 1 }));
    await dispatcher.startWorker('default', 1);
    await waitFor('done after release', async () => (await dispatcher.find(id))?.status === 'completed');
    expect(rec.of('start').map((e) => e.attempt)).toEqual([1, 1]);
    expect((await dispatcher.find(id))!.attempts).toBe(1);
    expect(released).toEqual([0.05]);
  });

  it('flow: WithoutOverlapping runs one at a time across slots; RateLimited releases what is over the limit', async () => {
    const { dispatcher, run, rec } = await create();
    await dispatcher.dispatchMany(
      [1, 2, 3, 4].map((n) => new FlowJob(run, n, { middleware: 'overlap', sleepMs: 30 })),
    );
    await dispatcher.startWorker('default', 4);
    await waitFor('all done', () => rec.of('done').length === 4);
    expect(rec.maxActive).toBe(1);
    await dispatcher.stopWorker('default');
    const limited = await dispatcher.dispatchMany(
      [5, 6, 7].map((n) => new FlowJob(run, n, { middleware: 'rate', queue: 'rated' })),
    );
    await dispatcher.startWorker('rated', 3);
    await waitFor('two ran', () => rec.of('done').length === 6);
    // The third was put back by the middleware: wait for that, not for a pause.
    const statuses = await waitFor('two completed, one put back', async () => {
      const all = await Promise.all(limited.map(async (id) => (await dispatcher.find(id))!));
      const done = all.filter((r) => r.status === 'completed').length;
      return done === 2 && all.some((r) => r.status === 'pending' || r.status === 'retrying') && all;
    });
    expect(statuses.filter((r) => r.status === 'completed')).toHaveLength(2);
    const waiting = statuses.find((r) => r.status !== 'completed')!;
    expect(['pending', 'retrying']).toContain(waiting.status);
    expect(waiting.attempts).toBe(0);
  });

  it('flow: ThrottlesExceptions releases the class after too many exceptions', async () => {
    const { dispatcher, run, rec } = await create();
    const failing = await dispatcher.dispatch(
      new FlowJob(run, 1, { middleware: 'throttle', fail: true, maxAttempts: 1 }),
    );
    await dispatcher.startWorker('default', 1);
    await waitFor('first failed', async () => (await dispatcher.find(failing))?.status === 'failed');
    const released: string[] = [];
    dispatcher.on('job:released', (e) => released.push(e.jobId));
    const next = await dispatcher.dispatch(new FlowJob(run, 2, { middleware: 'throttle' }));
    await waitFor('the throttled job put back', () => released.includes(next));
    const held = (await dispatcher.find(next))!;
    expect(held.status === 'pending' || held.status === 'retrying').toBe(true);
    expect(rec.of('start', 2)).toHaveLength(0);
  });

  it('flow: one pool over several queues takes from the first with due work', async () => {
    const { dispatcher, run, rec } = await create();
    for (const n of [1, 2, 3]) await dispatcher.dispatch(new FlowJob(run, n, { queue: 'low' }));
    for (const n of [4, 5, 6]) await dispatcher.dispatch(new FlowJob(run, n, { queue: 'high' }));
    await dispatcher.startWorker(['high', 'low'], 1);
    await waitFor('all done', () => rec.of('done').length === 6);
    expect(rec.startOrder()).toEqual([4, 5, 6, 1, 2, 3]);
    expect((await dispatcher.stats('high')).workersCount).toBe(1);
    expect((await dispatcher.stats('low')).workersCount).toBe(1);
    expect(await dispatcher.stopWorker('low')).toBe(0);
    expect(dispatcher.runningQueues()).toEqual([]);
  });

  it('flow: queue limits merge, clear with null, and bound concurrency, groups and rate across dispatchers', async () => {
    const { dispatcher, run, rec, second } = await create();
    expect(await dispatcher.queueLimits('default')).toEqual({
      concurrency: null,
      rate: null,
      groupConcurrency: null,
      groupRate: null,
    });
    await dispatcher.setQueueLimits('default', { concurrency: 2 });
    await dispatcher.setQueueLimits('default', { groupConcurrency: 1 });
    expect(await dispatcher.queueLimits('default')).toMatchObject({ concurrency: 2, groupConcurrency: 1 });
    await expect(dispatcher.setQueueLimits('default', { concurrency: 0 })).rejects.toBeInstanceOf(
      InvalidJobError,
    );
    const other = await second();
    other.register([FlowJob]);
    await dispatcher.dispatchMany(
      [1, 2, 3, 4, 5, 6].map((n) => new FlowJob(run, n, { sleepMs: 40, group: n <= 3 ? 'a' : null! })),
    );
    await dispatcher.startWorker('default', 4);
    await other.startWorker('default', 4);
    // Jobs counted by number: with the suite's 0.6 s leases, a loaded machine can rerun a job
    // whose completion was late (at least once), and a second 'done' must not be miscounted.
    const doneOf = (from: number, to: number) =>
      new Set(rec.of('done').flatMap((r) => (r.n >= from && r.n <= to ? [r.n] : []))).size;
    await waitFor('all done', () => doneOf(1, 6) === 6, 20_000);
    expect(rec.maxActive).toBeLessThanOrEqual(2);
    // Group a never had two running: its starts and ends do not overlap.
    const a = [1, 2, 3].map((n) => [rec.of('start', n)[0]!.at, rec.of('done', n)[0]!.at] as const);
    a.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < a.length; i++) expect(a[i]![0]).toBeGreaterThanOrEqual(a[i - 1]![1]);
    // A fresh queue: processes cache "has limits" for up to a second (docs/flow-control.md).
    await dispatcher.setQueueLimits('burst', { rate: { max: 2, perSeconds: 60 } });
    await dispatcher.dispatchMany([7, 8, 9, 10].map((n) => new FlowJob(run, n, { queue: 'burst' })));
    await dispatcher.startWorker('burst', 4);
    await other.startWorker('burst', 4);
    await waitFor('two burst jobs done', () => doneOf(7, 10) === 2);
    // Both outcomes stored: the slots they freed have asked for more and got nothing.
    await waitFor('two stored', async () => (await dispatcher.stats('burst')).completedJobs === 2);
    // The burst jobs that ran, listed as n#attempt, so that a failure shows which and how often.
    const burst = () => rec.of('done').flatMap((r) => (r.n >= 7 ? [`${r.n}#${r.attempt}`] : []));
    expect(burst()).toHaveLength(2);
    expect((await dispatcher.stats('burst')).pendingJobs).toBe(2);
    await dispatcher.setQueueLimits('burst', { rate: null });
    await waitFor('rest done', () => doneOf(7, 10) === 4);
  });

  it('flow: a cancelled job whose attempt throws before its worker sees the cancel is not retried', async () => {
    const { dispatcher, run, rec } = await create();
    // The attempt throws only once cancel() has been stored, whatever the machine's speed: the
    // worker learns of the cancel when the attempt has failed, and must not retry it.
    const id = await dispatcher.dispatch(
      new FlowJob(run, 1, { waitForGate: 'cancelled', fail: true, maxAttempts: 3, retryDelay: 60 }),
    );
    await dispatcher.startWorker('default', 1);
    await waitFor('running', () => rec.of('start').length === 1);
    expect(await dispatcher.cancel(id)).toBe(true);
    rec.open('cancelled');
    await waitFor('failed', async () => (await dispatcher.find(id))?.status === 'failed');
    expect((await dispatcher.find(id))!.errorMessage).toMatch(/^Cancelled/);
    // A stopped worker has finished every run it had, failed() hooks included.
    await dispatcher.stopWorker('default');
    expect(rec.of('start')).toHaveLength(1);
    expect(rec.of('failed-hook')).toHaveLength(0);
  });
}
