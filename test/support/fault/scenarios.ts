import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { JobDispatcher, type QueueDriver } from '../../../src/index.js';
import { waitFor } from '../wait.js';
import { checkRun, summarize } from './checker.js';
import type { FaultDriverName, FaultDriverSpec } from './drivers.js';
import { runEngineFaultScenarios } from './engine-scenarios.js';
import { type LedgerLine, readLedger } from './ledger.js';
import { LedgerJob } from './ledger-job.js';

/** Fault tests wait the suite's one way (test/support/wait.ts). */
export { waitFor };

import { type LedgerWorker, spawnLedgerWorker } from './spawn-worker.js';

/** One fault run on one store: a producer, ledger worker processes, and a cleanup. */
export interface FaultRun {
  ledger: string;
  driver: QueueDriver;
  producer: JobDispatcher;
  /** Starts a ledger worker process; `env` adds to (or overrides) FAULT_ENV for this one. */
  spawn(concurrency: number, env?: Record<string, string>, place?: SpawnPlace): LedgerWorker;
  lines(): LedgerLine[];
  cleanup(): Promise<void>;
}

/** Where a worker runs when not beside the test: another "host" (a network namespace) with its own view of the store. */
export interface SpawnPlace {
  /** Overrides of the driver spec (the store's address as that host sees it). */
  spec?: FaultDriverSpec;
  wrap?: (execArgv: string[]) => { execPath: string; execArgv: string[] };
}

/** Short leases so that a dead worker's jobs come back within seconds: 1 s + 0.5 s grace. */
export const FAULT_ENV = {
  JOB_LEASE_SECONDS: '1',
  JOB_LEASE_GRACE_SECONDS: '0.5',
  JOB_POLL_INTERVAL_MS: '50',
};

export interface FaultRunOptions {
  /** Names the store for the worker processes (see drivers.ts) ... */
  driverName: FaultDriverName;
  /** ... and what they need to open the same store as `driver`. */
  spec: FaultDriverSpec;
  /** The producer's own driver on the store. */
  driver: QueueDriver;
  /** A temp dir for the ledger (the caller's, when the store lives there too); made when absent. Removed at cleanup. */
  dir?: string;
  /** Removes the store once the workers and the producer are gone (drop a schema, delete keys). */
  dropStore?: () => Promise<void>;
}

/**
 * A fault run on one store: a ledger in a temp dir, a producer, and ledger worker processes
 * spawned with FAULT_ENV. cleanup() kills every worker (waking frozen ones so SIGKILL lands),
 * closes the producer, drops the store and removes the temp dir.
 */
export function makeFaultRun(options: FaultRunOptions): FaultRun & { workers: LedgerWorker[] } {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `jw-${options.driverName}-fault-`));
  const ledger = join(dir, 'ledger.tsv');
  const { driver } = options;
  const producer = new JobDispatcher(driver, { jobs: [LedgerJob] });
  const workers: LedgerWorker[] = [];
  const spawn = (
    concurrency: number,
    env: Record<string, string> = {},
    place: SpawnPlace = {},
  ): LedgerWorker => {
    const worker = spawnLedgerWorker({
      driver: options.driverName,
      spec: { ...options.spec, ...place.spec },
      ledger,
      concurrency,
      // FAULT_LEASE_SECONDS: a longer lease for long runs on a loaded machine (npm run chaos --lease).
      env: {
        ...FAULT_ENV,
        ...(process.env.FAULT_LEASE_SECONDS ? { JOB_LEASE_SECONDS: process.env.FAULT_LEASE_SECONDS } : {}),
        ...env,
      },
      ...(place.wrap ? { wrap: place.wrap } : {}),
    });
    workers.push(worker);
    return worker;
  };
  return {
    ledger,
    driver,
    producer,
    workers,
    spawn,
    lines: () => readLedger(ledger),
    async cleanup(): Promise<void> {
      for (const w of workers) {
        w.kill('SIGCONT');
        w.kill('SIGKILL');
      }
      await Promise.all(workers.map((w) => w.exited));
      await producer.close({ graceSeconds: 0 });
      await options.dropStore?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The cases of RELIABILITY.md every durable driver plays through the shared harness, with real
 * worker processes: a frozen worker whose late completion is refused by its token, and a job
 * that kills its own process. `makeRun` sets up a fresh, isolated store for one case.
 */
export function runFaultScenarios(
  name: string,
  makeRun: (label: string) => FaultRun | Promise<FaultRun>,
): void {
  let run: FaultRun | undefined;
  afterEach(async () => {
    await run?.cleanup();
    run = undefined;
  });

  it('a frozen worker (SIGSTOP past its lease, then SIGCONT) has its completion refused by the token', async () => {
    run = await makeRun('freeze');
    const workers = [run.spawn(2), run.spawn(2)];
    await Promise.all(workers.map((w) => w.ready));
    // The long job ignores its abort signal, so the frozen run really reaches complete() later.
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
    console.info(`${name} freeze: ${summarize(report)}`);
    expect(report.dupDone).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.stuck).toEqual([]);
    expect(report.completed).toBe(21);
    expect(report.dupStarts).toContain(0);
    expect(report.lines.filter((l) => l.kind === 'done' && l.n === 0)).toHaveLength(1);
    expect(report.lines.some((l) => l.kind === 'done' && l.pid === frozenPid && l.n === 0)).toBe(false);
    expect((await run.producer.find(longId))!).toMatchObject({ status: 'completed', attempts: 2 });
  }, 90_000);

  it('a job that kills its own process ends failed after maxAttempts with "worker died during attempt k/n"', async () => {
    run = await makeRun('selfkill');
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
      const others = await run.producer.dispatchMany(
        // A job reserved together with the killer dies with its process each time: give these
        // more attempts than the killer can take from them, so all of them complete.
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
      expect(
        run
          .lines()
          .filter((l) => l.kind === 'start' && l.n === 0)
          .map((l) => l.attempt),
      ).toEqual([1, 2, 3]);
      const dispatched = [{ n: 0, id: killerId }, ...others.map((id, k) => ({ n: k + 1, id }))];
      const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver });
      console.info(`${name} self-kill: ${summarize(report)}`);
      expect(report.failed).toBe(1);
      expect(report.completed).toBe(30);
      expect(report.lost).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.dupDone).toEqual([]);
    } finally {
      supervising = false;
    }
  }, 90_000);

  runEngineFaultScenarios(name, makeRun);
}
