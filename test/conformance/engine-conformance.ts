import { expect, it } from 'vitest';
import { Job } from '../../src/index.js';
import { ProbeJob } from './conformance-jobs.js';
import { type makeHarnessFactory, waitFor } from './harness.js';

/** What `handle` throws, chosen by name so the payload stays plain JSON. */
const THROWN: Record<string, () => unknown> = {
  cyclic: () => {
    const value: Record<string, unknown> = { kind: 'cyclic' };
    value.self = value;
    return value;
  },
  bigint: () => 10n ** 30n,
  toJSON: () => ({
    toJSON() {
      throw new Error('toJSON refuses');
    },
  }),
  stack: () => {
    const error = new Error('stack getter throws');
    Object.defineProperty(error, 'stack', {
      get() {
        throw new Error('no stack for you');
      },
    });
    return error;
  },
  nul: () => new Error('bad \u0000 text \ud800 here'),
};

/** A job whose `handle` throws a hostile value, or whose `retryDelay` throws. */
export class HostileJob extends Job {
  constructor(
    public throws = 'cyclic',
    public badRetryDelay = false,
    public attempts = 1,
  ) {
    super();
  }
  override jobName() {
    return 'conformance.Hostile';
  }
  override maxAttempts() {
    return this.attempts;
  }
  override retryDelay(): number {
    if (this.badRetryDelay) throw new Error('retryDelay throws');
    return 0;
  }
  override async handle() {
    throw (THROWN[this.throws] ?? THROWN.cyclic!)();
  }
}

