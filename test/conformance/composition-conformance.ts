import { describe, expect, it } from 'vitest';
import {
  Job,
  type JobContext,
  type JobDispatcher,
  NotFoundError,
  WaitTimeoutError,
} from '../../src/index.js';
import { type makeHarnessFactory, waitFor } from './harness.js';

/** What the composition jobs saw, per conformance run. */
const seen = new Map<string, Array<{ n: number; kind: string; batchId: string | null }>>();
const note = (run: string, n: number, kind: string, batchId: string | null) => {
  const list = seen.get(run) ?? [];
  seen.set(run, list);
  list.push({ n, kind, batchId });
};

/** Reports progress, then returns a result (or fails when asked). */
export class ComposedJob extends Job {
  constructor(
    public run = '',
    public n = 0,
    public fail = false,
    public addMore = 0,
  ) {
    super();
  }
  override jobName() {
    return 'conformance.Composed';
  }
  override maxAttempts() {
    return 1;
  }
  async handle(ctx: JobContext) {
    note(this.run, this.n, 'ran', ctx.batchId);
    await ctx.progress(50);
    await ctx.progress({ step: 'half', n: this.n });
    if (this.fail && !healed.has(this.run)) throw new Error(`composed ${this.n} fails`);
    if (this.addMore > 0 && ctx.batchId) {
      const more = Array.from({ length: this.addMore }, (_, i) => new ComposedJob(this.run, 100 + i));
      await dispatcherOf(this.run).addToBatch(ctx.batchId, more);
    }
    return { doubled: this.n * 2, when: 'now' };
  }
}

/** A batch callback: notes which one ran. */
export class CallbackJob extends Job {
  constructor(
    public run = '',
    public which = '',
  ) {
    super();
  }
  override jobName() {
    return 'conformance.Callback';
  }
  handle() {
    note(this.run, 0, this.which, null);
  }
}

const dispatchers = new Map<string, JobDispatcher>();
/** Runs whose failing jobs succeed from now on (a fix deployed before retryFailed). */
const healed = new Set<string>();
const dispatcherOf = (run: string) => dispatchers.get(run)!;

type Harnesses = ReturnType<typeof makeHarnessFactory>;

/**
 * Waits until the default queue has nothing left to run: the step that finishes a batch stores
 * every callback that became due, so a duplicate callback would be waiting (or running) here and
 * is counted once the queue drains, instead of after a pause that a busy machine may outlast.
 */
async function drained(dispatcher: JobDispatcher): Promise<void> {
  await waitFor('the default queue drained', async () => {
    const s = await dispatcher.stats('default');
    return s.pendingJobs + s.processingJobs + s.retryingJobs === 0;
  });
}

