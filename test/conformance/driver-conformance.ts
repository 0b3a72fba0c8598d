import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { completeJob, failJob } from '../../src/drivers/settle-one.js';
import { InvalidJobError, type JobDispatcher, PayloadError } from '../../src/index.js';
import { recordConformance } from '../support/conformance-record.js';
import { runCompositionConformance } from './composition-conformance.js';
import { InlineProbeJob, ProbeJob, SpawningJob, spawnDispatcher } from './conformance-jobs.js';
import { runContractConformance } from './driver-contract-conformance.js';
import { runEngineConformance } from './engine-conformance.js';
import { runFlowConformance } from './flow-conformance.js';
import { type ConformanceTarget, makeHarnessFactory, waitFor } from './harness.js';

export type { ConformanceTarget } from './harness.js';

/** Drivers run through this suite; the wiring test checks that every driver folder is listed. */
export const conformanceRuns = new Set<string>();

/**
 * The one suite every driver passes: the rules of SPEC.md's "Behaviour every driver must
 * show", through the public dispatcher API, then the contract verbs the CLI and dashboard use.
 */
export function runDriverConformance(
  name: string,
  target: ConformanceTarget,
  /** `unsupported`: features a store refuses with a typed error (none does now); their cases are skipped, logged. */
  options: { skip?: boolean; unsupported?: Array<'batches' | 'schedules'> } = {},
): void {
  conformanceRuns.add(name);
  if (options.skip) recordConformance(name, 'skipped');
  describe.skipIf(Boolean(options.skip))(`conformance: ${name}`, () => {
    beforeAll(() => recordConformance(name, 'ran'));
    const harness = makeHarnessFactory(target);
    afterEach(() => harness.closeAll());

    const status = async (d: JobDispatcher, id: string) => (await d.find(id))?.status;

    it('1. order: lower priority first, then oldest first', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const priorities = [5, -1, 0, -1, 3, 0];
      for (const [n, priority] of priorities.entries())
        await dispatcher.dispatch(new ProbeJob(run, n, { priority }));
      await dispatcher.startWorker('default', 1);
      await waitFor('all done', () => rec.of('done').length === priorities.length);
      expect(rec.startOrder()).toEqual([1, 3, 2, 5, 4, 0]);
    });

    it('2. delays: a delayed job is not reserved before its time', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const t0 = performance.now();
      const delayed = await dispatcher.dispatch(new ProbeJob(run, 1), { delay: 0.6 });
      class AtJob extends ProbeJob {
        // Its own name: a job name belongs to one class (the worker runs that class's code).
        override jobName() {
          return 'conformance.At';
        }
        override availableAt() {
          return new Date(Date.now() + 600);
        }
      }
      await dispatcher.dispatch(new AtJob(run, 2));
      await dispatcher.dispatch(new ProbeJob(run, 3));
      await dispatcher.startWorker('default', 3);
      await waitFor('immediate job done', () => rec.of('done', 3).length === 1);
      expect(await status(dispatcher, delayed)).toBe('pending');
      expect((await dispatcher.stats('default')).pendingJobs).toBe(2);
      await waitFor('delayed jobs done', () => rec.of('done').length === 3);
      for (const n of [1, 2]) expect(rec.of('start', n)[0]!.at - t0).toBeGreaterThanOrEqual(550);
    });

    it('3. retries: retrying after retryDelay(attempt), then failed with failed() called once', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const flaky = await dispatcher.dispatch(
        new ProbeJob(run, 1, { failTimes: 2, maxAttempts: 3, retryDelaySeconds: 0.3 }),
      );
      const doomed = await dispatcher.dispatch(
        new ProbeJob(run, 2, { failTimes: 99, maxAttempts: 2, retryDelaySeconds: 0.05 }),
      );
      await dispatcher.startWorker('default', 2);
      await waitFor('flaky failed once', async () => (await dispatcher.find(flaky))?.status === 'retrying');
      const retrying = (await dispatcher.find(flaky))!;
      expect(retrying.attempts).toBe(1);
      expect(retrying.errorMessage).toContain('probe 1 failed on attempt 1');
      await waitFor('flaky completed', async () => (await status(dispatcher, flaky)) === 'completed');
      await waitFor('doomed failed', async () => (await status(dispatcher, doomed)) === 'failed');
      await waitFor('failed hook', () => rec.of('failed-hook', 2).length === 1);
      expect(rec.of('start', 1).map((e) => e.attempt)).toEqual([1, 2, 3]);
      const starts = rec.of('start', 1);
      expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(250);
      expect(rec.of('retry-delay', 1).map((e) => e.attempt)).toEqual([1, 2]);
      const failed = (await dispatcher.find(doomed))!;
      expect(failed.attempts).toBe(2);
      expect(failed.failedAt).toBeInstanceOf(Date);
      expect(failed.errorMessage).toContain('probe 2 failed on attempt 2');
      // A stopped worker has finished every run it had, failed() hooks included.
      await dispatcher.stopWorker('default');
      expect(rec.of('failed-hook', 2)).toHaveLength(1);
      expect(rec.of('failed-hook', 1)).toHaveLength(0);
    });

    it('4. timeouts: an attempt that outlives timeout() fails as a timeout and aborts its signal', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const id = await dispatcher.dispatch(
        new ProbeJob(run, 1, {
          sleepMs: 1200,
          timeoutSeconds: 0.2,
          maxAttempts: 2,
          ignoreAbort: true,
          retryDelaySeconds: 0,
        }),
      );
      await dispatcher.startWorker('default', 2);
      await waitFor('failed after two timeouts', async () => (await status(dispatcher, id)) === 'failed');
      const record = (await dispatcher.find(id))!;
      expect(record.attempts).toBe(2);
      expect(record.errorMessage).toMatch(/timed out after 0.2 s/i);
      expect(rec.of('aborted', 1).length).toBeGreaterThanOrEqual(1);
      // The handle returns normally later: the outcome stays a failure.
      await waitFor('handles returned', () => rec.of('done', 1).length === 2, 5000);
      expect(await status(dispatcher, id)).toBe('failed');
      await waitFor('failed hook', () => rec.of('failed-hook', 1).length === 1);
    });

    it('5. at-least-once: a job whose worker died is due again after its lease; the stale worker is fenced', async () => {
      const { dispatcher, driver, run, rec } = await harness.create();
      const id = await dispatcher.dispatch(new ProbeJob(run, 1));
      // A worker that reserves and then dies: nothing renews or finishes its lease.
      const [dead] = await driver.reserve({
        queue: 'default',
        limit: 1,
        leaseMs: 300,
        workerId: 'dead-worker',
      });
      expect(dead?.id).toBe(id);
      await dispatcher.startWorker('default', 1);
      await waitFor('recovered and completed', async () => (await status(dispatcher, id)) === 'completed');
      expect(rec.of('start', 1)).toHaveLength(1);
      expect((await dispatcher.find(id))!.attempts).toBe(2);
      expect((await completeJob(driver, { id, leaseToken: dead!.leaseToken })).ok).toBe(false);
      expect((await failJob(driver, { id, leaseToken: dead!.leaseToken, error: 'stale' })).ok).toBe(false);
      expect(await status(dispatcher, id)).toBe('completed');
    });

    it('5b. a job whose worker died on its last attempt ends failed, and failed() runs', async () => {
      const { dispatcher, driver, run, rec } = await harness.create();
      const id = await dispatcher.dispatch(new ProbeJob(run, 1, { maxAttempts: 1 }));
      await driver.reserve({ queue: 'default', limit: 1, leaseMs: 200, workerId: 'dead-worker' });
      await dispatcher.startWorker('default', 1);
      await waitFor('failed', async () => (await status(dispatcher, id)) === 'failed');
      expect((await dispatcher.find(id))!.errorMessage).toMatch(/worker died during attempt 1\/1/i);
      await waitFor('failed hook', () => rec.of('failed-hook', 1).length === 1);
      expect(rec.of('start', 1)).toHaveLength(0);
    });

    it('5c. heartbeats keep a long job leased past its first lease', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const id = await dispatcher.dispatch(new ProbeJob(run, 1, { sleepMs: 1500 }));
      await dispatcher.startWorker('default', 1);
      await waitFor('completed', async () => (await status(dispatcher, id)) === 'completed');
      expect(rec.of('start', 1)).toHaveLength(1);
      expect((await dispatcher.find(id))!.attempts).toBe(1);
    });

    it('6. concurrency: never more than n at once, n at once when due, free slots refill without a poll', async () => {
      const { dispatcher, run, rec } = await harness.create({ pollIntervalMs: 5000 });
      await dispatcher.startWorker('default', 3);
      const t0 = performance.now();
      for (let n = 0; n < 9; n++) await dispatcher.dispatch(new ProbeJob(run, n, { sleepMs: 150 }));
      await waitFor('all done', () => rec.of('done').length === 9);
      expect(rec.maxActive).toBe(3);
      // Three waves of 150 ms; waiting out a 5 s poll interval even once would take far longer.
      expect(performance.now() - t0).toBeLessThan(3000);
    });

    it('6b. two workers on one store never reserve the same job', async () => {
      const h = await harness.create();
      const other = await h.second();
      const jobs = Array.from({ length: 60 }, (_, n) => new ProbeJob(h.run, n, { sleepMs: 5 }));
      await h.dispatcher.dispatchMany(jobs);
      await Promise.all([h.dispatcher.startWorker('default', 4), other.startWorker('default', 4)]);
      await waitFor('all done', () => h.rec.of('done').length >= 60);
      // Stopped workers have finished every run they had: a duplicate start would show now.
      await Promise.all([h.dispatcher.stopWorker('default'), other.stopWorker('default')]);
      expect(h.rec.of('start')).toHaveLength(60);
      expect(new Set(h.rec.of('done').map((e) => e.n)).size).toBe(60);
    });

    it('7. graceful stop: running jobs finish within the grace, the rest go back without an attempt', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const short = await dispatcher.dispatch(new ProbeJob(run, 1, { sleepMs: 100 }));
      const long = await dispatcher.dispatch(new ProbeJob(run, 2, { sleepMs: 5000 }));
      await dispatcher.startWorker('default', 2);
      await waitFor('both started', () => rec.of('start').length === 2);
      const released = await dispatcher.stopWorker('default', { graceSeconds: 0.5 });
      expect(released).toBe(1);
      expect(await status(dispatcher, short)).toBe('completed');
      const back = (await dispatcher.find(long))!;
      expect(back.status).toBe('pending');
      expect(back.attempts).toBe(0);
      expect(rec.of('aborted', 2)).toHaveLength(1);
      await dispatcher.startWorker('default', 1);
      await waitFor('long started again', () => rec.of('start', 2).length === 2);
      expect(rec.of('start', 2)[1]!.attempt).toBe(1);
    });

    it('8. stats: pending (delayed included), processing, retrying, completed, failed and live worker concurrency', async () => {
      const h = await harness.create();
      const { dispatcher, run, rec } = h;
      await dispatcher.dispatch(new ProbeJob(run, 1, { queue: 'stats' }));
      await dispatcher.dispatch(new ProbeJob(run, 2, { queue: 'stats', failTimes: 9, maxAttempts: 1 }));
      await dispatcher.dispatch(
        new ProbeJob(run, 3, { queue: 'stats', failTimes: 9, maxAttempts: 2, retryDelaySeconds: 60 }),
      );
      await dispatcher.dispatch(new ProbeJob(run, 4, { queue: 'stats', sleepMs: 5000 }));
      await dispatcher.dispatch(new ProbeJob(run, 5, { queue: 'stats' }), { delay: 60 });
      await dispatcher.startWorker('stats', 3);
      const other = await h.second();
      await other.startWorker('stats', 2);
      await waitFor('settled', async () => {
        const s = await dispatcher.stats('stats');
        return s.completedJobs === 1 && s.failedJobs === 1 && s.retryingJobs === 1 && s.processingJobs === 1;
      });
      const stats = await dispatcher.stats('stats');
      expect(stats).toMatchObject({
        queueName: 'stats',
        pendingJobs: 1,
        processingJobs: 1,
        retryingJobs: 1,
        completedJobs: 1,
        failedJobs: 1,
        workersCount: 5,
      });
      expect(rec.of('done', 1)).toHaveLength(1);
      await other.stopWorker('stats', { graceSeconds: 0 });
      expect((await dispatcher.stats('stats')).workersCount).toBe(3);
      await dispatcher.stopWorker('stats', { graceSeconds: 0 });
      expect((await dispatcher.stats('stats')).workersCount).toBe(0);
    });

    it('9. failed store: list, retry one (attempts back to 0, failed() again), retry all, clear', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const a = await dispatcher.dispatch(
        new ProbeJob(run, 1, { failTimes: 99, maxAttempts: 1, queue: 'q1' }),
      );
      const b = await dispatcher.dispatch(
        new ProbeJob(run, 2, { failTimes: 99, maxAttempts: 1, queue: 'q2' }),
      );
      await dispatcher.startWorker('q1', 1);
      await dispatcher.startWorker('q2', 1);
      await waitFor('both failed', async () => (await dispatcher.failedJobs()).length === 2);
      expect((await dispatcher.failedJobs({ queue: 'q1' })).map((j) => j.id)).toEqual([a]);
      expect(await dispatcher.retryFailed(a)).toBe(1);
      await waitFor('a ran again', () => rec.of('start', 1).length === 2);
      expect(rec.of('start', 1)[1]!.attempt).toBe(1);
      await waitFor('a failed again', async () => (await status(dispatcher, a)) === 'failed');
      await waitFor('failed() ran again', () => rec.of('failed-hook', 1).length === 2);
      expect(await dispatcher.retryFailed('all', { queue: 'q2' })).toBe(1);
      await waitFor('b ran again', () => rec.of('start', 2).length === 2);
      await waitFor('b failed again', async () => (await status(dispatcher, b)) === 'failed');
      expect(await dispatcher.clearFailed({ queue: 'q2' })).toBe(1);
      expect(await dispatcher.find(b)).toBeNull();
      expect(await dispatcher.clearFailed()).toBe(1);
      expect(await dispatcher.failedJobs()).toEqual([]);
      expect(await dispatcher.retryFailed('01NOSUCHJOB0000000000000000')).toBe(0);
    });

    it('10. shouldQueue() === false: dispatch runs the job inline and stores nothing', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const id = await dispatcher.dispatch(new InlineProbeJob(run, 1, { sleepMs: 50 }));
      expect(rec.of('done', 1)).toHaveLength(1);
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(await dispatcher.find(id)).toBeNull();
      await expect(dispatcher.dispatch(new InlineProbeJob(run, 2, { failTimes: 1 }))).rejects.toThrow(
        /probe 2 failed/,
      );
      expect(rec.of('failed-hook', 2)).toHaveLength(1);
    });

    it('11. chaining: each link after the one before completed; a failure ends the chain', async () => {
      const { dispatcher, run, rec } = await harness.create();
      const ids = await dispatcher.chain([
        new ProbeJob(run, 1, { sleepMs: 30 }),
        new ProbeJob(run, 2),
        new ProbeJob(run, 3),
      ]);
      expect(ids).toHaveLength(3);
      expect(await dispatcher.find(ids[1]!)).toBeNull();
      const broken = await dispatcher.chain([
        new ProbeJob(run, 11),
        new ProbeJob(run, 12, { failTimes: 9, maxAttempts: 1 }),
        new ProbeJob(run, 13),
      ]);
      await dispatcher.startWorker('default', 4);
      await waitFor('chain done', () => rec.of('done', 3).length === 1);
      const done = rec.of('done');
      const at = (n: number) => done.find((e) => e.n === n)!.at;
      expect(at(1)).toBeLessThan(rec.of('start', 2)[0]!.at);
      expect(at(2)).toBeLessThan(rec.of('start', 3)[0]!.at);
      // 'done' is recorded when handle returns; the outcome is stored just after.
      await waitFor(
        'last link stored completed',
        async () => (await status(dispatcher, ids[2]!)) === 'completed',
      );
      await waitFor('broken link failed', async () => (await status(dispatcher, broken[1]!)) === 'failed');
      await dispatcher.stopWorker('default');
      expect(rec.of('start', 13)).toHaveLength(0);
      expect(await dispatcher.find(broken[2]!)).toBeNull();
    });

    it('11b. a job may dispatch further jobs from handle()', async () => {
      const { dispatcher, run, rec } = await harness.create();
      spawnDispatcher.dispatch = (job) => dispatcher.dispatch(job);
      await dispatcher.dispatch(new SpawningJob(run, 1));
      await dispatcher.startWorker('default', 1);
      await waitFor('spawned job done', () => rec.of('done', 2).length === 1);
    });

    it('bad input: unstorable payloads and hostile queue names are rejected and store nothing', async () => {
      const { dispatcher, run } = await harness.create({ maxPayloadBytes: 10_000 });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: Array<[unknown, RegExp]> = [
        [cyclic, /circular/],
        [{ big: 10n }, /BigInt/],
        [{ fn: () => 1 }, /function/],
        [{ map: new Map() }, /Map/],
        [{ text: 'x'.repeat(20_000) }, /over the 10000-byte limit/],
      ];
      for (const [extra, message] of cases) {
        const job = Object.assign(new ProbeJob(run, 1), { extra });
        const error = await dispatcher.dispatch(job).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PayloadError);
        expect((error as Error).message).toMatch(message);
      }
      for (const queue of ["x'; DROP TABLE jobs;--", '', 'a'.repeat(256), '../../etc', 'q\u0000']) {
        await expect(dispatcher.dispatch(new ProbeJob(run, 1), { queue })).rejects.toBeInstanceOf(
          InvalidJobError,
        );
      }
      const all = await dispatcher.allStats();
      expect(all.reduce((sum, q) => sum + q.pendingJobs, 0)).toBe(0);
    });

    runContractConformance(harness);
    runEngineConformance(harness);
    runCompositionConformance(harness, options.unsupported ?? []);
    runFlowConformance(harness);
  });
}
