/**
 * `npm run chaos`: the long versions of the chaos runs, printing the figures of RELIABILITY.md.
 *
 *   npm run chaos -- --driver postgres --n 100000                 rolling restart (default scenario)
 *   npm run chaos -- --driver redis-cluster --scenario failover   kill -9 of a master mid-run
 *   npm run chaos -- --driver redis-cluster --scenario wait-cost  throughput with and without WAIT
 *   npm run chaos -- --driver sqlite --scenario soak --minutes 60 steady load, resources sampled
 *
 * Options: --driver sqlite|postgres|redis|redis-cluster  --scenario rolling|failover|wait-cost|soak
 *          --n jobs  --workers processes  --concurrency slots  --sleep-ms per job  --minutes (soak)
 *          --rate jobs/s (soak)  --wait-replicas 0|1 (failover)  --lease seconds (default 5)
 * PostgreSQL and Redis are DATABASE_URL and REDIS_URL (own schema / key prefix, removed after);
 * redis-cluster starts a private cluster (3 masters, 1 replica each) on free ports and removes it.
 * Exits 1 when lost, stuck or dup_done is not 0 (or a soak worker grew).
 */
import { parseArgs } from 'node:util';
import { RedisQueueDriver } from '../../src/index.js';
import { summarize } from '../support/fault/checker.js';
import { makeFaultRun } from '../support/fault/scenarios.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
import { uniqueName } from '../support/unique.js';
import { clusterFailover } from './failover.js';
import { rollingRestart } from './rolling-restart.js';
import { soak } from './soak.js';
import { CHAOS_DRIVERS, type ChaosDriver, type ChaosRun, chaosRun } from './stores.js';
import { throughput } from './throughput.js';

const { values: args } = parseArgs({
  options: {
    driver: { type: 'string', default: 'sqlite' },
    scenario: { type: 'string', default: 'rolling' },
    n: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '8' },
    'sleep-ms': { type: 'string', default: '2' },
    minutes: { type: 'string', default: '60' },
    rate: { type: 'string', default: '100' },
    'wait-replicas': { type: 'string', default: '1' },
    lease: { type: 'string', default: '5' },
  },
});

function whole(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return n;
}

const driver = args.driver as ChaosDriver;
if (!CHAOS_DRIVERS.includes(driver)) throw new Error(`--driver must be one of ${CHAOS_DRIVERS.join(', ')}`);
const n = whole('n', args.n, 1, 10_000_000);
const workers = whole('workers', args.workers, 1, 64);
const concurrency = whole('concurrency', args.concurrency, 1, 256);
const sleepMs = whole('sleep-ms', args['sleep-ms'], 0, 60_000);
// A 1 s lease (the CI runs') is shorter than the stalls of a machine loaded for minutes: a
// stalled worker then loses leases and its jobs start twice. The long runs default to 5 s.
process.env.FAULT_LEASE_SECONDS = String(whole('lease', args.lease, 1, 600));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const cluster = driver === 'redis-cluster' ? await PrivateRedisCluster.start() : undefined;
if (cluster) log(`private Redis Cluster: ${cluster.url}`);
const runs: ChaosRun[] = [];
const open = (waitReplicas = 0): { run: ChaosRun; prefix: string } => {
  if (!cluster) {
    const run = chaosRun(driver);
    runs.push(run);
    return { run, prefix: '' };
  }
  const prefix = uniqueName('jwchaos');
  const spec: Record<string, string> = { url: cluster.url, prefix };
  if (waitReplicas > 0) spec.waitReplicas = String(waitReplicas);
  const run = makeFaultRun({
    driverName: 'redis',
    spec,
    driver: new RedisQueueDriver({ url: cluster.url, prefix, waitReplicas }),
  });
  runs.push(run);
  return { run, prefix };
};

