import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  generateKey,
  Job,
  type JobContext,
  JobDispatcher,
  MemoryQueueDriver,
  nextTicks,
  SqliteQueueDriver,
} from '../../src/index.js';
import { fakeQueue, runJob } from '../../src/testing/index.js';
import { waitFor, waitForStatus } from '../support/wait.js';

class ReturningJob extends Job {
  constructor(public what: 'big' | 'bigint' | 'fine' | 'bad-progress' = 'fine') {
    super();
  }
  override jobName() {
    return 'composition.Returning';
  }
  override maxAttempts() {
    return 1;
  }
  async handle(ctx: JobContext) {
    if (this.what === 'bad-progress') await ctx.progress(150);
    await ctx.progress(10);
    if (this.what === 'big') return { text: 'x'.repeat(2048) };
    if (this.what === 'bigint') return { n: 1n };
    return { ok: true, at: new Date('2026-01-02T03:04:05Z') };
  }
}

class SecretCallbackJob extends Job {
  constructor(public secret = 'the-secret-value') {
    super();
  }
  override jobName() {
    return 'composition.SecretCallback';
  }
  override encrypted() {
    return true;
  }
  handle() {}
}

class TickJob extends Job {
  override jobName() {
    return 'composition.Tick';
  }
  handle() {}
}

const closing: JobDispatcher[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const d of closing.splice(0)) await d.close({ graceSeconds: 0 });
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function memoryDispatcher(config: Record<string, unknown> = {}) {
  const d = new JobDispatcher(new MemoryQueueDriver(), {
    jobs: [ReturningJob, TickJob],
    config: { pollIntervalMs: 20, ...config },
  });
  closing.push(d);
  return d;
}

describe('results and progress', () => {
  it('a result is kept as JSON (Dates revived); one that cannot be stored completes with null and a worker:error', async () => {
    const d = memoryDispatcher({ maxPayloadBytes: 1024 });
    const errors: string[] = [];
    d.on('worker:error', (e) => errors.push(e.error.message));
    const progress: unknown[] = [];
    d.on('job:progress', (e) => progress.push(e.progress));
    const completed: unknown[] = [];
    d.on('job:completed', (e) => completed.push(e.result));
    const fine = await d.dispatch(new ReturningJob('fine'));
    const big = await d.dispatch(new ReturningJob('big'));
    const bigint = await d.dispatch(new ReturningJob('bigint'));
    await d.startWorker('default', 1);
    expect((await d.waitFor(fine, { timeout: 10 })).result).toEqual({
      ok: true,
      at: new Date('2026-01-02T03:04:05Z'),
    });
    for (const id of [big, bigint]) {
      const record = await d.waitFor(id, { timeout: 10 });
      expect(record).toMatchObject({ status: 'completed', result: null, progress: 10 });
    }
    expect(errors.filter((m) => m.includes(big))).toHaveLength(1);
    expect(errors.filter((m) => m.includes(bigint))).toHaveLength(1);
    expect(progress).toEqual([10, 10, 10]);
    expect(completed[0]).toEqual({ ok: true, at: new Date('2026-01-02T03:04:05Z') });
  });

  it('ctx.progress refuses a number outside 0-100 with a typed error', async () => {
    const d = memoryDispatcher();
    const id = await d.dispatch(new ReturningJob('bad-progress'));
    await d.startWorker('default', 1);
    const record = await d.waitFor(id, { timeout: 10 });
    expect(record.status).toBe('failed');
    expect(record.errorMessage).toMatch(/from 0 to 100/);
  });
});

describe('testing fakes', () => {
  it('records batches and schedules, and runJob resolves with the result', async () => {
    const fake = fakeQueue();
    try {
      const batch = await fake.batch([new ReturningJob(), new ReturningJob()], {
        name: 'two',
        finally: new TickJob(),
      });
      fake.assertBatched((b) => b.options.name === 'two' && b.jobs.length === 2);
      expect(() => fake.assertBatched((b) => b.jobs.length === 3)).toThrow(/Expected a batch/);
      await fake.addToBatch(batch.id, [new ReturningJob()]);
      fake.assertBatched((b) => b.jobs.length === 3);
      await fake.schedule('ticks', '*/5 * * * *', new TickJob());
      fake.assertScheduled('ticks', TickJob);
      expect(() => fake.assertScheduled('other')).toThrow(/Expected the schedule other/);
      await expect(fake.schedule('bad', 'nope', new TickJob())).rejects.toMatchObject({
        code: 'INVALID_CRON',
      });
      const seen: unknown[] = [];
      const result = await runJob(new ReturningJob(), { progressValues: seen as never[] });
      expect(result).toEqual({ ok: true, at: new Date('2026-01-02T03:04:05Z') });
      expect(seen).toEqual([10]);
    } finally {
      fake.restore();
    }
  });
});

