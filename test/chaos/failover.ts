import { checkRun, type DispatchedJob, type FaultReport, summarize } from '../support/fault/checker.js';
import { LedgerJob } from '../support/fault/ledger-job.js';
import { waitFor } from '../support/fault/scenarios.js';
import type { PrivateRedisCluster } from '../support/redis-cluster.js';
import type { ChaosRun } from './stores.js';

export interface FailoverOptions {
  n: number;
  workers: number;
  concurrency: number;
  sleepMs: number;
  /** The key prefix of the run: finds the master that serves the queue's slot. */
  prefix: string;
  log?: (line: string) => void;
}

export interface FailoverReport extends FaultReport {
  /** Seconds without a single completion around the crash (failure detection + promotion). */
  outageS: number;
  /** Seconds from the kill until a replica served the slot. */
  promotedS: number;
  /** Dispatches refused during the failover (not acknowledged, so never counted as lost). */
  refusedDispatches: number;
  elapsedS: number;
}

/**
 * Kills (kill -9) the master that serves the queue's slot while workers process and a producer
 * dispatches, and counts what acknowledged writes the promoted replica does not have: a lost
 * dispatch is a job that never ends (`lost`), a lost completion is a job completed twice
 * (`dupDone`), a lost attempt shows as a job started again with the same attempt number.
 */
export async function clusterFailover(
  run: ChaosRun,
  cluster: PrivateRedisCluster,
  o: FailoverOptions,
): Promise<FailoverReport> {
  const log = o.log ?? (() => {});
  const workers = Array.from({ length: o.workers }, () => run.spawn(o.concurrency));
  await Promise.all(workers.map((w) => w.ready));
  const dispatched: DispatchedJob[] = [];
  let refusedDispatches = 0;
  let next = 0;
  let crashAt = 0;
  const begin = Date.now();
  const producing = (async () => {
    while (dispatched.length < o.n) {
      const count = Math.min(50, o.n - dispatched.length);
      const from = next;
      next += count;
      try {
        const ids = await run.producer.dispatchMany(
          Array.from({ length: count }, (_, k) => new LedgerJob(from + k, { sleepMs: o.sleepMs })),
        );
        for (const [k, id] of ids.entries()) dispatched.push({ n: from + k, id });
      } catch {
        // Not acknowledged: these numbers are not counted (if they were stored anyway they just run).
        refusedDispatches += count;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await waitFor(
    'a third of the jobs done',
    () => run.lines().filter((l) => l.kind === 'done').length >= o.n / 3,
    120_000,
  );
  const master = await cluster.masterOf(`{${o.prefix}:fault}:ready`);
  crashAt = Date.now();
  await cluster.crash(master);
  log(`master ${master.port} killed (kill -9)`);
  await waitFor(
    'a replica promoted to serve the slot',
    async () => (await cluster.masterOf(`{${o.prefix}:fault}:ready`).catch(() => null)) !== null,
    60_000,
  );
  await cluster.waitHealthy(60_000, { replicasInSync: false });
  const promotedS = (Date.now() - crashAt) / 1000;
  log(`replica promoted, cluster_state ok after ${promotedS.toFixed(1)} s`);
  // The dead node comes back, as a supervisor would start it, and rejoins as the new master's
  // replica: with waitReplicas, writes to that slot wait for it until then.
  await cluster.restart(master);
  await cluster.waitHealthy(60_000);
  log(`old master back as a replica after ${((Date.now() - crashAt) / 1000).toFixed(1)} s`);
  await producing;
  await waitFor(
    'every acknowledged job finished or given up on',
    async () => {
      const s = await run.producer.stats('fault');
      return s.pendingJobs + s.processingJobs + s.retryingJobs === 0 && s.completedJobs + s.failedJobs > 0;
    },
    120_000,
  );
  const elapsedS = (Date.now() - begin) / 1000;
  await Promise.all(workers.map((w) => w.stop()));
  const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver });
  const doneTimes = report.lines.filter((l) => l.kind === 'done').map((l) => l.at);
  doneTimes.sort((a, b) => a - b);
  let outage = 0;
  for (let i = 1; i < doneTimes.length; i++) {
    if (doneTimes[i]! >= crashAt && doneTimes[i - 1]! <= crashAt + 60_000)
      outage = Math.max(outage, doneTimes[i]! - Math.max(doneTimes[i - 1]!, crashAt));
  }
  const result = { ...report, outageS: outage / 1000, promotedS, refusedDispatches, elapsedS };
  log(
    `${summarize(report)}, refused_dispatches ${refusedDispatches}, promoted_s ${promotedS.toFixed(1)}, outage_s ${result.outageS.toFixed(2)}, elapsed_s ${elapsedS.toFixed(1)}`,
  );
  return result;
}
