import { checkRun, type DispatchedJob, type FaultReport, summarize } from '../support/fault/checker.js';
import { LedgerJob } from '../support/fault/ledger-job.js';
import { waitFor } from '../support/fault/scenarios.js';
import type { LedgerWorker } from '../support/fault/spawn-worker.js';
import type { ChaosRun } from './stores.js';

export interface RollingRestartOptions {
  /** Jobs dispatched in all. */
  n: number;
  /** Worker processes at any time. */
  workers: number;
  /** Slots per worker process. */
  concurrency: number;
  /** How long each job works, in ms. */
  sleepMs: number;
  /** Which worker (by position) is SIGKILLed instead of SIGTERMed. */
  killIndex?: number;
  /** How long to wait for every job to finish after the last restart, in ms. */
  drainTimeoutMs?: number;
  /** Extra environment of the worker processes (e.g. a longer JOB_LEASE_SECONDS). */
  workerEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface RollingRestartReport extends FaultReport {
  /** Jobs that started twice without the SIGKILLed worker having started them. */
  dupStartsNotKilled: number[];
  /**
   * Of those, the ones not explained by a stall either (a worker frozen past its lease by a
   * loaded machine loses the job, and its late outcome is refused): must be empty.
   */
  dupStartsUnexplained: number[];
  /** Exit codes of the SIGTERMed workers (0 expected). */
  sigtermExits: Array<number | null>;
  /** Seconds from the first dispatch until every job had finished. */
  elapsedS: number;
}

/**
 * The rolling restart of RELIABILITY.md: `workers` processes work one queue while `n` jobs arrive
 * in steps; each process is restarted in turn (SIGTERM, and SIGKILL for one of them) while it is
 * running jobs, and a new one takes its place. Every restart happens while the queue has work:
 * a step of jobs is dispatched, and the process is signalled once it has started one of them.
 */
export async function rollingRestart(run: ChaosRun, o: RollingRestartOptions): Promise<RollingRestartReport> {
  const log = o.log ?? (() => {});
  const killIndex = o.killIndex ?? Math.floor(o.workers / 2);
  const steps = o.workers + 1;
  const dispatched: DispatchedJob[] = [];
  const kills: Array<{ pid: number; at: number }> = [];
  const sigtermExits: Array<number | null> = [];
  const begin = Date.now();
  const dispatchStep = async (step: number): Promise<number> => {
    const from = Math.floor((o.n * step) / steps);
    const to = Math.floor((o.n * (step + 1)) / steps);
    // Chunks of 1,000 so that a 100,000-job step is not one huge call.
    for (let at = from; at < to; at += 1000) {
      const count = Math.min(1000, to - at);
      const jobs = Array.from({ length: count }, (_, k) => new LedgerJob(at + k, { sleepMs: o.sleepMs }));
      const ids = await run.producer.dispatchMany(jobs);
      for (const [k, id] of ids.entries()) dispatched.push({ n: at + k, id });
    }
    return from;
  };

  const live: LedgerWorker[] = [];
  for (let i = 0; i < o.workers; i++) live.push(run.spawn(o.concurrency, o.workerEnv));
  await Promise.all(live.map((w) => w.ready));
  log(`${o.workers} workers ready`);
  await dispatchStep(0);
  for (let i = 0; i < o.workers; i++) {
    const from = await dispatchStep(i + 1);
    const target = live[i]!;
    // Signal the process while it runs jobs of the step just dispatched, or once the step is
    // done if the others took all of it (a stalled process on a loaded machine may get none).
    await waitFor(
      `worker ${i + 1} (pid ${target.pid}) running jobs of step ${i + 1}, or the step done`,
      async () =>
        run.lines().some((l) => l.kind === 'start' && l.pid === target.pid && l.n >= from) ||
        (await run.producer.stats('fault')).completedJobs >= dispatched.length,
      120_000,
    );
    if (i === killIndex) {
      kills.push({ pid: target.pid, at: Date.now() });
      target.kill('SIGKILL');
      await target.exited;
      log(`worker ${i + 1} (pid ${target.pid}) SIGKILLed`);
    } else {
      target.kill('SIGTERM');
      const { code } = await target.exited;
      sigtermExits.push(code);
      log(`worker ${i + 1} (pid ${target.pid}) stopped by SIGTERM, exit ${code}`);
    }
    const next = run.spawn(o.concurrency, o.workerEnv);
    live[i] = next;
    await next.ready;
  }
  await waitFor(
    `all ${o.n} jobs finished`,
    async () => {
      const s = await run.producer.stats('fault');
      return s.completedJobs + s.failedJobs >= o.n;
    },
    o.drainTimeoutMs ?? Math.max(300_000, o.n * 20),
  );
  const elapsedS = (Date.now() - begin) / 1000;
  await Promise.all(live.map((w) => w.stop()));
  const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver, kills });
  const killed = new Set(kills.map((k) => k.pid));
  const startedByKilled = new Set(
    report.lines.filter((l) => l.kind === 'start' && killed.has(l.pid)).map((l) => l.n),
  );
  const leaseLost = new Set(report.lines.filter((l) => l.kind === 'refused').map((l) => l.n));
  const dupStartsNotKilled = report.dupStarts.filter((n) => !startedByKilled.has(n));
  const result = {
    ...report,
    dupStartsNotKilled,
    dupStartsUnexplained: dupStartsNotKilled.filter((n) => !leaseLost.has(n)),
    sigtermExits,
    elapsedS,
  };
  log(`${summarize(report)}, elapsed_s ${elapsedS.toFixed(1)}`);
  return result;
}
