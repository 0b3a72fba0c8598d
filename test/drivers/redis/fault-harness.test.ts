import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { JobDispatcher, RedisQueueDriver } from '../../../src/index.js';
import { checkRun, summarize } from '../../support/fault/checker.js';
import { readLedger } from '../../support/fault/ledger.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { type LedgerWorker, spawnLedgerWorker } from '../../support/fault/spawn-worker.js';
import { REDIS_URL, serviceAvailable } from '../../support/services.js';

/**
 * The cases of RELIABILITY.md that the shared, driver-agnostic fault harness plays
 * (test/support/fault/) on Redis: a frozen worker, and a job that kills its own process. Each run
 * has its own key prefix on the shared Redis (nothing here restarts or kills the server).
 */
const available = await serviceAvailable('redis');
const FAULT_ENV = { JOB_LEASE_SECONDS: '1', JOB_LEASE_GRACE_SECONDS: '0.5', JOB_POLL_INTERVAL_MS: '50' };

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${ms} ms waiting for: ${what}`);
}

function redisFaultRun() {
  const prefix = `jwharness-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'jw-redis-harness-'));
  const ledger = join(dir, 'ledger.tsv');
  const driver = new RedisQueueDriver({ url: REDIS_URL, prefix });
  const producer = new JobDispatcher(driver, { jobs: [LedgerJob] });
  const workers: LedgerWorker[] = [];
  const spawn = (concurrency: number): LedgerWorker => {
    const worker = spawnLedgerWorker({
      driver: 'redis',
      spec: { url: REDIS_URL, prefix },
      ledger,
      concurrency,
      env: FAULT_ENV,
    });
    workers.push(worker);
    return worker;
  };
  return {
    ledger,
    driver,
    producer,
    spawn,
    lines: () => readLedger(ledger),
    async cleanup(): Promise<void> {
      for (const w of workers) {
        w.kill('SIGCONT');
        w.kill('SIGKILL');
      }
      await Promise.all(workers.map((w) => w.exited));
      await producer.close({ graceSeconds: 0 });
      const admin = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await admin.quit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!available)('redis faults through the shared fault harness', () => {
  let run: ReturnType<typeof redisFaultRun> | undefined;
  afterEach(async () => {
    await run?.cleanup();
    run = undefined;
  });

  it('a frozen worker (SIGSTOP past its lease, then SIGCONT) has its completion refused by the token', async () => {
    run = redisFaultRun();
    const workers = [run.spawn(2), run.spawn(2)];
    await Promise.all(workers.map((w) => w.ready));
    const longId = await run.producer.dispatch(new LedgerJob(0, { sleepMs: 2500, ignoreAbort: true }));
    await waitFor(
      'long job started',
      () => run!.lines().some((l) => l.kind === 'start' && l.n === 0),
      20_000,
    );
    const frozenPid = run.lines().find((l) => l.kind === 'start' && l.n === 0)!.pid;
    const frozen = workers.find((w) => w.pid === frozenPid)!;
    frozen.kill('SIGSTOP');
    const shortIds = await run.producer.dispatchMany(
      Array.from({ length: 20 }, (_, k) => new LedgerJob(k + 1, { sleepMs: 20 })),
    );
    await waitFor(
      'long job done by the other worker',
      () => run!.lines().some((l) => l.kind === 'done' && l.n === 0 && l.pid !== frozenPid),
      30_000,
    );
    frozen.kill('SIGCONT');
    await waitFor(
      'the resumed worker is refused',
      () => run!.lines().some((l) => l.kind === 'refused' && l.n === 0 && l.pid === frozenPid),
      20_000,
    );
    await waitFor(
      'short jobs finished',
      async () => (await run!.producer.stats('fault')).completedJobs >= 21,
      20_000,
    );
    const dispatched = [{ n: 0, id: longId }, ...shortIds.map((id, k) => ({ n: k + 1, id }))];
    const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver });
    console.info(`redis freeze: ${summarize(report)}`);
    expect(report.dupDone).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.stuck).toEqual([]);
    expect(report.completed).toBe(21);
    expect(report.lines.filter((l) => l.kind === 'done' && l.n === 0)).toHaveLength(1);
    expect((await run.producer.find(longId))!).toMatchObject({ status: 'completed', attempts: 2 });
  }, 90_000);

  it('a job that kills its own process ends failed after maxAttempts with "worker died during attempt k/n"', async () => {
    run = redisFaultRun();
    // A supervisor, as systemd or Kubernetes would be: every worker that dies is replaced.
    let supervising = true;
    const watch = (worker: LedgerWorker) => {
      void worker.exited.then(() => {
        if (supervising) watch(run!.spawn(3));
      });
    };
    const first = [run.spawn(3), run.spawn(3)];
    await Promise.all(first.map((w) => w.ready));
    first.forEach(watch);
    try {
      const killerId = await run.producer.dispatch(new LedgerJob(0, { killProcess: true, maxAttempts: 3 }));
      // Jobs reserved alongside the killer (running or held ahead) die with its process: give
      // them more attempts than the killer can take from them.
      const others = await run.producer.dispatchMany(
        Array.from({ length: 30 }, (_, k) => new LedgerJob(k + 1, { sleepMs: 20, maxAttempts: 10 })),
      );
      await waitFor(
        'the killer job failed',
        async () => (await run!.producer.find(killerId))?.status === 'failed',
        60_000,
      );
      await waitFor(
        'the other jobs finished',
        async () => {
          const s = await run!.producer.stats('fault');
          return s.completedJobs + s.failedJobs >= 31;
        },
        30_000,
      );
      const killer = (await run.producer.find(killerId))!;
      expect(killer.attempts).toBe(3);
      expect(killer.errorMessage).toMatch(/worker died during attempt 3\/3/i);
      const dispatched = [{ n: 0, id: killerId }, ...others.map((id, k) => ({ n: k + 1, id }))];
      const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver });
      console.info(`redis self-kill: ${summarize(report)}`);
      expect(report.failed).toBe(1);
      expect(report.completed).toBe(30);
      expect(report.lost).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.dupDone).toEqual([]);
    } finally {
      supervising = false;
    }
  }, 90_000);
});
