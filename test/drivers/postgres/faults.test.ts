import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRun, type DispatchedJob, type FaultReport, summarize } from '../../support/fault/checker.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { makeFaultRun, waitFor } from '../../support/fault/scenarios.js';
import { DATABASE_URL, serviceAvailable, servicesRequired } from '../../support/services.js';
import { postgresTarget } from '../../support/targets.js';
import { uniqueName } from '../../support/unique.js';
import { privatePostgresUnavailable, startPrivatePostgres } from './private-postgres.js';

/**
 * Faults with real worker processes (RELIABILITY.md), through the shared fault harness
 * (test/support/fault): ledger workers, counted from a ledger file outside the store, where
 * `done` lines are written only for completions the store accepted.
 */
const available = await serviceAvailable('postgres');
const privateReason = privatePostgresUnavailable();
if (privateReason && servicesRequired) throw new Error(`private PostgreSQL cluster: ${privateReason}`);
if (privateReason) console.warn(`SKIPPED: PostgreSQL restart test, because ${privateReason}`);

/** Jobs retry through dropped connections and a restart: more attempts than they can lose. */
const ATTEMPTS = 20;

describe.skipIf(!available)('postgres faults (real worker processes)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(url: string) {
    const target = postgresTarget('jw_fault', url);
    const driver = await target.make();
    // Migrated once here, so the worker processes start on a ready schema.
    await driver.migrate();
    const run = makeFaultRun({
      driverName: 'postgres',
      spec: target.spec!(),
      driver,
      dropStore: target.cleanup,
    });
    cleanups.push(() => run.cleanup());
    /** A worker process whose connections carry `applicationName`, awaited until it works. */
    const spawn = async (concurrency: number, applicationName: string) => {
      const worker = run.spawn(concurrency, {}, { spec: { applicationName } });
      await worker.ready;
      return worker;
    };
    const dispatch = async (count: number, sleepMs: number): Promise<DispatchedJob[]> => {
      const ids = await run.producer.dispatchMany(
        Array.from({ length: count }, (_, n) => new LedgerJob(n, { sleepMs, maxAttempts: ATTEMPTS })),
      );
      return ids.map((id, n) => ({ n, id }));
    };
    // The producer's own connections may be dropped by the fault too: waitFor keeps asking.
    const completed = (count: number, timeoutMs: number) =>
      waitFor(
        `${count} completed jobs`,
        async () => (await run.producer.stats('fault')).completedJobs >= count,
        timeoutMs,
      );
    return { run, spawn, dispatch, completed };
  }

  /** Nothing lost, nothing stuck, no completion accepted twice, every job completed. */
  function expectAllDoneOnce(report: FaultReport): void {
    expect(report.lost).toEqual([]);
    expect(report.stuck).toEqual([]);
    expect(report.dupDone).toEqual([]);
    expect(report.completed).toBe(report.dispatched);
  }

  it('several worker processes on one queue run every job once and lose none', {
    timeout: 120_000,
  }, async () => {
    const t = await setup(DATABASE_URL);
    await Promise.all([1, 2, 3].map((i) => t.spawn(4, `jw-fault-many-${i}`)));
    const dispatched = await t.dispatch(300, 5);
    await t.completed(300, 60_000);
    const report = await checkRun({ ledger: t.run.ledger, dispatched, driver: t.run.driver });
    console.info(`faults: 3 processes: ${summarize(report)}`);
    expectAllDoneOnce(report);
    expect(report.dupStarts).toEqual([]);
    expect(new Set(report.lines.map((l) => l.pid)).size).toBe(3);
  });

  it('a worker killed with SIGKILL mid-job has its jobs completed elsewhere after the lease', {
    timeout: 120_000,
  }, async () => {
    const t = await setup(DATABASE_URL);
    await Promise.all([1, 2].map((i) => t.spawn(4, `jw-fault-survivor-${i}`)));
    const victim = await t.spawn(4, 'jw-fault-victim');
    const dispatched = await t.dispatch(60, 300);
    /** Jobs the victim started and has not finished. */
    const held = () => {
      const mine = t.run.lines().filter((l) => l.pid === victim.pid);
      const started = new Set(mine.filter((l) => l.kind === 'start').map((l) => l.n));
      for (const l of mine) if (l.kind === 'end') started.delete(l.n);
      return started;
    };
    await waitFor('the victim to hold two running jobs', () => held().size >= 2, 20_000);
    victim.kill('SIGKILL');
    const kill = { pid: victim.pid, at: Date.now() };
    await victim.exited;
    // Read once the victim is gone: exactly what it held when it died.
    const orphans = held();
    expect(orphans.size).toBeGreaterThanOrEqual(1);
    await t.completed(60, 60_000);
    const report = await checkRun({ ledger: t.run.ledger, dispatched, driver: t.run.driver, kills: [kill] });
    console.info(`faults: SIGKILL of a worker holding ${orphans.size} running jobs: ${summarize(report)}`);
    expectAllDoneOnce(report);
    for (const n of orphans) {
      const done = report.lines.filter((l) => l.kind === 'done' && l.n === n);
      expect(done.map((l) => l.pid)).not.toContain(victim.pid);
      expect(done).toHaveLength(1);
    }
    // Back within the lease (1 s + 0.5 s grace) and a generous margin for a loaded machine.
    expect(report.recoveryS).not.toBeNull();
    expect(report.recoveryS!).toBeLessThan(1.5 + 10);
  });

  it('pg_terminate_backend of a worker connection is survived without restarting the worker', {
    timeout: 120_000,
  }, async () => {
    const t = await setup(DATABASE_URL);
    const app = uniqueName('jw_fault_term');
    const workers = await Promise.all([1, 2].map(() => t.spawn(4, app)));
    const dispatched = await t.dispatch(200, 20);
    await t.completed(40, 60_000);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name LIKE $1`,
      [`${app}%`],
    );
    await admin.end();
    expect(rows[0].n).toBeGreaterThan(0);
    await t.completed(200, 60_000);
    const report = await checkRun({ ledger: t.run.ledger, dispatched, driver: t.run.driver });
    console.info(`faults: terminated ${rows[0].n} worker connections: ${summarize(report)}`);
    expectAllDoneOnce(report);
    for (const w of workers) expect(w.alive).toBe(true);
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
      const dispatched = await t.dispatch(300, 20);
      await t.completed(60, 60_000);
      const before = t.run.lines().length;
      server.restart('immediate');
      const restartedAt = Date.now();
      await t.completed(300, 90_000);
      const report = await checkRun({ ledger: t.run.ledger, dispatched, driver: t.run.driver });
      console.info(
        `faults: PostgreSQL restart -m immediate after ${before} ledger lines: ${summarize(report)}`,
      );
      expectAllDoneOnce(report);
      // The same processes did the work after the restart: nobody restarted them.
      for (const w of workers) expect(w.alive).toBe(true);
      const after = report.lines.filter((l) => l.at > restartedAt);
      expect(new Set(after.map((l) => l.pid))).toEqual(new Set(workers.map((w) => w.pid)));
    });
  });
});
