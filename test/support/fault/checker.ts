/**
 * Reads the ledger and the store after a fault test and reports what RELIABILITY.md counts:
 *
 *   const report = await checkRun({ ledger, dispatched, driver, kills });
 *   expect(report.lost).toEqual([]); expect(report.dupDone).toEqual([]);
 *
 * `dispatched` lists the jobs whose dispatch had resolved (number and id); `driver` is a
 * connection to the store under test, used only to read each job's final state; `kills` are the
 * crashes the test caused (pid, time), from which the recovery time is measured.
 */
import type { QueueDriver, StoredJob } from '../../../src/index.js';
import { type LedgerLine, readLedger } from './ledger.js';

export interface DispatchedJob {
  n: number;
  id: string;
}

export interface FaultReport {
  dispatched: number;
  completed: number;
  failed: number;
  /** Dispatched but neither completed, failed nor running: pending, retrying or gone. */
  lost: number[];
  /** Still processing in the store. */
  stuck: number[];
  /** Jobs whose handle() started more than once (expected only after a crash or freeze). */
  dupStarts: number[];
  /** Jobs whose completion the store accepted more than once: must always be empty. */
  dupDone: number[];
  /** Completed in the store but without a `done` line (the worker died right after the commit). */
  unconfirmed: number[];
  /** Transitions the store refused because the lease had moved on. */
  refused: number;
  /** Seconds from a kill to the last completion elsewhere of a job the killed process held; null when none. */
  recoveryS: number | null;
  /** Final state of every dispatched job, by number. */
  states: Map<number, StoredJob | null>;
  lines: LedgerLine[];
}

export async function checkRun(params: {
  ledger: string;
  dispatched: DispatchedJob[];
  driver: QueueDriver;
  kills?: Array<{ pid: number; at: number }>;
}): Promise<FaultReport> {
  const lines = readLedger(params.ledger);
  const byKind = (kind: LedgerLine['kind']) => lines.filter((l) => l.kind === kind);
  const countBy = (items: LedgerLine[]) => {
    const counts = new Map<number, number>();
    for (const l of items) counts.set(l.n, (counts.get(l.n) ?? 0) + 1);
    return counts;
  };
  const starts = countBy(byKind('start'));
  const dones = countBy(byKind('done'));
  const states = new Map<number, StoredJob | null>();
  const report: FaultReport = {
    dispatched: params.dispatched.length,
    completed: 0,
    failed: 0,
    lost: [],
    stuck: [],
    dupStarts: [...starts].filter(([, c]) => c > 1).map(([n]) => n),
    dupDone: [...dones].filter(([, c]) => c > 1).map(([n]) => n),
    unconfirmed: [],
    refused: byKind('refused').length,
    recoveryS: null,
    states,
    lines,
  };
  // Read in parallel chunks: a 100,000-job run would wait minutes for one find at a time.
  const found = new Map<number, StoredJob | null>();
  for (let i = 0; i < params.dispatched.length; i += 200) {
    const chunk = params.dispatched.slice(i, i + 200);
    const jobs = await Promise.all(chunk.map(({ id }) => params.driver.find({ id })));
    for (const [k, { n }] of chunk.entries()) found.set(n, jobs[k] ?? null);
  }
  for (const { n } of params.dispatched) {
    const job = found.get(n) ?? null;
    states.set(n, job);
    if (job?.status === 'completed') {
      report.completed++;
      if (!dones.has(n)) report.unconfirmed.push(n);
    } else if (job?.status === 'failed') report.failed++;
    else if (job?.status === 'processing') report.stuck.push(n);
    else report.lost.push(n);
  }
  for (const kill of params.kills ?? []) {
    // Jobs the killed process started and never finished: when did they complete elsewhere?
    const held = new Set(lines.filter((l) => l.pid === kill.pid && l.kind === 'start').map((l) => l.n));
    for (const l of lines)
      if (l.pid === kill.pid && (l.kind === 'done' || l.kind === 'failed')) held.delete(l.n);
    for (const n of held) {
      const finish = lines.find(
        (l) =>
          l.n === n && l.pid !== kill.pid && (l.kind === 'done' || l.kind === 'failed') && l.at >= kill.at,
      );
      if (!finish) continue;
      const seconds = (finish.at - kill.at) / 1000;
      report.recoveryS = Math.max(report.recoveryS ?? 0, seconds);
    }
  }
  return report;
}

/** One line for test logs. */
export function summarize(report: FaultReport): string {
  return [
    `dispatched ${report.dispatched}`,
    `completed ${report.completed}`,
    `failed ${report.failed}`,
    `lost ${report.lost.length}`,
    `stuck ${report.stuck.length}`,
    `dup_starts ${report.dupStarts.length}`,
    `dup_done ${report.dupDone.length}`,
    `refused ${report.refused}`,
    `recovery_s ${report.recoveryS === null ? '-' : report.recoveryS.toFixed(2)}`,
  ].join(', ');
}