class UniqueJob extends Job {
  override jobName() {
    return 'composition.Unique';
  }
  override uniqueId() {
    return 'only-one';
  }
  handle() {}
}

describe('batch rules', () => {
  it('a unique job cannot be part of a batch (typed error, nothing stored)', async () => {
    const d = memoryDispatcher();
    await expect(d.batch([new TickJob(), new UniqueJob()])).rejects.toMatchObject({
      code: 'UNIQUE_JOB_IN_BATCH',
    });
    expect((await d.stats('default')).pendingJobs).toBe(0);
    expect(await d.batches()).toEqual([]);
  });
});

describe('batch callbacks and encryption', () => {
  it('the stored callback of an encrypted class is ciphertext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jw-compose-enc-'));
    dirs.push(dir);
    const driver = new SqliteQueueDriver(join(dir, 'jobs.sqlite'));
    const d = new JobDispatcher(driver, {
      jobs: [ReturningJob, SecretCallbackJob],
      encryption: { key: generateKey() },
    });
    closing.push(d);
    const batch = await d.batch([new ReturningJob()], { finally: new SecretCallbackJob() });
    const row = driver.database
      .prepare('SELECT finally_job FROM jobwright_batches WHERE id = ?')
      .get(batch.id) as {
      finally_job: string;
    };
    expect(row.finally_job).toContain('composition.SecretCallback');
    expect(row.finally_job).not.toContain('the-secret-value');
    await d.startWorker('default', 1);
    await waitFor(
      'the callback ran',
      async () => (await d.jobs({ search: 'composition.SecretCallback' })).jobs[0],
    );
    const [callback] = (await d.jobs({ search: 'composition.SecretCallback' })).jobs;
    expect((await waitForStatus(d, callback!.id, ['completed'])).payload).toEqual({
      secret: 'the-secret-value',
    });
  });
});

describe('schedules: missed ticks and daylight saving', () => {
  it('ticks missed while no scheduler ran are not replayed, unless catchUp (then once)', async () => {
    const d = memoryDispatcher();
    const driver = await d.driver();
    // Hourly: no live tick falls inside the test. Both last ran three hours ago.
    await d.schedule('a-plain', '0 0 * * * *', new TickJob());
    await d.schedule('b-catch-up', '0 0 * * * *', new TickJob(), { catchUp: true });
    const hour = 3600_000;
    const lastFullHour = Math.floor(Date.now() / hour) * hour;
    for (const name of ['a-plain', 'b-catch-up']) {
      const [spec] = (await driver.schedules()).filter((s) => s.name === name);
      const job = {
        ...JSON.parse(spec!.job),
        id: `01HOLD${name === 'a-plain' ? 'A' : 'B'}AAAAAAAAAAAAAAAAAAA`,
        delayMs: 0,
        availableAt: null,
        meta: null,
      };
      expect(await driver.claimTick({ name, tick: new Date(lastFullHour - 3 * hour), job })).toBe(true);
    }
    const before = (await d.stats('default')).pendingJobs;
    await d.startScheduler();
    const caughtUp = await waitFor('the catch-up tick', async () => {
      const s = (await driver.schedules()).find((x) => x.name === 'b-catch-up');
      return s!.lastTick!.getTime() > lastFullHour - 3 * hour ? s : null;
    });
    await d.stopScheduler();
    // One job for the latest missed tick, none for the others, none for the plain schedule.
    expect(caughtUp.lastTick!.getTime()).toBe(lastFullHour);
    expect((await d.stats('default')).pendingJobs).toBe(before + 1);
    const plain = (await driver.schedules()).find((x) => x.name === 'a-plain');
    expect(plain!.lastTick!.getTime()).toBe(lastFullHour - 3 * hour);
  });

  it('across a daylight-saving change, ticks follow the wall clock of the time zone', () => {
    // Spring forward (New York, 8 March 2026): 02:30 does not exist; that day runs at 03:00 EDT.
    const spring = nextTicks('0 30 2 * * *', 'America/New_York', new Date('2026-03-07T00:00:00Z'), 3);
    expect(spring.map((t) => t.toISOString())).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
    // Fall back (1 November 2026): 01:30 happens twice; it runs once, at the first.
    const fall = nextTicks('0 30 1 * * *', 'America/New_York', new Date('2026-10-31T12:00:00Z'), 2);
    expect(fall.map((t) => t.toISOString())).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });
});
