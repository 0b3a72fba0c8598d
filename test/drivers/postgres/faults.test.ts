import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseQueueDriver, JobDispatcher } from '../../../src/index.js';
import { DATABASE_URL, serviceAvailable, servicesRequired } from '../../support/services.js';
import { dropPgSchema } from '../../support/stores.js';
import { uniqueName } from '../../support/unique.js';
import { waitFor } from '../../support/wait.js';
import { LedgerJob } from './ledger-job.js';
import { privatePostgresUnavailable, startPrivatePostgres } from './private-postgres.js';

/**
 * Faults with real worker processes (RELIABILITY.md): counted from a ledger file outside the
 * store. `completed` lines are written only for completions the store accepted.
 */
const available = await serviceAvailable('postgres');
const here = dirname(fileURLToPath(import.meta.url));
const privateReason = privatePostgresUnavailable();
if (privateReason && servicesRequired) throw new Error(`private PostgreSQL cluster: ${privateReason}`);
if (privateReason) console.warn(`SKIPPED: PostgreSQL restart test, because ${privateReason}`);

interface Entry {
  event: 'start' | 'done' | 'completed';
  n: number;
  attempt: number;
  pid: number;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)('postgres faults (real worker processes)', () => {
  const children: ChildProcess[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(url: string) {
    const schema = uniqueName('jw_fault');
    const dir = mkdtempSync(join(tmpdir(), 'jw-pg-ledger-'));
    const ledger = join(dir, 'ledger.jsonl');
    const driver = new DatabaseQueueDriver({ connectionString: url, schema, max: 3 });
    const producer = new JobDispatcher(driver, { jobs: [LedgerJob] });
    await driver.migrate();
    cleanups.push(async () => {
      await producer.close();
      await dropPgSchema(schema, url);
      rmSync(dir, { recursive: true, force: true });
    });
    const read = (): Entry[] =>
      existsSync(ledger)
        ? readFileSync(ledger, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Entry)
        : [];
    const spawn = (concurrency: number, appName: string): Promise<ChildProcess> => {
      const child = fork(
        join(here, 'fault-worker.ts'),
        [JSON.stringify({ url, schema, queue: 'default', concurrency, ledger, appName })],
        { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      children.push(child);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('worker did not start within 30 s')), 30_000);
        child.once('message', () => {
          clearTimeout(timer);
          resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`worker exited with ${code} before ready`)));
      });
    };
    const dispatch = async (count: number, sleepMs: number) => {
      const jobs = Array.from({ length: count }, (_, n) => new LedgerJob(n, sleepMs));
      await producer.dispatchMany(jobs);
    };
    const waitAllCompleted = async (count: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      // The producer's own connections may be dropped by the fault too: keep asking.
      let stats: Awaited<ReturnType<typeof producer.stats>> | undefined;
      while (Date.now() < deadline) {
        stats = await producer.stats('default').catch(() => stats);
        if (stats && stats.completedJobs >= count) break;
        await sleep(200);
      }
      return stats;
    };
    /** The checker of RELIABILITY.md, from the ledger. */
    const report = async (count: number) => {
      const entries = read();
      // Lost: dispatched and not terminal in the store (a completion whose reply the fault cut
      // off is stored but has no `completed` line: that is not a loss).
      const terminal = new Set<number>();
      for (const job of (await producer.jobs({ limit: 1000 })).jobs) {
        if (job.status === 'completed' || job.status === 'failed')
          terminal.add((job.payload as { n: number }).n);
      }
      const starts = new Map<number, number>();
      const completed = new Map<number, number>();
      for (const e of entries) {
        if (e.event === 'start') starts.set(e.n, (starts.get(e.n) ?? 0) + 1);
        if (e.event === 'completed') completed.set(e.n, (completed.get(e.n) ?? 0) + 1);
      }
      let lost = 0;
      let dupStarts = 0;
      let dupDone = 0;
      for (let n = 0; n < count; n++) {
        if (!terminal.has(n)) lost++;
        if ((starts.get(n) ?? 0) > 1) dupStarts++;
        if ((completed.get(n) ?? 0) > 1) dupDone++;
      }
      return { lost, dupStarts, dupDone, entries };
    };
    return { schema, driver, producer, spawn, dispatch, waitAllCompleted, report, read };
  }

  it('several worker processes on one queue run every job once and lose none', {
    timeout: 120_000,
  }, async () => {
    const t = await setup(DATABASE_URL);
    await Promise.all([1, 2, 3].map((i) => t.spawn(4, `jw-fault-many-${i}`)));
    await t.dispatch(300, 5);
    const stats = await t.waitAllCompleted(300, 60_000);
    expect(stats).toMatchObject({ completedJobs: 300, processingJobs: 0, pendingJobs: 0, failedJobs: 0 });
    const r = await t.report(300);
    console.info(
      `faults: 3 processes, 300 jobs: lost ${r.lost}, dup_starts ${r.dupStarts}, dup_done ${r.dupDone}`,
    );
    expect(r).toMatchObject({ lost: 0, dupStarts: 0, dupDone: 0 });
    expect(new Set(r.entries.map((e) => e.pid)).size).toBe(3);
  });

  it('a worker killed with SIGKILL mid-job has its jobs completed elsewhere after the lease', {
    timeout: 120_000,
  }, async () => {
    const t = await setup(DATABASE_URL);
    await Promise.all([1, 2].map((i) => t.spawn(4, `jw-fault-survivor-${i}`)));
    const victim = await t.spawn(4, 'jw-fault-victim');
    await t.dispatch(60, 300);
    const running = () => {
      const mine = t.read().filter((e) => e.pid === victim.pid);
      const started = new Set(mine.filter((e) => e.event === 'start').map((e) => e.n));
      for (const e of mine) if (e.event === 'done') started.delete(e.n);
      return started;
    };
    const deadline = Date.now() + 20_000;
    while (running().size < 2 && Date.now() < deadline) await sleep(20);
    const orphans = running();
    expect(orphans.size).toBeGreaterThanOrEqual(2);
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    const stats = await t.waitAllCompleted(60, 60_000);
    expect(stats).toMatchObject({ completedJobs: 60, processingJobs: 0, failedJobs: 0 });
    const r = await t.report(60);
    const recoveredAt = Math.max(
      ...r.entries
        .filter((e) => e.event === 'completed' && orphans.has(e.n) && e.at >= killedAt)
        .map((e) => e.at),
    );
    const recoveryS = (recoveredAt - killedAt) / 1000;
    console.info(
      `faults: SIGKILL of a worker holding ${orphans.size} running jobs: lost ${r.lost}, dup_starts ${r.dupStarts}, dup_done ${r.dupDone}, recovery_s ${recoveryS.toFixed(2)} (lease 1.5 s)`,
    );
    expect(r.lost).toBe(0);
    expect(r.dupDone).toBe(0);
    for (const n of orphans) {
      const done = r.entries.find((e) => e.event === 'completed' && e.n === n)!;
      expect(done.pid).not.toBe(victim.pid);
    }
    expect(recoveryS).toBeLessThan(1.5 + 10);
  });

  it('pg_terminate_backend of a worker connection is survived without restarting the worker', {
    timeout: 120_000,
  }, async () => {
    const t = await setup(DATABASE_URL);
    const app = uniqueName('jw_fault_term');
    const workers = await Promise.all([1, 2].map(() => t.spawn(4, app)));
    await t.dispatch(200, 20);
    await waitFor(
      '40 completed jobs',
      async () => (await t.producer.stats('default')).completedJobs >= 40,
      60_000,
    );
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name LIKE $1`,
      [`${app}%`],
    );
    await admin.end();
    expect(rows[0].n).toBeGreaterThan(0);
    const stats = await t.waitAllCompleted(200, 60_000);
    expect(stats).toMatchObject({ completedJobs: 200, processingJobs: 0, failedJobs: 0 });
    const r = await t.report(200);
    console.info(
      `faults: terminated ${rows[0].n} worker connections: lost ${r.lost}, dup_starts ${r.dupStarts}, dup_done ${r.dupDone}`,
    );
    expect(r.lost).toBe(0);
    expect(r.dupDone).toBe(0);
    for (const w of workers) expect(w.exitCode).toBeNull();
  });

  describe.skipIf(Boolean(privateReason))('on a private cluster', () => {
    it('a PostgreSQL crash-restart during processing is survived: workers reconnect and finish everything', {
      timeout: 180_000,
    }, async () => {
      const server = await startPrivatePostgres();
      // Registered first, so it runs last: after the workers are killed and the schema dropped.
      cleanups.push(() => server.stop());
      const t = await setup(server.url);
      const workers = await Promise.all([1, 2].map((i) => t.spawn(4, `jw-fault-restart-${i}`)));
      await t.dispatch(300, 20);
      await waitFor(
        '60 completed jobs',
        async () => (await t.producer.stats('default')).completedJobs >= 60,
        60_000,
      );
      const before = t.read().length;
      server.restart('immediate');
      const restartedAt = Date.now();
      const stats = await t.waitAllCompleted(300, 90_000);
      expect(stats).toMatchObject({ completedJobs: 300, processingJobs: 0, failedJobs: 0 });
      const r = await t.report(300);
      const after = r.entries.filter((e) => e.at > restartedAt);
      console.info(
        `faults: PostgreSQL restart -m immediate after ${before} ledger lines: lost ${r.lost}, dup_starts ${r.dupStarts}, dup_done ${r.dupDone}, finished ${((Math.max(...after.map((e) => e.at)) - restartedAt) / 1000).toFixed(1)} s after the restart`,
      );
      expect(r.lost).toBe(0);
      expect(r.dupDone).toBe(0);
      // The same processes did the work after the restart: nobody restarted them.
      for (const w of workers) expect(w.exitCode).toBeNull();
      expect(new Set(after.map((e) => e.pid))).toEqual(new Set(workers.map((w) => w.pid)));
    });
  });
});
