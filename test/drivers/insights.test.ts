import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { canRecordInsights, metricsBy } from '../../src/drivers/insights.js';
import { MemoryQueueDriver, SqliteQueueDriver } from '../../src/index.js';
import { newJob } from '../support/new-job.js';
import { targetsPresent } from '../support/targets.js';
import { uniqueName } from '../support/unique.js';
import { waitFor } from '../support/wait.js';

/**
 * Attempt history and metrics, through the driver contract on every store: recorded in the
 * outcome step (settle and recovery), bounded, switchable, readable without any job class.
 */
const dir = mkdtempSync(join(tmpdir(), 'jobwright-insights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores = await targetsPresent('jw_insights');

const job = (queueName: string, jobName: string, maxAttempts = 3) =>
  newJob({ queueName, jobName, payload: '{"n":1}', maxAttempts });

for (const store of stores) {
  describe(`attempt history and metrics: ${store.name}`, () => {
    const make = (history = true) => store.make({ history });
    afterEach(() => store.cleanup());

    it('records every ended attempt in the outcome step, with worker, times, outcome and error', async () => {
      const driver = await make();
      if (!canRecordInsights(driver)) throw new Error('the driver must record insights');
      const a = job('mail', 'SendMail');
      const b = job('mail', 'SendMail', 2);
      await driver.enqueue({ jobs: [a, b] });
      let leased = await driver.reserve({ queue: 'mail', limit: 2, leaseMs: 30_000, workerId: 'w-1' });
      const byId = new Map(leased.map((j) => [j.id, j]));
      await driver.settle({
        outcomes: [
          { kind: 'complete', id: a.id, leaseToken: byId.get(a.id)!.leaseToken },
          {
            kind: 'retry',
            id: b.id,
            leaseToken: byId.get(b.id)!.leaseToken,
            delayMs: 0,
            error: 'SMTP 421 for user 1234',
          },
        ],
      });
      leased = await driver.reserve({ queue: 'mail', limit: 1, leaseMs: 30_000, workerId: 'w-2' });
      expect(leased.map((j) => j.id)).toEqual([b.id]);
      // A release gives the attempt back: not an attempt, not recorded.
      await driver.settle({ outcomes: [{ kind: 'release', id: b.id, leaseToken: leased[0]!.leaseToken }] });
      leased = await driver.reserve({ queue: 'mail', limit: 1, leaseMs: 30_000, workerId: 'w-2' });
      await driver.settle({
        outcomes: [
          { kind: 'fail', id: b.id, leaseToken: leased[0]!.leaseToken, error: 'SMTP 550 for user 99' },
        ],
      });

      const historyA = await driver.attemptHistory({ id: a.id, limit: 10 });
      expect(historyA).toHaveLength(1);
      expect(historyA[0]).toMatchObject({
        jobId: a.id,
        attempt: 1,
        outcome: 'completed',
        workerId: 'w-1',
        error: null,
      });
      expect(historyA[0]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(historyA[0]!.finishedAt.getTime()).toBeGreaterThanOrEqual(historyA[0]!.startedAt.getTime());

      const historyB = await driver.attemptHistory({ id: b.id, limit: 10 });
      expect(historyB.map((h) => [h.attempt, h.outcome, h.workerId, h.error])).toEqual([
        [2, 'failed', 'w-2', 'SMTP 550 for user 99'],
        [1, 'retried', 'w-1', 'SMTP 421 for user 1234'],
      ]);

      const cells = await driver.metricCells({ minutes: 60 });
      const [mail] = metricsBy(cells, 60, (c) => ({ queueName: c.queueName, jobName: c.jobName }));
      expect(mail).toMatchObject({
        queueName: 'mail',
        jobName: 'SendMail',
        completed: 1,
        retried: 1,
        failed: 1,
      });
      expect(mail!.wait.count).toBe(3);
      expect(mail!.run.p95Ms).not.toBeNull();
      expect(await driver.metricCells({ minutes: 60, jobName: 'Other' })).toEqual([]);
      const timeline = await driver.metricTimeline({ minutes: 60, queue: 'mail' });
      const completed = timeline.filter((p) => p.series === 'completed').reduce((n, p) => n + p.count, 0);
      expect(completed).toBe(1);

      // The failed list's search looks in the error text too.
      const found = await driver.list({ status: 'failed', search: 'SMTP 550', limit: 10, offset: 0 });
      expect(found.jobs.map((j) => j.id)).toEqual([b.id]);

      // A job's attempts go with it.
      await driver.clearFailed({ ids: [b.id] });
      expect(await driver.attemptHistory({ id: b.id, limit: 10 })).toEqual([]);
    });

    it("finds a completed job's attempt whichever of several queues holds it", async () => {
      const driver = await make();
      if (!canRecordInsights(driver)) throw new Error('the driver must record insights');
      const first = job('alpha', 'First');
      const second = job('beta', 'Second');
      await driver.enqueue({ jobs: [first, second] });
      for (const [queue, id] of [
        ['alpha', first.id],
        ['beta', second.id],
      ] as const) {
        const [leased] = await driver.reserve({ queue, limit: 1, leaseMs: 30_000, workerId: `w-${queue}` });
        expect(leased?.id).toBe(id);
        await driver.settle({ outcomes: [{ kind: 'complete', id, leaseToken: leased!.leaseToken }] });
      }
      for (const [queue, id] of [
        ['alpha', first.id],
        ['beta', second.id],
      ] as const) {
        const history = await driver.attemptHistory({ id, limit: 10 });
        expect(history).toMatchObject([
          {
            jobId: id,
            attempt: 1,
            queueName: queue,
            workerId: `w-${queue}`,
            outcome: 'completed',
            error: null,
          },
        ]);
        expect(history[0]!.finishedAt.getTime()).toBeGreaterThanOrEqual(history[0]!.startedAt.getTime());
        expect(history[0]!.waitMs).not.toBeNull();
      }
    });

    it('lists the jobs workers hold, with the worker and when the running attempt started', async () => {
      const driver = await make();
      if (!canRecordInsights(driver)) throw new Error('the driver must record insights');
      const [a, b] = [job('busy', 'Slow'), job('busy', 'Slow')];
      await driver.enqueue({ jobs: [a, b] });
      await driver.reserve({ queue: 'busy', limit: 2, start: 1, leaseMs: 30_000, workerId: 'w-9' });
      const running = await driver.runningJobs({ limit: 10 });
      expect(running).toHaveLength(2);
      expect(
        running.every((r) => r.workerId === 'w-9' && r.queueName === 'busy' && r.jobName === 'Slow'),
      ).toBe(true);
      expect(running.filter((r) => r.startedAt !== null)).toHaveLength(1);
      expect(await driver.runningJobs({ limit: 1 })).toHaveLength(1);
    });

    it('records the outcome, not the start, when both go out in one settleAndStart step', async () => {
      const driver = await make();
      if (!canRecordInsights(driver)) throw new Error('the driver must record insights');
      const [a, b] = [job('fused', 'Fused'), job('fused', 'Fused')];
      await driver.enqueue({ jobs: [a, b] });
      const leased = await driver.reserve({
        queue: 'fused',
        limit: 2,
        start: 1,
        leaseMs: 30_000,
        workerId: 'w-f',
      });
      const [first, held] = leased;
      const result = await driver.settleAndStart({
        outcomes: [{ kind: 'complete', id: first!.id, leaseToken: first!.leaseToken }],
        start: [{ id: held!.id, leaseToken: held!.leaseToken }],
        leaseMs: 30_000,
      });
      expect(result).toEqual({ outcomes: [{ status: 'ok' }], lost: [] });
      expect((await driver.attemptHistory({ id: first!.id, limit: 5 })).map((h) => h.outcome)).toEqual([
        'completed',
      ]);
      expect(await driver.attemptHistory({ id: held!.id, limit: 5 })).toEqual([]);
      const cells = await driver.metricCells({ minutes: 5, queue: 'fused' });
      expect(cells.filter((c) => c.series === 'completed').reduce((n, c) => n + c.count, 0)).toBe(1);
    });

    it('records the attempt of a worker that died (recovered lease)', async () => {
      const driver = await make();
      if (!canRecordInsights(driver)) throw new Error('the driver must record insights');
      const a = job('default', 'Crashy', 1);
      await driver.enqueue({ jobs: [a] });
      await driver.reserve({ queue: 'default', limit: 1, leaseMs: 1, workerId: 'dead-worker' });
      await waitFor(
        'the expired lease to be recovered as failed',
        async () => (await driver.recoverExpired({ limit: 10 })).failed.length > 0,
      );
      const history = await driver.attemptHistory({ id: a.id, limit: 10 });
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ attempt: 1, outcome: 'failed', workerId: 'dead-worker' });
      expect(history[0]!.error).toContain('Worker died');
    });

    it('keeps the newest 25 attempts of a job that ran more often', async () => {
      const driver = await make();
      if (!canRecordInsights(driver)) throw new Error('the driver must record insights');
      const a = job('many', 'Again', 30);
      await driver.enqueue({ jobs: [a] });
      for (let n = 1; n <= 27; n++) {
        const [leased] = await driver.reserve({ queue: 'many', limit: 1, leaseMs: 30_000, workerId: 'w' });
        await driver.settle({
          outcomes: [
            { kind: 'retry', id: a.id, leaseToken: leased!.leaseToken, delayMs: 0, error: `try ${n}` },
          ],
        });
      }
      const history = await driver.attemptHistory({ id: a.id, limit: 100 });
      expect(history).toHaveLength(25);
      expect(history[0]).toMatchObject({ attempt: 27, error: 'try 27' });
      expect(history[24]).toMatchObject({ attempt: 3, error: 'try 3' });
    });

    it('records nothing when history is switched off', async () => {
      const driver = await make(false);
      if (!canRecordInsights(driver)) throw new Error('the driver must still answer the readers');
      const a = job('q', 'Quiet');
      await driver.enqueue({ jobs: [a] });
      const [leased] = await driver.reserve({ queue: 'q', limit: 1, leaseMs: 30_000, workerId: 'w' });
      await driver.settle({ outcomes: [{ kind: 'complete', id: a.id, leaseToken: leased!.leaseToken }] });
      expect(await driver.attemptHistory({ id: a.id, limit: 10 })).toEqual([]);
      expect(await driver.metricCells({ minutes: 60 })).toEqual([]);
    });
  });
}

describe('metric cells are pruned after a day and an hour', () => {
  it('sqlite: cells older than the kept minutes go when new ones are written', async () => {
    let offset = -2 * 24 * 3_600_000;
    const driver = new SqliteQueueDriver(join(dir, `${uniqueName('prune')}.sqlite`), {
      clock: () => Date.now() + offset,
    });
    try {
      const settleOne = async () => {
        const a = job('old', 'Old');
        await driver.enqueue({ jobs: [a] });
        const [leased] = await driver.reserve({ queue: 'old', limit: 1, leaseMs: 30_000, workerId: 'w' });
        await driver.settle({ outcomes: [{ kind: 'complete', id: a.id, leaseToken: leased!.leaseToken }] });
      };
      await settleOne();
      const count = () =>
        driver.database.prepare('SELECT count(*) FROM jobwright_metrics').pluck().get() as number;
      expect(count()).toBe(2);
      offset = 0;
      await settleOne();
      // Only this minute's run and wait cells remain; the day window sees one completion.
      expect(count()).toBe(2);
      const cells = await driver.metricCells({ minutes: 24 * 60 });
      expect(cells.filter((c) => c.series === 'completed').reduce((n, c) => n + c.count, 0)).toBe(1);
    } finally {
      await driver.close();
    }
  });

  it('memory: minutes older than the kept ones are dropped', async () => {
    let offset = -2 * 24 * 3_600_000;
    const driver = new MemoryQueueDriver({ clock: () => Date.now() + offset });
    const settleOne = async () => {
      const a = job('old', 'Old');
      await driver.enqueue({ jobs: [a] });
      const [leased] = await driver.reserve({ queue: 'old', limit: 1, leaseMs: 30_000, workerId: 'w' });
      await driver.settle({ outcomes: [{ kind: 'complete', id: a.id, leaseToken: leased!.leaseToken }] });
    };
    await settleOne();
    offset = 0;
    await settleOne();
    offset = -2 * 24 * 3_600_000;
    // Read as of the old minute: its cells are gone.
    expect(await driver.metricCells({ minutes: 60 })).toEqual([]);
  });
});