/** The engine's rules (issue 12) on every driver: held jobs, per-job outcomes, the completion rule. */
export function runEngineConformance(harness: ReturnType<typeof makeHarnessFactory>): void {
  it('engine: held jobs are uncharged, count as pending, start charges them, release and recovery give them back as they were', async () => {
    const { dispatcher, driver, run } = await harness.create();
    const ids = await dispatcher.dispatchMany([1, 2, 3, 4].map((n) => new ProbeJob(run, n)));
    const jobs = await driver.reserve({ queue: 'default', limit: 4, start: 1, leaseMs: 150, workerId: 'w' });
    expect(jobs.map((j) => j.id)).toEqual(ids);
    expect(jobs.map((j) => [j.attempts, j.reservedAt === null])).toEqual([
      [1, false],
      [0, true],
      [0, true],
      [0, true],
    ]);
    const stats = await dispatcher.stats('default');
    expect([stats.pendingJobs, stats.processingJobs]).toEqual([3, 1]);
    // A grouped start charges held jobs; a second start of the same lease is refused.
    const { lost } = await driver.start({
      leases: [jobs[1]!, { id: ids[2]!, leaseToken: 'not-a-token' }],
      leaseMs: 150,
    });
    expect(lost).toEqual([ids[2]]);
    expect((await driver.start({ leases: [jobs[1]!], leaseMs: 150 })).lost).toEqual([ids[1]]);
    expect(await dispatcher.find(ids[1]!)).toMatchObject({ status: 'processing', attempts: 1 });
    // Release: the held job goes back uncharged, the started one without its attempt.
    const released = await driver.settle({
      outcomes: [
        { kind: 'release', id: ids[2]!, leaseToken: jobs[2]!.leaseToken },
        { kind: 'release', id: ids[1]!, leaseToken: jobs[1]!.leaseToken },
        { kind: 'release', id: ids[2]!, leaseToken: jobs[2]!.leaseToken },
      ],
    });
    expect(released.map((r) => r.status)).toEqual(['ok', 'ok', 'lost']);
    expect(await dispatcher.find(ids[1]!)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await dispatcher.find(ids[2]!)).toMatchObject({ status: 'pending', attempts: 0 });
    // Recovery of an expired held job: back as it was, never charged, never failed.
    await waitFor('leases expired', async () => {
      const { requeued } = await driver.recoverExpired({ queue: 'default', limit: 10 });
      return requeued.includes(ids[3]!);
    });
    expect(await dispatcher.find(ids[3]!)).toMatchObject({
      status: 'pending',
      attempts: 0,
      errorMessage: null,
    });
    expect(await dispatcher.find(ids[0]!)).toMatchObject({ status: 'retrying', attempts: 1 });
  });

  it('engine: settle answers per job; a lost lease among good outcomes harms none of them', async () => {
    const { dispatcher, driver, run } = await harness.create();
    const ids = await dispatcher.dispatchMany([1, 2, 3].map((n) => new ProbeJob(run, n)));
    const jobs = await driver.reserve({ queue: 'default', limit: 3, leaseMs: 30_000, workerId: 'w' });
    const results = await driver.settle({
      outcomes: [
        { kind: 'complete', id: ids[0]!, leaseToken: jobs[0]!.leaseToken },
        // Another job's token: a real token that does not hold this job.
        { kind: 'fail', id: ids[1]!, leaseToken: jobs[2]!.leaseToken, error: 'stale' },
        { kind: 'retry', id: ids[2]!, leaseToken: jobs[2]!.leaseToken, delayMs: 0, error: 'again' },
        { kind: 'fail', id: ids[1]!, leaseToken: jobs[1]!.leaseToken, error: 'for good' },
      ],
    });
    expect(results.map((r) => r.status)).toEqual(['ok', 'lost', 'ok', 'ok']);
    expect((await dispatcher.find(ids[0]!))?.status).toBe('completed');
    expect(await dispatcher.find(ids[1]!)).toMatchObject({ status: 'failed' });
    expect(await dispatcher.find(ids[2]!)).toMatchObject({ status: 'retrying', errorMessage: 'again' });
  });

  it('engine: settleAndStart writes outcomes and starts held jobs in one step, each answered alone', async () => {
    const { dispatcher, driver, run } = await harness.create();
    const ids = await dispatcher.dispatchMany([1, 2, 3, 4].map((n) => new ProbeJob(run, n)));
    const jobs = await driver.reserve({
      queue: 'default',
      limit: 4,
      start: 2,
      leaseMs: 30_000,
      workerId: 'w',
    });
    const result = await driver.settleAndStart({
      outcomes: [
        { kind: 'complete', id: ids[0]!, leaseToken: jobs[0]!.leaseToken },
        // A stale token among them: lost, and harms neither the other outcome nor the starts.
        { kind: 'fail', id: ids[1]!, leaseToken: jobs[0]!.leaseToken, error: 'stale' },
        { kind: 'retry', id: ids[1]!, leaseToken: jobs[1]!.leaseToken, delayMs: 60_000, error: 'later' },
      ],
      start: [jobs[2]!, { id: ids[3]!, leaseToken: jobs[2]!.leaseToken }],
      leaseMs: 30_000,
    });
    expect(result.outcomes.map((r) => r.status)).toEqual(['ok', 'lost', 'ok']);
    expect(result.lost).toEqual([ids[3]]);
    expect(await dispatcher.find(ids[0]!)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await dispatcher.find(ids[1]!)).toMatchObject({ status: 'retrying', errorMessage: 'later' });
    const started = await dispatcher.find(ids[2]!);
    expect(started).toMatchObject({ status: 'processing', attempts: 1 });
    expect(started!.reservedAt).toBeInstanceOf(Date);
    expect(await dispatcher.find(ids[3]!)).toMatchObject({
      status: 'processing',
      attempts: 0,
      reservedAt: null,
    });
    // Started once only; nothing at all is a valid call.
    expect((await driver.settleAndStart({ outcomes: [], start: [jobs[2]!], leaseMs: 30_000 })).lost).toEqual([
      ids[2],
    ]);
    expect(await driver.settleAndStart({ outcomes: [], start: [], leaseMs: 30_000 })).toEqual({
      outcomes: [],
      lost: [],
    });
  });

  it('engine: completion keeps reservedAt (when the last attempt started) and clears the last error', async () => {
    const { dispatcher, driver, run } = await harness.create();
    const id = await dispatcher.dispatch(new ProbeJob(run, 1));
    const [first] = await driver.reserve({ queue: 'default', limit: 1, leaseMs: 30_000, workerId: 'w' });
    await driver.settle({
      outcomes: [{ kind: 'retry', id, leaseToken: first!.leaseToken, delayMs: 0, error: 'boom' }],
    });
    expect(await dispatcher.find(id)).toMatchObject({ status: 'retrying', errorMessage: 'boom' });
    const [second] = await driver.reserve({ queue: 'default', limit: 1, leaseMs: 30_000, workerId: 'w' });
    expect(second!.reservedAt).toBeInstanceOf(Date);
    await driver.settle({ outcomes: [{ kind: 'complete', id, leaseToken: second!.leaseToken }] });
    const done = (await dispatcher.find(id))!;
    expect(done).toMatchObject({ status: 'completed', attempts: 2, errorMessage: null });
    expect(done.reservedAt?.getTime()).toBe(second!.reservedAt!.getTime());
  });

  it('engine: whatever handle throws, or a retryDelay that throws, the outcome is written at once with a best-effort text', async () => {
    const { dispatcher } = await harness.create();
    dispatcher.register([HostileJob]);
    const ids = await dispatcher.dispatchMany(Object.keys(THROWN).map((kind) => new HostileJob(kind)));
    const retried = await dispatcher.dispatch(new HostileJob('cyclic', true, 2));
    await dispatcher.startWorker('default', 4);
    // Well inside the suite's 0.6 s lease: the outcome did not wait for recovery.
    await waitFor(
      'every hostile job settled',
      async () => {
        const states = await Promise.all([...ids, retried].map((id) => dispatcher.find(id)));
        return states.every((s) => s?.status === 'failed');
      },
      5_000,
    );
    const texts = await Promise.all(ids.map(async (id) => (await dispatcher.find(id))!));
    for (const job of texts) {
      expect(job.attempts).toBe(1);
      expect(job.errorMessage).not.toMatch(/Worker died/);
      expect(job.errorMessage!.length).toBeGreaterThan(0);
    }
    expect(texts[0]!.errorMessage).toMatch(/cyclic|object Object/);
    expect(texts[1]!.errorMessage).toMatch(/1000000000000000000000000000000/);
    expect(texts[3]!.errorMessage).toMatch(/stack getter throws/);
    expect(texts[4]!.errorMessage).toMatch(/bad {2}text \uFFFD here/);
    const again = (await dispatcher.find(retried))!;
    expect(again).toMatchObject({ status: 'failed', attempts: 2 });
  });
}
