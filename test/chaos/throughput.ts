import { LedgerJob } from '../support/fault/ledger-job.js';
import { waitFor } from '../support/fault/scenarios.js';
import type { ChaosRun } from './stores.js';

export interface ThroughputReport {
  jobs: number;
  /** Jobs stored per second by dispatchMany in chunks of 1,000. */
  dispatchPerS: number;
  /** Jobs completed per second by the worker processes, from the first dispatch. */
  processPerS: number;
}

/** Dispatches `n` no-op jobs and lets `workers` processes drain them: what a write costs end to end. */
export async function throughput(
  run: ChaosRun,
  o: { n: number; workers: number; concurrency: number },
): Promise<ThroughputReport> {
  const workers = Array.from({ length: o.workers }, () => run.spawn(o.concurrency));
  await Promise.all(workers.map((w) => w.ready));
  const begin = performance.now();
  for (let at = 0; at < o.n; at += 1000) {
    const count = Math.min(1000, o.n - at);
    await run.producer.dispatchMany(Array.from({ length: count }, (_, k) => new LedgerJob(at + k)));
  }
  const dispatchS = (performance.now() - begin) / 1000;
  await waitFor(
    `all ${o.n} jobs completed`,
    async () => (await run.producer.stats('fault')).completedJobs >= o.n,
    600_000,
  );
  const totalS = (performance.now() - begin) / 1000;
  await Promise.all(workers.map((w) => w.stop()));
  return { jobs: o.n, dispatchPerS: Math.round(o.n / dispatchS), processPerS: Math.round(o.n / totalS) };
}