/** Progress, results, waitFor, batches and schedule ticks: the same on every driver. */
export function runCompositionConformance(
  harness: Harnesses,
  unsupported: Array<'batches' | 'schedules'> = [],
): void {
  for (const feature of unsupported)
    console.warn(`SKIPPED: the ${feature} cases of the composition conformance, which this store refuses`);
  const batchIt = unsupported.includes('batches') ? it.skip : it;
  const scheduleIt = unsupported.includes('schedules') ? it.skip : it;
  describe('composition (progress, results, batches, schedules)', () => {
    const kinds = (run: string, kind: string) => (seen.get(run) ?? []).filter((e) => e.kind === kind);

    it('keeps progress and the returned value; waitFor resolves with the record', async () => {
      const { dispatcher, run } = await harness.create();
      const id = await dispatcher.dispatch(new ComposedJob(run, 21));
      const failing = await dispatcher.dispatch(new ComposedJob(run, 4, true));
      await dispatcher.startWorker('default', 2);
      const record = await dispatcher.waitFor(id, { timeout: 10 });
      expect(record.status).toBe('completed');
      expect(record.result).toEqual({ doubled: 42, when: 'now' });
      expect(record.progress).toEqual({ step: 'half', n: 21 });
      const failed = await dispatcher.waitFor(failing, { timeout: 10 });
      expect(failed.status).toBe('failed');
      expect(failed.result).toBeNull();
      expect((await dispatcher.find(id))?.result).toEqual({ doubled: 42, when: 'now' });
    });

    it('waitFor rejects with WAIT_TIMEOUT and for an unknown id', async () => {
      const { dispatcher, run } = await harness.create();
      const id = await dispatcher.dispatch(new ComposedJob(run, 1));
      await expect(dispatcher.waitFor(id, { timeout: 0.05 })).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
      await expect(dispatcher.waitFor(id, { timeout: 0.05 })).rejects.toBeInstanceOf(WaitTimeoutError);
      await expect(dispatcher.waitFor('01HZZZZZZZZZZZZZZZZZZZZZZZ')).rejects.toBeInstanceOf(NotFoundError);
      await expect(dispatcher.waitFor(id, { timeout: -1 })).rejects.toMatchObject({
        code: 'INVALID_WAIT_TIMEOUT',
      });
    });

    batchIt(
      'a batch: then and finally once when every job completed; progress; jobs added from a job',
      async () => {
        const { dispatcher, run } = await harness.create();
        dispatchers.set(run, dispatcher);
        const batch = await dispatcher.batch(
          [new ComposedJob(run, 1), new ComposedJob(run, 2, false, 2), new ComposedJob(run, 3)],
          {
            name: 'imports',
            // biome-ignore lint/suspicious/noThenProperty: SPEC names the callback then (Laravel's)
            then: new CallbackJob(run, 'then'),
            catch: new CallbackJob(run, 'catch'),
            finally: new CallbackJob(run, 'finally'),
          },
        );
        expect(batch).toMatchObject({
          name: 'imports',
          totalJobs: 3,
          pendingJobs: 3,
          progress: 0,
          failedJobs: 0,
        });
        await dispatcher.startWorker('default', 2);
        await waitFor(
          'then and finally ran',
          () => kinds(run, 'then').length + kinds(run, 'finally').length >= 2,
        );
        const done = (await dispatcher.findBatch(batch.id))!;
        expect(done).toMatchObject({
          totalJobs: 5,
          pendingJobs: 0,
          processedJobs: 5,
          failedJobs: 0,
          progress: 100,
        });
        expect(done.finishedAt).toBeInstanceOf(Date);
        expect(kinds(run, 'ran').every((e) => e.batchId === batch.id)).toBe(true);
        expect(kinds(run, 'ran')).toHaveLength(5);
        await drained(dispatcher);
        expect(kinds(run, 'then')).toHaveLength(1);
        expect(kinds(run, 'finally')).toHaveLength(1);
        expect(kinds(run, 'catch')).toHaveLength(0);
        expect((await dispatcher.batches()).map((b) => b.id)).toContain(batch.id);
      },
    );

    batchIt(
      'a batch: catch once at the first failure, which cancels it; the rest do not run; finally once',
      async () => {
        const { dispatcher, run } = await harness.create();
        const jobs = [new ComposedJob(run, 1, true), new ComposedJob(run, 2, true), new ComposedJob(run, 3)];
        const batch = await dispatcher.batch(jobs, {
          // biome-ignore lint/suspicious/noThenProperty: SPEC names the callback then (Laravel's)
          then: new CallbackJob(run, 'then'),
          catch: new CallbackJob(run, 'catch'),
          finally: new CallbackJob(run, 'finally'),
        });
        await dispatcher.startWorker('default', 1);
        await waitFor('finally ran', () => kinds(run, 'finally').length === 1);
        await drained(dispatcher);
        expect(kinds(run, 'catch')).toHaveLength(1);
        expect(kinds(run, 'then')).toHaveLength(0);
        const done = (await dispatcher.findBatch(batch.id))!;
        expect(done.cancelledAt).toBeInstanceOf(Date);
        expect(done).toMatchObject({ pendingJobs: 0, failedJobs: 3 });
        // Jobs after the first failure were skipped, failed as cancelled, without running.
        expect(kinds(run, 'ran').map((e) => e.n)).toEqual([1]);
      },
    );

    batchIt('a batch with allowFailures keeps running: catch once, finally, no then', async () => {
      const { dispatcher, run } = await harness.create();
      const batch = await dispatcher.batch(
        [new ComposedJob(run, 1, true), new ComposedJob(run, 2, true), new ComposedJob(run, 3)],
        {
          allowFailures: true,
          // biome-ignore lint/suspicious/noThenProperty: SPEC names the callback then (Laravel's)
          then: new CallbackJob(run, 'then'),
          catch: new CallbackJob(run, 'catch'),
          finally: new CallbackJob(run, 'finally'),
        },
      );
      await dispatcher.startWorker('default', 1);
      await waitFor('finally ran', () => kinds(run, 'finally').length === 1);
      await drained(dispatcher);
      expect(kinds(run, 'catch')).toHaveLength(1);
      expect(kinds(run, 'then')).toHaveLength(0);
      expect(kinds(run, 'ran')).toHaveLength(3);
      expect(await dispatcher.findBatch(batch.id)).toMatchObject({
        failedJobs: 2,
        pendingJobs: 0,
        cancelledAt: null,
      });
    });

    batchIt(
      'a failed job of an allowFailures batch retried into success: the batch gets its then',
      async () => {
        const { dispatcher, run } = await harness.create();
        const batch = await dispatcher.batch([new ComposedJob(run, 1, true), new ComposedJob(run, 2)], {
          allowFailures: true,
          // biome-ignore lint/suspicious/noThenProperty: SPEC names the callback then (Laravel's)
          then: new CallbackJob(run, 'then'),
          finally: new CallbackJob(run, 'finally'),
        });
        await dispatcher.startWorker('default', 1);
        await waitFor('finally ran', () => kinds(run, 'finally').length === 1);
        expect(await dispatcher.findBatch(batch.id)).toMatchObject({ failedJobs: 1, pendingJobs: 0 });
        expect(kinds(run, 'then')).toHaveLength(0);
        healed.add(run);
        const [failed] = await dispatcher.failedJobs();
        expect(await dispatcher.retryFailed(failed!.id)).toBe(1);
        await waitFor('then ran', () => kinds(run, 'then').length === 1);
        expect(await dispatcher.findBatch(batch.id)).toMatchObject({
          failedJobs: 0,
          pendingJobs: 0,
          progress: 100,
        });
        await drained(dispatcher);
        expect(kinds(run, 'finally')).toHaveLength(1);
      },
    );

    batchIt(
      'cancel() of a waiting batch job counts it failed (no catch) and, without allowFailures, cancels the batch',
      async () => {
        const { dispatcher, run } = await harness.create();
        const batch = await dispatcher.batch([new ComposedJob(run, 1), new ComposedJob(run, 2)], {
          catch: new CallbackJob(run, 'catch'),
          finally: new CallbackJob(run, 'finally'),
        });
        const [first] = (await dispatcher.jobs({ order: 'oldest' })).jobs;
        expect(await dispatcher.cancel(first!.id)).toBe(true);
        const after = (await dispatcher.findBatch(batch.id))!;
        expect(after).toMatchObject({ failedJobs: 1, pendingJobs: 1 });
        expect(after.cancelledAt).toBeInstanceOf(Date);
        await dispatcher.startWorker('default', 1);
        await waitFor('finally ran', () => kinds(run, 'finally').length === 1);
        await drained(dispatcher);
        expect(kinds(run, 'catch')).toHaveLength(0);
        expect(kinds(run, 'ran')).toHaveLength(0);
      },
    );

    batchIt('cancelBatch: jobs not started do not run; addToBatch is refused after', async () => {
      const { dispatcher, run } = await harness.create();
      const batch = await dispatcher.batch([new ComposedJob(run, 1), new ComposedJob(run, 2)], {
        finally: new CallbackJob(run, 'finally'),
      });
      expect(await dispatcher.cancelBatch(batch.id)).toBe(true);
      expect(await dispatcher.cancelBatch(batch.id)).toBe(false);
      await expect(dispatcher.addToBatch(batch.id, [new ComposedJob(run, 3)])).rejects.toMatchObject({
        code: 'BATCH_NOT_RUNNING',
      });
      await dispatcher.startWorker('default', 1);
      await waitFor('finally ran', () => kinds(run, 'finally').length === 1);
      expect(kinds(run, 'ran')).toHaveLength(0);
      const failed = await dispatcher.failedJobs();
      expect(failed.every((j) => j.errorMessage?.startsWith('Cancelled'))).toBe(true);
      expect(await dispatcher.findBatch('nope')).toBeNull();
      await expect(dispatcher.batch([])).rejects.toMatchObject({ code: 'INVALID_BATCH' });
    });

    scheduleIt('schedule ticks are claimed once, however many callers race', async () => {
      const { dispatcher, driver, run } = await harness.create();
      await dispatcher.schedule('every-second', '* * * * * *', new CallbackJob(run, 'tick'));
      await dispatcher.schedule('every-second', '*/2 * * * * *', new CallbackJob(run, 'tick'), {
        timezone: 'Europe/Paris',
      });
      const [stored] = await driver.schedules();
      expect(stored).toMatchObject({
        name: 'every-second',
        cron: '*/2 * * * * *',
        timezone: 'Europe/Paris',
        lastTick: null,
      });
      const spec = JSON.parse(stored!.job);
      const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
      const job = (id: string) => ({ ...spec, id, delayMs: 0, availableAt: null, meta: null });
      const claims = await Promise.all(
        ['01HAAAAAAAAAAAAAAAAAAAAAA1', '01HAAAAAAAAAAAAAAAAAAAAAA2', '01HAAAAAAAAAAAAAAAAAAAAAA3'].map((id) =>
          driver.claimTick({ name: 'every-second', tick, job: job(id) }),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(
        await driver.claimTick({
          name: 'every-second',
          tick: new Date(tick.getTime() - 1000),
          job: job('01HAAAAAAAAAAAAAAAAAAAAAA4'),
        }),
      ).toBe(false);
      expect((await driver.schedules())[0]!.lastTick?.getTime()).toBe(tick.getTime());
      expect((await dispatcher.stats('default')).pendingJobs).toBe(1);
      const listed = await dispatcher.schedules();
      expect(listed[0]).toMatchObject({ name: 'every-second', jobName: 'conformance.Callback' });
      expect(listed[0]!.nextTick).toBeInstanceOf(Date);
      expect(await dispatcher.unschedule('every-second')).toBe(true);
      expect(await dispatcher.schedules()).toEqual([]);
      await expect(dispatcher.schedule('bad', 'not a cron', new CallbackJob(run))).rejects.toMatchObject({
        code: 'INVALID_CRON',
      });
    });

    scheduleIt('startScheduler dispatches the ticks of a stored schedule', async () => {
      const { dispatcher, run } = await harness.create();
      await dispatcher.schedule('ticker', '* * * * * *', new CallbackJob(run, 'tick'));
      await dispatcher.startScheduler();
      await dispatcher.startWorker('default', 1);
      await waitFor('two ticks ran', () => kinds(run, 'tick').length >= 2, 8000);
      await dispatcher.stopScheduler();
    });
  });
}
