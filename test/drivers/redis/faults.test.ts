import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkRun, type DispatchedJob, type FaultReport, summarize } from '../../support/fault/checker.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { makeFaultRun, waitFor } from '../../support/fault/scenarios.js';
import { servicesRequired } from '../../support/services.js';
import { redisTarget } from '../../support/targets.js';
import { PrivateRedis } from './private-redis.js';

/**
 * Real worker processes on a private redis-server, through the shared fault harness
 * (test/support/fault): several workers on one queue, workers killed with SIGKILL mid-job, and
 * Redis itself killed (kill -9) and restarted during processing. Counted from outside the store,
 * by the ledger file the jobs and workers append to.
 */
const redisInstalled = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));
// Like the PostgreSQL fault tests: under CI (or REQUIRE_SERVICES=1) a missing server is a failure.
if (!redisInstalled && servicesRequired) {
  throw new Error(
    'redis-server is not installed, and CI or REQUIRE_SERVICES=1 requires the Redis fault tests',
  );
}
if (!redisInstalled) console.warn('SKIPPED: Redis fault tests, because redis-server is not installed');

describe.skipIf(!redisInstalled)('redis driver under faults (real processes, private redis-server)', () => {
  let redis: PrivateRedis;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function setup() {
    const target = redisTarget('jw_fault', redis.url);
    const run = makeFaultRun({
      driverName: 'redis',
      driver: await target.make(),
      spec: target.spec!(),
      dropStore: target.cleanup,
    });
    cleanups.push(() => run.cleanup());
    const spawn = async (concurrency: number) => {
      const worker = run.spawn(concurrency);
      await worker.ready;
      return worker;
    };
    // Recorded as dispatched only once dispatchMany resolved.
    const dispatch = async (count: number, sleepMs: number): Promise<DispatchedJob[]> => {
      const ids = await run.producer.dispatchMany(
        Array.from({ length: count }, (_, n) => new LedgerJob(n, { sleepMs, maxAttempts: 20 })),
      );
      return ids.map((id, n) => ({ n, id }));
    };
    const check = async (dispatched: DispatchedJob[], kills?: Array<{ pid: number; at: number }>) => {
      await waitFor(
        'every job completed',
        async () => (await run.producer.stats('fault')).completedJobs === dispatched.length,
        90_000,
      );
      return checkRun({ ledger: run.ledger, dispatched, driver: run.driver, ...(kills ? { kills } : {}) });
    };
    return { run, spawn, dispatch, check };
  }

  /** Nothing lost, nothing stuck, no completion accepted twice, nothing failed. */
  function expectAllDoneOnce(report: FaultReport): void {
    expect(report.lost).toEqual([]);
    expect(report.stuck).toEqual([]);
    expect(report.dupDone).toEqual([]);
    expect(report.completed).toBe(report.dispatched);
  }

  it('several worker processes on one queue: every job runs once', async () => {
    const t = await setup();
    await Promise.all([1, 2, 3].map(() => t.spawn(4)));
    const report = await t.check(await t.dispatch(300, 5));
    console.info(`Redis, 3 processes: ${summarize(report)}`);
    expectAllDoneOnce(report);
    expect(report.dupStarts).toEqual([]);
    expect(new Set(report.lines.map((l) => l.pid)).size).toBeGreaterThan(1);
  }, 90_000);

  it('a worker killed with SIGKILL mid-job: its jobs run again elsewhere, nothing lost, no double completion', async () => {
    const t = await setup();
    // Every worker is up before the jobs arrive, so each victim has jobs in hand when it is killed.
    await Promise.all([1, 2].map(() => t.spawn(4)));
    const victims = await Promise.all([1, 2, 3].map(() => t.spawn(4)));
    const dispatched = await t.dispatch(300, 100);
    const kills: Array<{ pid: number; at: number }> = [];
    for (const victim of victims) {
      await waitFor(
        'the victim runs a job',
        () => t.run.lines().some((l) => l.pid === victim.pid && l.kind === 'start'),
        30_000,
      );
      victim.kill('SIGKILL');
      kills.push({ pid: victim.pid, at: Date.now() });
    }
    const report = await t.check(dispatched, kills);
    console.info(`Redis, SIGKILL of ${kills.length} workers: ${summarize(report)}`);
    expectAllDoneOnce(report);
    // A job starts twice only when a killed worker had started it.
    const killed = kills.map((k) => k.pid);
    for (const n of report.dupStarts) {
      expect(report.lines.some((l) => l.n === n && l.kind === 'start' && killed.includes(l.pid))).toBe(true);
    }
  }, 120_000);

  it('Redis killed (kill -9) and restarted during processing: workers resume by themselves, nothing lost', async () => {
    const t = await setup();
    const workers = await Promise.all([1, 2].map(() => t.spawn(5)));
    const dispatched = await t.dispatch(400, 25);
    await waitFor(
      'a quarter done',
      () => t.run.lines().filter((l) => l.kind === 'done').length >= dispatched.length / 4,
      30_000,
    );
    const errorsBefore = workers.map((w) => w.errors);
    await redis.kill();
    // Down until every worker has run into the outage (an error reported), not for a fixed time.
    await waitFor(
      'every worker to report the outage',
      () => workers.every((w, i) => w.errors > errorsBefore[i]!),
      30_000,
    );
    await redis.startProcess();
    const report = await t.check(dispatched);
    console.info(`Redis restart: ${summarize(report)}`);
    expectAllDoneOnce(report);
    // The same processes are still alive and were never restarted.
    for (const w of workers) expect(w.alive).toBe(true);
  }, 150_000);
});
