import { afterEach, describe, expect, test } from 'vitest';
import { Isolation, type JobContext } from '../../src/index.js';
import { waitForStatus } from '../support/wait.js';
import { childPids, type Opened, openStore, osThreads, type StoreName, waitUntil } from './harness.js';
import { IsoContext, IsoCooperative, IsoNoop, IsoRelease } from './jobs.js';

const opened: Opened[] = [];
const isolations: Isolation[] = [];

afterEach(async () => {
  for (const o of opened.splice(0)) await o.cleanup();
  for (const i of isolations.splice(0)) await i.close();
});

function contextFor(
  extra: Omit<Partial<JobContext>, 'progress'> & { progress?: (value: unknown) => unknown } = {},
) {
  return {
    signal: new AbortController().signal,
    attempt: 2,
    maxAttempts: 3,
    jobId: 'job-1',
    queueName: 'emails',
    ...extra,
  } as JobContext;
}

describe.each(['thread', 'process'] as const)('an isolated job in a %s', (mode) => {
  test('sees its context, reports progress to the worker and returns its result', async () => {
    const isolation = new Isolation();
    isolations.push(isolation);
    const progress: unknown[] = [];
    const job = Object.assign(new IsoContext(), { mode, label: 'hello' });
    const result = await isolation.run(job, contextFor({ progress: (value) => void progress.push(value) }));
    expect(result).toMatchObject({
      label: 'hello',
      jobId: 'job-1',
      attempt: 2,
      queueName: 'emails',
      aborted: false,
    });
    expect(progress).toEqual([{ step: 1 }]);
    // A thread shares the worker's process; a child process does not.
    expect((result as unknown as { pid: number }).pid === process.pid).toBe(mode === 'thread');
  }, 300_000);

  test('a progress value the worker refuses rejects ctx.progress inside', async () => {
    const isolation = new Isolation();
    isolations.push(isolation);
    const refuse = () => {
      throw new Error('progress must be 0 to 100');
    };
    const job = Object.assign(new IsoContext(), { mode });
    await expect(isolation.run(job, contextFor({ progress: refuse }))).rejects.toThrow(
      'progress must be 0 to 100',
    );
  }, 300_000);

  test('ctx.release inside the isolate reaches the worker before the attempt ends', async () => {
    const isolation = new Isolation();
    isolations.push(isolation);
    const released: number[] = [];
    const ctx = contextFor({ release: (seconds?: number) => void released.push(seconds ?? 0) });
    await isolation.run(Object.assign(new IsoRelease(), { mode, delaySeconds: 7 }), ctx);
    expect(released).toEqual([7]);
  }, 300_000);

  test('a job that returns when ctx.signal aborts keeps its isolate for the next job', async () => {
    const isolation = new Isolation();
    isolations.push(isolation);
    const controller = new AbortController();
    let waiting = false;
    const ctx = contextFor({
      signal: controller.signal,
      progress: () => {
        waiting = true;
      },
    });
    const running = isolation.run(Object.assign(new IsoCooperative(), { mode }), ctx);
    await waitUntil(() => waiting);
    controller.abort(new Error('lease lost'));
    expect(await running).toBe('stopped');
    await isolation.run(Object.assign(new IsoNoop(), { mode }), contextFor());
    expect(isolation.stats()).toMatchObject({ started: 1, exited: 0 });
  }, 300_000);
});

const STORES: StoreName[] = ['memory', 'sqlite'];

describe.each(STORES)('1,000 isolated no-op jobs through a pool of 4 on %s', (store) => {
  test.each(['thread', 'process'] as const)(
    'in a %s pool leave no thread, process or memory behind',
    async (mode) => {
      const o = await openStore(store);
      opened.push(o);
      const { dispatcher } = o;
      await dispatcher.startWorker('default', 4);
      // The baseline is taken once the store and worker are up, so only the isolates differ.
      const warm = await dispatcher.dispatch(Object.assign(new IsoNoop(), { mode: 'none' }));
      await waitForStatus(dispatcher, warm, ['completed']);
      const threadsBefore = osThreads();
      const childrenBefore = childPids().length;
      const heapBefore = process.memoryUsage().heapUsed;

      let peak = 0;
      const watch = setInterval(() => {
        const s = dispatcher.isolation.stats();
        peak = Math.max(peak, s.threads + s.processes);
      }, 5);
      await dispatcher.dispatchMany(
        Array.from({ length: 1000 }, () => Object.assign(new IsoNoop(), { mode })),
      );
      await waitUntil(async () => (await dispatcher.stats('default')).completedJobs === 1001, 240_000);
      clearInterval(watch);
      expect((await dispatcher.stats('default')).failedJobs).toBe(0);
      // Reused: never more isolates than the worker's 4 slots.
      expect(dispatcher.isolation.stats().started).toBeLessThanOrEqual(4);
      expect(peak).toBeLessThanOrEqual(4);

      await dispatcher.stopWorker('default');
      expect(dispatcher.isolation.stats()).toMatchObject({ threads: 0, processes: 0, busy: 0 });
      await waitUntil(() => osThreads() <= threadsBefore && childPids().length <= childrenBefore);
      // Generous: 1,000 jobs' worth of leaked handlers or buffers would be far more.
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    },
    300_000,
  );
});
