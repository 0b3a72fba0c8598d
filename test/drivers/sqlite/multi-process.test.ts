import { afterEach, expect, it } from 'vitest';
import { checkRun, type DispatchedJob, summarize } from '../../support/fault/checker.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { LEASE_S, sqliteFaultRun, waitFor } from './fault-setup.js';

let run: ReturnType<typeof sqliteFaultRun> | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

async function dispatchBatches(
  total: number,
  batch: number,
  options: ConstructorParameters<typeof LedgerJob>[1],
) {
  const dispatched: DispatchedJob[] = [];
  for (let start = 0; start < total; start += batch) {
    const jobs = Array.from(
      { length: Math.min(batch, total - start) },
      (_, k) => new LedgerJob(start + k, options),
    );
    const ids = await run!.producer.dispatchMany(jobs);
    // Recorded only once the dispatch has resolved.
    for (const [k, id] of ids.entries()) dispatched.push({ n: start + k, id });
  }
  return dispatched;
}

const finished = async (count: number) => {
  const s = await run!.producer.stats('fault');
  return s.completedJobs + s.failedJobs >= count;
};

it('4 processes x concurrency 5 over 2,000 jobs: each job ran exactly once, none lost', async () => {
  run = sqliteFaultRun('sqlite-4x5');
  const workers = Array.from({ length: 4 }, () => run!.spawn(5));
  await Promise.all(workers.map((w) => w.ready));
  const dispatched = await dispatchBatches(2000, 250, { sleepMs: 2 });
  await waitFor('2,000 jobs finished', () => finished(2000), 50_000);
  const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver });
  console.info(`sqlite 4x5: ${summarize(report)}`);
  expect(report.completed).toBe(2000);
  expect(report.lost).toEqual([]);
  expect(report.stuck).toEqual([]);
  expect(report.dupStarts).toEqual([]);
  expect(report.dupDone).toEqual([]);
  const starts = report.lines.filter((l) => l.kind === 'start');
  expect(starts).toHaveLength(2000);
  expect(report.lines.filter((l) => l.kind === 'done')).toHaveLength(2000);
  // The processes shared the work rather than one taking it all.
  expect(new Set(starts.map((l) => l.pid)).size).toBeGreaterThanOrEqual(2);
}, 90_000);

it('a worker killed with SIGKILL mid-job (twice) loses nothing: its jobs complete elsewhere after the lease', async () => {
  run = sqliteFaultRun('sqlite-sigkill');
  const first = Array.from({ length: 3 }, () => run!.spawn(5));
  await Promise.all(first.map((w) => w.ready));
  // 400 jobs of 200 ms on 15 slots: about 5 s of work, long enough to kill twice in the middle.
  const dispatched = await dispatchBatches(400, 100, { sleepMs: 200 });
  const kills: Array<{ pid: number; at: number }> = [];
  for (const after of [40, 200]) {
    await waitFor(
      `${after} jobs started`,
      () => run!.lines().filter((l) => l.kind === 'start').length >= after,
      30_000,
    );
    // Kill the live worker holding the most unfinished jobs: a crash in the middle of its work.
    const lines = run.lines();
    const holding = (pid: number) =>
      lines.filter((l) => l.pid === pid && l.kind === 'start').length -
      lines.filter((l) => l.pid === pid && (l.kind === 'done' || l.kind === 'failed')).length;
    const victim = run.workers.filter((w) => w.alive).sort((a, b) => holding(b.pid) - holding(a.pid))[0]!;
    expect(holding(victim.pid)).toBeGreaterThan(0);
    victim.kill('SIGKILL');
    kills.push({ pid: victim.pid, at: Date.now() });
    await victim.exited;
    await run.spawn(5).ready;
  }
  await waitFor('400 jobs finished', () => finished(400), 50_000);
  const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver, kills });
  console.info(`sqlite SIGKILL: ${summarize(report)}`);
  expect(report.completed).toBe(400);
  expect(report.lost).toEqual([]);
  expect(report.stuck).toEqual([]);
  expect(report.dupDone).toEqual([]);
  // The killed workers' jobs ran again elsewhere: that is the only source of duplicate starts.
  expect(report.dupStarts.length).toBeGreaterThan(0);
  expect(report.recoveryS).not.toBeNull();
  // Lease (1.5 s) + the recovery sweep + re-running the job; generous for a loaded machine.
  expect(report.recoveryS!).toBeLessThan(LEASE_S + 8);
}, 90_000);
