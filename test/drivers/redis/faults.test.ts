import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobDispatcher, RedisQueueDriver } from '../../../src/index.js';
import { servicesRequired } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';
import { LedgerJob } from './ledger-job.js';
import { PrivateRedis } from './private-redis.js';

/**
 * Real worker processes on a private redis-server: several workers on one queue, a worker killed
 * with SIGKILL mid-job, and Redis itself killed (kill -9) and restarted during processing. Counted
 * from outside the store, by a ledger file the jobs append to.
 */
const here = dirname(fileURLToPath(import.meta.url));
const workerScript = join(here, 'fault-worker.ts');
const redisInstalled = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));
// Like the PostgreSQL fault tests: under CI (or REQUIRE_SERVICES=1) a missing server is a failure.
if (!redisInstalled && servicesRequired) {
  throw new Error(
    'redis-server is not installed, and CI or REQUIRE_SERVICES=1 requires the Redis fault tests',
  );
}
if (!redisInstalled) console.warn('SKIPPED: Redis fault tests, because redis-server is not installed');

interface Line {
  event: 'start' | 'done' | 'completed';
  n: number;
  attempt: number;
  pid: number;
  at: number;
}

function readLedger(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

function tally(lines: Line[], total: number) {
  const count = (event: Line['event']) => {
    const per = new Map<number, number>();
    for (const l of lines) if (l.event === event) per.set(l.n, (per.get(l.n) ?? 0) + 1);
    return per;
  };
  const starts = count('start');
  const done = count('done');
  const completed = count('completed');
  const all = Array.from({ length: total }, (_, n) => n);
  return {
    // A run that finished, whether or not its worker lived to hear that the store took the
    // completion (a kill can land between the two); the store's own counts are checked after.
    lost: all.filter((n) => !done.has(n)),
    dupStarts: all.filter((n) => (starts.get(n) ?? 0) > 1),
    dupCompleted: all.filter((n) => (completed.get(n) ?? 0) > 1),
  };
}

/** Says where the jobs the ledger misses are in the store, before a test fails. */
async function explain(dispatcher: JobDispatcher, ledger: string, total: number) {
  const lost = new Set(tally(readLedger(ledger), total).lost);
  const all = (await dispatcher.jobs({ queue: 'faults', limit: 1000 })).jobs;
  const missing = all.filter((j) => lost.has((j.payload as { n: number }).n));
  console.error(JSON.stringify({ stats: await dispatcher.stats('faults'), missing }, null, 1));
  console.error(readLedger(ledger).filter((l) => lost.has(l.n)));
}

/** Every job ran to the end of handle (ledger) and the store holds it as completed. */
async function allDone(dispatcher: JobDispatcher, ledger: string, total: number): Promise<boolean> {
  if (tally(readLedger(ledger), total).lost.length > 0) return false;
  return (await dispatcher.stats('faults')).completedJobs === total;
}

describe.skipIf(!redisInstalled)('redis driver under faults (real processes, private redis-server)', () => {
  let redis: PrivateRedis;
  const tmp = mkdtempSync(join(tmpdir(), 'jobwright-faults-'));
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  function spawnWorker(prefix: string, ledger: string, concurrency: number): Promise<ChildProcess> {
    const child = fork(
      workerScript,
      [JSON.stringify({ url: redis.url, prefix, queue: 'faults', concurrency, ledger })],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', process.env.FAULT_DEBUG ? 'inherit' : 'pipe', 'ipc'],
      },
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stderr?.resume();
    return new Promise((resolve, reject) => {
      child.once('message', () => resolve(child));
      child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    });
  }

  async function produce(prefix: string, total: number, sleepMs: number) {
    const dispatcher = new JobDispatcher(new RedisQueueDriver({ url: redis.url, prefix }), {
      jobs: [LedgerJob],
    });
    // Recorded as dispatched only once dispatchMany resolved.
    const ids = await dispatcher.dispatchMany(
      Array.from({ length: total }, (_, n) => new LedgerJob(n, sleepMs)),
      { queue: 'faults' },
    );
    return { dispatcher, ids };
  }

  async function stop(child: ChildProcess) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  it('several worker processes on one queue: every job runs once', async () => {
    const prefix = `faults-${randomUUID().slice(0, 8)}`;
    const ledger = join(tmp, `${prefix}.ledger`);
    const workers = await Promise.all([1, 2, 3].map(() => spawnWorker(prefix, ledger, 4)));
    const total = 300;
    const { dispatcher } = await produce(prefix, total, 5);
    await waitFor('all completed', () => allDone(dispatcher, ledger, total), 60_000);
    const result = tally(readLedger(ledger), total);
    expect(result).toEqual({ lost: [], dupStarts: [], dupCompleted: [] });
    const pids = new Set(readLedger(ledger).map((l) => l.pid));
    expect(pids.size).toBeGreaterThan(1);
    expect((await dispatcher.stats('faults')).completedJobs).toBe(total);
    await Promise.all(workers.map(stop));
    await dispatcher.close();
  }, 90_000);

  it('a worker killed with SIGKILL mid-job: its jobs run again elsewhere, nothing lost, no double completion', async () => {
    const prefix = `faults-${randomUUID().slice(0, 8)}`;
    const ledger = join(tmp, `${prefix}.ledger`);
    // Every worker is up before the jobs arrive, so each victim has jobs in hand when it is killed.
    const survivors = await Promise.all([1, 2].map(() => spawnWorker(prefix, ledger, 4)));
    const victims = await Promise.all([1, 2, 3].map(() => spawnWorker(prefix, ledger, 4)));
    const total = 300;
    const { dispatcher } = await produce(prefix, total, 100);
    const killed: number[] = [];
    for (const victim of victims) {
      const pid = victim.pid!;
      await waitFor(
        'the victim runs a job',
        () => readLedger(ledger).some((l) => l.pid === pid && l.event === 'start'),
        30_000,
      );
      victim.kill('SIGKILL');
      killed.push(pid);
    }
    const t0 = Date.now();
    await waitFor('all completed', () => allDone(dispatcher, ledger, total), 60_000).catch(async (error) => {
      await explain(dispatcher, ledger, total);
      throw error;
    });
    const lines = readLedger(ledger);
    const result = tally(lines, total);
    expect(result.lost).toEqual([]);
    expect(result.dupCompleted).toEqual([]);
    // A job starts twice only when a killed worker had started it.
    for (const n of result.dupStarts) {
      expect(lines.some((l) => l.n === n && l.event === 'start' && killed.includes(l.pid))).toBe(true);
    }
    const stats = await dispatcher.stats('faults');
    expect(stats).toMatchObject({ completedJobs: total, processingJobs: 0, failedJobs: 0 });
    console.info(
      `SIGKILL: killed ${killed.length} workers; ${result.dupStarts.length} jobs started twice; drained ${Date.now() - t0} ms after the last kill`,
    );
    await Promise.all(survivors.map(stop));
    await dispatcher.close();
  }, 120_000);

  it('Redis killed (kill -9) and restarted during processing: workers resume by themselves, nothing lost', async () => {
    const prefix = `faults-${randomUUID().slice(0, 8)}`;
    const ledger = join(tmp, `${prefix}.ledger`);
    const workers = await Promise.all([1, 2].map(() => spawnWorker(prefix, ledger, 5)));
    const total = 400;
    const { dispatcher } = await produce(prefix, total, 25);
    await waitFor(
      'a quarter done',
      () => readLedger(ledger).filter((l) => l.event === 'completed').length >= total / 4,
      30_000,
    );
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.startProcess();
    const t0 = Date.now();
    await waitFor('all completed', () => allDone(dispatcher, ledger, total), 90_000).catch(async (error) => {
      // Say where the missing jobs are before failing.
      await explain(dispatcher, ledger, total);
      throw error;
    });
    const result = tally(readLedger(ledger), total);
    expect(result.lost).toEqual([]);
    expect(result.dupCompleted).toEqual([]);
    const stats = await dispatcher.stats('faults');
    expect(stats).toMatchObject({ completedJobs: total, processingJobs: 0, failedJobs: 0, pendingJobs: 0 });
    console.info(
      `Redis restart: ${result.dupStarts.length} jobs started twice; drained ${Date.now() - t0} ms after the restart`,
    );
    // The same processes are still alive and were never restarted.
    for (const w of workers) expect(w.exitCode).toBeNull();
    await Promise.all(workers.map(stop));
    await dispatcher.close();
  }, 150_000);
});
