import { expect, it } from 'vitest';
import { completeJob, failJob, releaseJob, retryJob } from '../../src/drivers/settle-one.js';
import type { NewJob, QueueDriver } from '../../src/index.js';
import { newJob } from '../support/new-job.js';
import { ProbeJob } from './conformance-jobs.js';
import { type makeHarnessFactory, waitFor } from './harness.js';

/** Drivers whose store validates JSON on write (PostgreSQL: the payload column is JSONB). */
const REFUSES_INVALID_JSON = new Set(['database']);

/** A raw row, as something other than the dispatcher might have written it. */
const rawJob = (overrides: Partial<NewJob> = {}) => newJob({ jobName: 'conformance.Probe', ...overrides });

/** The driver verbs beyond the engine rules: fencing, reads, the worker registry, the activity log. */
export function runContractConformance(harness: ReturnType<typeof makeHarnessFactory>): void {
  it('contract: an unknown job name or a corrupt payload fails that job with the reason; the queue flows on', async () => {
    const { dispatcher, driver, run, rec } = await harness.create();
    const unknown = rawJob({ jobName: 'NoSuchJob', payload: '{"a":1}' });
    await driver.enqueue({ jobs: [unknown] });
    // Each store has one answer, fixed here, never "either": PostgreSQL's JSONB refuses invalid
    // JSON at write time (nothing stored); the others store it and the worker fails that job.
    const refusesAtWrite = REFUSES_INVALID_JSON.has(driver.name);
    let corruptId: string | null = rawJob().id;
    const corrupt = driver.enqueue({ jobs: [rawJob({ id: corruptId, payload: '{"run": oops' })] });
    if (refusesAtWrite) {
      await expect(corrupt).rejects.toThrow();
      expect(await driver.find({ id: corruptId })).toBeNull();
      corruptId = null;
    } else {
      await corrupt;
    }
    const good = await dispatcher.dispatch(new ProbeJob(run, 1));
    await dispatcher.startWorker('default', 1);
    await waitFor('good job done', async () => (await dispatcher.find(good))?.status === 'completed');
    await waitFor('unknown failed', async () => (await dispatcher.find(unknown.id))?.status === 'failed');
    const failedUnknown = (await dispatcher.find(unknown.id))!;
    expect(failedUnknown.errorMessage).toMatch(/No job class is registered as 'NoSuchJob'.*registerJobs/);
    expect(failedUnknown.payload).toEqual({ a: 1 });
    if (corruptId) {
      await waitFor('corrupt failed', async () => (await dispatcher.find(corruptId!))?.status === 'failed');
      expect((await dispatcher.find(corruptId))!.errorMessage).toMatch(/not valid JSON/);
    }
    expect(rec.of('done', 1)).toHaveLength(1);
  });

  it('contract: prototype keys in a stored payload pollute nothing', async () => {
    const { dispatcher, driver, run, rec } = await harness.create();
    const row = rawJob({
      payload: JSON.stringify({ run, n: 7, options: {} }).replace(
        '{',
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
      ),
    });
    await driver.enqueue({ jobs: [row] });
    await dispatcher.startWorker('default', 1);
    await waitFor('done', () => rec.of('done', 7).length === 1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('contract: transitions are fenced by the lease token; heartbeats report lost leases', async () => {
    const { driver } = await harness.create();
    const row = rawJob();
    await driver.enqueue({ jobs: [row] });
    const [first] = await driver.reserve({ queue: 'default', limit: 5, leaseMs: 150, workerId: 'w1' });
    expect(first).toMatchObject({ id: row.id, status: 'processing', attempts: 1 });
    expect(await driver.reserve({ queue: 'default', limit: 5, leaseMs: 150, workerId: 'w2' })).toEqual([]);
    expect((await driver.heartbeat({ leases: [first!], leaseMs: 150 })).lost).toEqual([]);
    // The lease runs out with time: sweep until it has.
    const recovered = await waitFor('the lease expired', async () => {
      const r = await driver.recoverExpired({ queue: 'default', limit: 10 });
      return r.requeued.length > 0 && r;
    });
    expect(recovered.requeued).toEqual([row.id]);
    expect((await driver.find({ id: row.id }))!.status).toBe('retrying');
    expect((await driver.heartbeat({ leases: [first!], leaseMs: 150 })).lost).toEqual([row.id]);
    const [second] = await driver.reserve({ queue: 'default', limit: 5, leaseMs: 5000, workerId: 'w2' });
    expect(second).toMatchObject({ id: row.id, attempts: 2 });
    expect(second!.leaseToken).not.toBe(first!.leaseToken);
    for (const stale of [
      completeJob(driver, { id: row.id, leaseToken: first!.leaseToken }),
      retryJob(driver, { id: row.id, leaseToken: first!.leaseToken, delayMs: 0, error: 'x' }),
      failJob(driver, { id: row.id, leaseToken: first!.leaseToken, error: 'x' }),
      releaseJob(driver, { id: row.id, leaseToken: first!.leaseToken }),
    ]) {
      expect((await stale).ok).toBe(false);
    }
    expect((await driver.find({ id: row.id }))!.status).toBe('processing');
    expect((await releaseJob(driver, { id: row.id, leaseToken: second!.leaseToken })).ok).toBe(true);
    const released = (await driver.find({ id: row.id }))!;
    expect(released).toMatchObject({ status: 'retrying', attempts: 1 });
    const [third] = await driver.reserve({ queue: 'default', limit: 5, leaseMs: 5000, workerId: 'w3' });
    expect((await completeJob(driver, { id: row.id, leaseToken: third!.leaseToken })).ok).toBe(true);
    expect((await completeJob(driver, { id: row.id, leaseToken: third!.leaseToken })).ok).toBe(false);
    const done = (await driver.find({ id: row.id }))!;
    expect(done.status).toBe('completed');
    expect(done.processedAt).toBeInstanceOf(Date);
  });

  it('contract: find, dispatchMany and list with filters, search and paging', async () => {
    const { dispatcher, run } = await harness.create();
    const ids = await dispatcher.dispatchMany(
      Array.from(
        { length: 12 },
        (_, n) => new ProbeJob(run, n, { queue: n % 2 ? 'odd' : 'even', priority: n }),
      ),
    );
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    const one = (await dispatcher.find(ids[3]!))!;
    expect(one).toMatchObject({
      id: ids[3],
      queueName: 'odd',
      jobName: 'conformance.Probe',
      attempts: 0,
      maxAttempts: 3,
      status: 'pending',
      priority: 3,
      reservedAt: null,
      processedAt: null,
      failedAt: null,
      errorMessage: null,
      timeoutSeconds: 30,
    });
    expect(one.payload).toMatchObject({ run, n: 3 });
    for (const key of ['availableAt', 'createdAt', 'updatedAt'] as const)
      expect(one[key]).toBeInstanceOf(Date);
    const odd = await dispatcher.jobs({ queue: 'odd', status: 'pending', limit: 4 });
    expect(odd.total).toBe(6);
    expect(odd.jobs.map((j) => j.id)).toEqual([ids[11], ids[9], ids[7], ids[5]]);
    const page2 = await dispatcher.jobs({ queue: 'odd', limit: 4, offset: 4, order: 'newest' });
    expect(page2.jobs.map((j) => j.id)).toEqual([ids[3], ids[1]]);
    expect((await dispatcher.jobs({ search: ids[4]! })).jobs.map((j) => j.id)).toEqual([ids[4]]);
    expect((await dispatcher.jobs({ search: 'conformance.Pro' })).total).toBe(12);
    expect((await dispatcher.jobs({ search: `"n":10` })).jobs.map((j) => j.id)).toEqual([ids[10]]);
    expect((await dispatcher.jobs({ status: 'failed' })).total).toBe(0);
    expect(await dispatcher.find('no-such-id')).toBeNull();
  });

  it('contract: prune removes finished jobs older than the given age', async () => {
    const { dispatcher, run } = await harness.create();
    const done = await dispatcher.dispatch(new ProbeJob(run, 1));
    const failed = await dispatcher.dispatch(new ProbeJob(run, 2, { failTimes: 9, maxAttempts: 1 }));
    const waiting = await dispatcher.dispatch(new ProbeJob(run, 3), { delay: 60 });
    await dispatcher.startWorker('default', 2);
    await waitFor('finished', async () => (await dispatcher.find(failed))?.status === 'failed');
    await waitFor('completed', async () => (await dispatcher.find(done))?.status === 'completed');
    expect(await dispatcher.prune({ olderThanSeconds: 3600 })).toBe(0);
    // Age comes with time: prune until the completed job is old enough.
    await waitFor(
      'the completed job aged',
      async () => (await dispatcher.prune({ olderThanSeconds: 0.2, statuses: ['completed'] })) === 1,
    );
    expect(await dispatcher.find(done)).toBeNull();
    expect(await dispatcher.prune({ olderThanSeconds: 0.2 })).toBe(1);
    expect(await dispatcher.find(failed)).toBeNull();
    expect(await dispatcher.find(waiting)).not.toBeNull();
  });

  it('contract: the worker registry lists live workers across processes and drops dead ones', async () => {
    const { driver } = await harness.create();
    const base = { host: 'machine-a', pid: 4242, queues: ['default', 'mail'], concurrency: 4, jobsDone: 7 };
    await driver.registerWorker({ ...base, workerId: 'w-live', ttlMs: 10_000 });
    await driver.registerWorker({ ...base, workerId: 'w-dying', ttlMs: 150 });
    const workers = await driver.workers();
    expect(workers.map((w) => w.workerId).sort()).toEqual(['w-dying', 'w-live']);
    const live = workers.find((w) => w.workerId === 'w-live')!;
    expect(live).toMatchObject({
      host: 'machine-a',
      pid: 4242,
      queues: ['default', 'mail'],
      concurrency: 4,
      jobsDone: 7,
    });
    expect(live.startedAt).toBeInstanceOf(Date);
    expect(live.lastHeartbeatAt).toBeInstanceOf(Date);
    // Registrations lapse with time: wait until the short one has.
    await waitFor('the short registration lapsed', async () => (await driver.workers()).length === 1);
    expect((await driver.workers()).map((w) => w.workerId)).toEqual(['w-live']);
    await driver.registerWorker({ ...base, workerId: 'w-live', ttlMs: 10_000, jobsDone: 9 });
    const renewed = (await driver.workers())[0]!;
    expect(renewed.jobsDone).toBe(9);
    expect(renewed.startedAt.getTime()).toBe(live.startedAt.getTime());
    await driver.unregisterWorker({ workerId: 'w-live' });
    expect(await driver.workers()).toEqual([]);
  });

  it('contract: the activity log keeps entries per job, newest first', async () => {
    const { driver } = await harness.create();
    const entry = (id: string, jobId: string, event: 'started' | 'completed' | 'failed') => ({
      id,
      jobId,
      jobName: 'conformance.Probe',
      queueName: 'default',
      event,
      causer: 'user-1',
      properties: '{"k":"v"}',
      durationMs: event === 'started' ? null : 12.5,
      attempt: 1,
      error: event === 'failed' ? 'boom' : null,
    });
    await driver.logActivity({ entries: [entry('a1', 'job-1', 'started')] });
    // Entries are listed newest first by their time: the next ones are written a tick later.
    const first = Date.now();
    await waitFor('the clock to move on', () => Date.now() >= first + 5);
    await driver.logActivity({ entries: [entry('a2', 'job-1', 'failed'), entry('a3', 'job-2', 'started')] });
    const forJob = await driver.activity({ jobId: 'job-1', limit: 10 });
    expect(forJob.map((e) => e.id)).toEqual(['a2', 'a1']);
    expect(forJob[0]).toMatchObject({
      event: 'failed',
      causer: 'user-1',
      error: 'boom',
      durationMs: 12.5,
      properties: '{"k":"v"}',
    });
    expect(forJob[0]!.createdAt).toBeInstanceOf(Date);
    expect((await driver.activity({ limit: 2 })).length).toBe(2);
  });

  it('contract: throughput counts finished jobs per minute', async () => {
    const { dispatcher, run } = await harness.create();
    await dispatcher.dispatchMany([
      new ProbeJob(run, 1),
      new ProbeJob(run, 2),
      new ProbeJob(run, 3, { failTimes: 9, maxAttempts: 1 }),
    ]);
    await dispatcher.startWorker('default', 3);
    await waitFor('three finished', async () => {
      const s = await dispatcher.stats('default');
      return s.completedJobs === 2 && s.failedJobs === 1;
    });
    const buckets = await dispatcher.throughput({ minutes: 5 });
    expect(buckets).toHaveLength(5);
    expect(buckets.reduce((sum, b) => sum + b.completed, 0)).toBe(2);
    expect(buckets.reduce((sum, b) => sum + b.failed, 0)).toBe(1);
    expect(buckets[4]!.minute.getTime()).toBeGreaterThan(buckets[0]!.minute.getTime());
    expect(
      (await dispatcher.throughput({ queue: 'other', minutes: 5 })).every((b) => b.completed === 0),
    ).toBe(true);
  });

  it('contract: one failed job can be deleted by id', async () => {
    const { dispatcher, run } = await harness.create();
    const a = await dispatcher.dispatch(new ProbeJob(run, 1, { failTimes: 99, maxAttempts: 1, queue: 'q1' }));
    const b = await dispatcher.dispatch(new ProbeJob(run, 2, { failTimes: 99, maxAttempts: 1, queue: 'q2' }));
    // No worker serves other-queue: this job stays pending throughout.
    const pending = await dispatcher.dispatch(new ProbeJob(run, 3, { queue: 'other-queue' }));
    await dispatcher.startWorker('q1', 1);
    await dispatcher.startWorker('q2', 1);
    await waitFor('both failed', async () => (await dispatcher.failedJobs()).length === 2);
    expect(await dispatcher.clearFailed({ ids: [a] })).toBe(1);
    expect(await dispatcher.find(a)).toBeNull();
    expect((await dispatcher.find(b))?.status).toBe('failed');
    expect(await dispatcher.clearFailed({ ids: [pending] })).toBe(0);
    expect((await dispatcher.find(pending))?.status).toBe('pending');
    expect(await dispatcher.clearFailed({ ids: [b], queue: 'other-queue' })).toBe(0);
    expect((await dispatcher.find(b))?.status).toBe('failed');
    expect(await dispatcher.clearFailed({ ids: [] })).toBe(0);
    expect((await dispatcher.find(b))?.status).toBe('failed');
    expect(await dispatcher.forgetFailed(b)).toBe(true);
    expect(await dispatcher.find(b)).toBeNull();
    expect(await dispatcher.forgetFailed(b)).toBe(false);
    expect((await dispatcher.find(pending))?.status).toBe('pending');
  });

  it('contract: a paused queue hands out nothing until resumed', async (ctx) => {
    const { dispatcher, driver, run, rec } = await harness.create();
    if (!driver.capabilities.pause || !supportsPause(driver)) {
      console.info(
        `conformance: the ${driver.name} driver does not support pausing queues (capabilities.pause = false)`,
      );
      ctx.skip();
    }
    await dispatcher.pause('default');
    expect(await dispatcher.pausedQueues()).toEqual(['default']);
    await dispatcher.dispatch(new ProbeJob(run, 1));
    // One pool over both queues, the paused one first: once a job of the other queue has run,
    // the worker has been past the paused queue, and it took nothing from it.
    await dispatcher.startWorker(['default', 'other'], 1);
    await dispatcher.dispatch(new ProbeJob(run, 2), { queue: 'other' });
    await waitFor("the other queue's job ran", () => rec.of('done', 2).length === 1);
    expect(rec.of('start', 1)).toHaveLength(0);
    await dispatcher.resume('default');
    await waitFor('ran after resume', () => rec.of('done', 1).length === 1);
    expect(await dispatcher.pausedQueues()).toEqual([]);
  });
}

function supportsPause(driver: QueueDriver): boolean {
  return typeof driver.pauseQueue === 'function' && typeof driver.resumeQueue === 'function';
}