let failed = false;
// Ctrl-C: the finally below still removes the workers, the store and the cluster.
let interrupted: () => void = () => {};
const interruption = new Promise<never>((_, reject) => {
  interrupted = () => reject(new Error('interrupted'));
});
interruption.catch(() => {});
process.once('SIGINT', () => interrupted());
process.once('SIGTERM', () => interrupted());
const guard = <T>(work: Promise<T>): Promise<T> => Promise.race([work, interruption]);
try {
  switch (args.scenario) {
    case 'rolling': {
      const report = await guard(rollingRestart(open().run, { n, workers, concurrency, sleepMs, log }));
      failed =
        report.lost.length +
          report.stuck.length +
          report.dupDone.length +
          report.dupStartsUnexplained.length >
        0;
      // What the ledger says about the first few duplicate completions, to find their cause.
      for (const n of report.dupDone.slice(0, 5)) {
        const lines = report.lines.filter((l) => l.n === n);
        const at0 = lines[0]?.at ?? 0;
        console.log(
          `job ${n}: ${lines.map((l) => `${l.kind}@${l.pid}/a${l.attempt}/${l.jobId}/+${l.at - at0}ms`).join(' ')}`,
        );
        console.log(`  stored: ${JSON.stringify(report.states.get(n))}`);
      }
      console.log(
        `\nfigures (${driver}, rolling restart, ${n} jobs, ${workers} processes x ${concurrency}): lost ${report.lost.length}, stuck ${report.stuck.length}, dup_starts ${report.dupStarts.length} (outside the SIGKILLed worker: ${report.dupStartsNotKilled.length}, of which not after a lost lease: ${report.dupStartsUnexplained.length}), dup_done ${report.dupDone.length}, recovery_s ${report.recoveryS?.toFixed(2) ?? '-'}, elapsed_s ${report.elapsedS.toFixed(1)}, sigterm exits ${report.sigtermExits.join(',')}`,
      );
      break;
    }
    case 'failover': {
      if (!cluster) throw new Error('--scenario failover needs --driver redis-cluster');
      const waitReplicas = whole('wait-replicas', args['wait-replicas'], 0, 1);
      const { run, prefix } = open(waitReplicas);
      const report = await guard(
        clusterFailover(run, cluster, { n, workers, concurrency, sleepMs, prefix, log }),
      );
      failed =
        report.stuck.length > 0 || (waitReplicas > 0 && report.lost.length + report.dupDone.length > 0);
      console.log(
        `\nfigures (redis-cluster failover, waitReplicas ${waitReplicas}, ${n} jobs): lost ${report.lost.length}, stuck ${report.stuck.length}, dup_starts ${report.dupStarts.length}, dup_done ${report.dupDone.length}, promoted_s ${report.promotedS.toFixed(1)}, outage_s ${report.outageS.toFixed(2)}`,
      );
      break;
    }
    case 'wait-cost': {
      if (!cluster) throw new Error('--scenario wait-cost needs --driver redis-cluster');
      for (const waitReplicas of [0, 1, 0, 1]) {
        const t = await guard(throughput(open(waitReplicas).run, { n, workers, concurrency }));
        console.log(
          `figures (redis-cluster, waitReplicas ${waitReplicas}, ${n} no-op jobs, ${workers} x ${concurrency}): dispatch ${t.dispatchPerS} jobs/s, dispatch-to-done ${t.processPerS} jobs/s`,
        );
      }
      break;
    }
    case 'soak': {
      const minutes = whole('minutes', args.minutes, 1, 24 * 60);
      const report = await guard(
        soak(open().run, {
          seconds: minutes * 60,
          rate: whole('rate', args.rate, 1, 10_000),
          workers,
          concurrency,
          sleepMs,
          sampleMs: minutes >= 10 ? 60_000 : 5_000,
          log,
        }),
      );
      failed = report.lost.length + report.dupDone.length + report.growing.length > 0;
      console.log(
        `\nfigures (${driver}, soak ${minutes} min): ${summarize(report)}, growing ${report.growing.length}`,
      );
      break;
    }
    default:
      throw new Error('--scenario must be rolling, failover, wait-cost or soak');
  }
} finally {
  for (const run of runs) await run.cleanup().catch((e: unknown) => console.error(e));
  await cluster?.stop();
}
process.exit(failed ? 1 : 0);
