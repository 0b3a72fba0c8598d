import { afterEach, describe, expect, it } from 'vitest';
import { InvalidJobError, Job, JobDispatcher, loadConfig, MemoryQueueDriver } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

let release: (() => void) | undefined;
const gate = () => new Promise<void>((resolve) => (release = resolve));
let waiting: Promise<void> = gate();

class Slow extends Job {
  override jobName() {
    return 'prefetch.Slow';
  }
  override async handle() {
    await waiting;
  }
}

describe('prefetch: jobs held ahead of the free slots', () => {
  const open: JobDispatcher[] = [];
  afterEach(async () => {
    release?.();
    for (const d of open.splice(0)) await d.close({ graceSeconds: 1 });
    waiting = gate();
  });

  it('refuses a prefetch outside 0..10000 with a typed error naming the setting', async () => {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver(), { jobs: [Slow] });
    open.push(dispatcher);
    for (const prefetch of [-1, 1.5, 10_001, Number.NaN]) {
      const error = await dispatcher.startWorker('default', 1, { prefetch }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidJobError);
      expect(error).toMatchObject({ code: 'INVALID_PREFETCH' });
      expect((error as Error).message).toMatch(/from 0 to 10000/);
    }
    expect(() => loadConfig({ JOB_WORKER_PREFETCH: '20000' })).toThrow(/JOB_WORKER_PREFETCH/);
    expect(loadConfig({ JOB_WORKER_PREFETCH: '0' }).workerPrefetch).toBe(0);
  });

  it('holds at most the share of due jobs, counts them as pending, shows them in the registry, and gives them back uncharged at stop', async () => {
    const driver = new MemoryQueueDriver();
    const dispatcher = new JobDispatcher(driver, {
      jobs: [Slow],
      config: { leaseSeconds: 0.3, leaseGraceSeconds: 0, pollIntervalMs: 20 },
    });
    open.push(dispatcher);
    const ids = await dispatcher.dispatchMany(Array.from({ length: 40 }, () => new Slow()));
    await dispatcher.startWorker('default', 2, { prefetch: 10 });
    await waitFor(
      'held jobs shown in the registry',
      async () => (await dispatcher.liveWorkers())[0]?.held === 10,
    );
    const stats = await dispatcher.stats('default');
    expect(stats.processingJobs).toBe(2);
    expect(stats.pendingJobs).toBe(38);
    const held = (await Promise.all(ids.map((id) => dispatcher.find(id)))).filter(
      (j) => j?.status === 'processing' && j.reservedAt === null,
    );
    expect(held).toHaveLength(10);
    for (const job of held) expect(job!.attempts).toBe(0);
    // Held jobs go back at once when the worker stops, before the running ones finish.
    const stopping = dispatcher.stopWorker('default', { graceSeconds: 2 });
    await waitFor('held jobs given back', async () => {
      const states = await Promise.all(held.map((j) => dispatcher.find(j!.id)));
      return states.every((j) => j?.status === 'pending');
    });
    release?.();
    await stopping;
    for (const job of held)
      expect(await dispatcher.find(job!.id)).toMatchObject({ attempts: 0, status: 'pending' });
    const after = await dispatcher.stats('default');
    expect(after.processingJobs).toBe(0);
  });
});
