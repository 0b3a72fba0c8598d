import { afterEach, describe, expect, test } from 'vitest';
import { InvalidJobError, type Job, type JobDispatcher } from '../../src/index.js';
import { waitForStatus } from '../support/wait.js';
import { type Opened, openStore, type StoreName } from './harness.js';
import {
  IsoExit,
  IsoHeap,
  IsoNoModule,
  IsoNoop,
  IsoSigkill,
  IsoThrows,
  IsoUncaught,
  IsoWrongModule,
  QuickJob,
} from './jobs.js';

const STORES: StoreName[] = ['memory', 'sqlite'];
const opened: Opened[] = [];

afterEach(async () => {
  for (const o of opened.splice(0)) await o.cleanup();
});

async function open(store: StoreName): Promise<JobDispatcher> {
  const o = await openStore(store);
  opened.push(o);
  return o.dispatcher;
}

/** Each crash with the words its stored error must hold. */
const CRASHES = {
  thread: [
    [new IsoExit(), "The job's worker thread exited with code 1"],
    [new IsoHeap(), "The job's worker thread ran out of memory"],
    [new IsoUncaught(), 'after an uncaught Error: thrown from a timer'],
    [new IsoThrows(), 'TypeError: bad input in the isolate'],
  ],
  process: [
    [new IsoExit(), "The job's child process exited with code 1"],
    [new IsoSigkill(), "The job's child process was killed by SIGKILL"],
    [new IsoHeap(), "The job's child process ran out of memory"],
    [new IsoUncaught(), 'exited with code 1 after an uncaught Error: thrown from a timer'],
    [new IsoThrows(), 'TypeError: bad input in the isolate'],
  ],
} satisfies Record<'thread' | 'process', Array<[Job, string]>>;

describe.each(STORES)('crashes in isolated jobs on %s', (store) => {
  test.each(['thread', 'process'] as const)(
    'each crash in a %s fails only its attempt; other jobs, heartbeats and the worker carry on',
    async (mode) => {
      const dispatcher = await open(store);
      await dispatcher.startWorker('default', 4);
      const crashes = CRASHES[mode];
      const crashIds = await dispatcher.dispatchMany(crashes.map(([job]) => Object.assign(job, { mode })));
      const quickIds = await dispatcher.dispatchMany(Array.from({ length: 50 }, () => new QuickJob()));
      for (const [i, id] of crashIds.entries()) {
        const record = await waitForStatus(dispatcher, id, ['failed', 'completed'], 280_000);
        expect(record.status).toBe('failed');
        expect(record.errorMessage).toContain(crashes[i]![1]);
      }
      for (const id of quickIds) {
        expect((await waitForStatus(dispatcher, id, ['completed', 'failed'])).status).toBe('completed');
      }
      // The worker is still registered (its heartbeats kept going) and still runs isolated jobs.
      expect((await dispatcher.liveWorkers()).map((w) => w.queues)).toEqual([['default']]);
      const after = await dispatcher.dispatch(Object.assign(new IsoNoop(), { mode }));
      expect((await waitForStatus(dispatcher, after, ['completed', 'failed'], 280_000)).status).toBe(
        'completed',
      );
      expect(dispatcher.runningQueues()).toEqual(['default']);
    },
    300_000,
  );

  test('a class whose module is unknown or does not export it fails with a clear message', async () => {
    const dispatcher = await open(store);
    await dispatcher.startWorker('default', 2);
    const [noModule, wrongModule] = await dispatcher.dispatchMany([new IsoNoModule(), new IsoWrongModule()]);
    const first = await waitForStatus(dispatcher, noModule!, ['failed', 'completed']);
    expect(first.errorMessage).toContain('IsoNoModule runs isolated');
    expect(first.errorMessage).toContain('add `static module = import.meta.url` to the class IsoNoModule');
    const second = await waitForStatus(dispatcher, wrongModule!, ['failed', 'completed'], 280_000);
    expect(second.errorMessage).toContain("harness.ts exports no job class named 'IsoWrongModule'");
  }, 300_000);

  test('dispatch refuses a bad isolation() or memoryLimitMb() and stores nothing', async () => {
    const dispatcher = await open(store);
    const bogus = Object.assign(new IsoNoop(), { mode: 'fiber' });
    await expect(dispatcher.dispatch(bogus)).rejects.toMatchObject({
      constructor: InvalidJobError,
      code: 'INVALID_ISOLATION',
    });
    for (const limit of [8, 65_537, 1.5, Number.NaN]) {
      const tooSmall = Object.assign(new IsoHeap(), { memoryLimitMb: () => limit });
      await expect(dispatcher.dispatch(tooSmall)).rejects.toMatchObject({ code: 'INVALID_MEMORY_LIMIT' });
    }
    expect((await dispatcher.jobs()).total).toBe(0);
  });
});
