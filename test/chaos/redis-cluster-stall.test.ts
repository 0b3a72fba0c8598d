import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Job, JobDispatcher, RedisQueueDriver } from '../../src/index.js';
import { clusterForFile } from '../support/cluster-for-file.js';
import { waitFor } from '../support/wait.js';

/**
 * A master that stalls (SIGSTOP: what a starved process on an overloaded machine looks like to
 * its peers) for longer than cluster-node-timeout, is failed over, and then resumes. Until it
 * learns from the cluster bus that it was replaced, it still acts as master: it runs the commands
 * its clients queued meanwhile and acknowledges them, and then, demoted, throws them away to sync
 * from the promoted replica. A completion lost that way leaves the job `processing` on the new
 * master: its lease runs out, it runs again and completes again, with no outcome refused. That
 * is the `dup_done` of one 100,000-job rolling restart on the cluster (docs/reliability.md).
 * `waitReplicas: 1` acknowledges a write only once a replica has it, which a demoted master
 * cannot get: then nothing acknowledged is lost.
 */
const cluster = await clusterForFile('the Redis Cluster stall test');

class Work extends Job {
  override jobName() {
    return 'stall.Work';
  }
  override queueName() {
    return 'stall';
  }
  async handle() {
    await held;
  }
}

/**
 * Jobs run freely until the test holds them (a sixth completed); held jobs wait in handle() with
 * their slots busy, so the master is stopped with jobs in flight whatever the machine's speed,
 * and they all complete against the stalled master once it is stopped.
 */
let held: Promise<void> | undefined;
let letGo = () => {};
function holdJobs(): void {
  held ??= new Promise<void>((resolve) => (letGo = resolve));
}
function releaseJobs(): void {
  letGo();
  held = undefined;
}

const open: JobDispatcher[] = [];
afterEach(async () => {
  releaseJobs();
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
});

interface StallReport {
  completions: Map<string, number>;
  refused: number;
  promotedMs: number;
  doneAtFreeze: number;
}

/** n jobs, two dispatchers working them; the queue's master is stopped until a replica took over. */
async function stallDuringWork(waitReplicas: number, n: number): Promise<StallReport> {
  await cluster!.waitHealthy();
  const prefix = `jwstall-${randomUUID().slice(0, 8)}`;
  const completions = new Map<string, number>();
  let refused = 0;
  let stopped = false;
  const dispatchers = [0, 1].map(() => {
    const d = new JobDispatcher(new RedisQueueDriver({ url: cluster!.url, prefix, waitReplicas }), {
      jobs: [Work],
    });
    d.on('job:completed', (e) => {
      completions.set(e.jobId, (completions.get(e.jobId) ?? 0) + 1);
      if (completions.size >= n / 6 && !stopped) holdJobs();
    });
    d.on('job:lease-lost', () => refused++);
    open.push(d);
    return d;
  });
  const [first, second] = dispatchers as [JobDispatcher, JobDispatcher];
  for (let at = 0; at < n; at += 500) {
    await first.dispatchMany(Array.from({ length: Math.min(500, n - at) }, () => new Work()));
  }
  for (const d of dispatchers) await d.startWorker('stall', 8);
  await waitFor('a sixth of the jobs completed', () => completions.size >= n / 6, 60_000);
  const key = `{${prefix}:stall}:ready`;
  const master = await cluster!.masterOf(key);
  cluster!.freeze(master);
  stopped = true;
  const stoppedAt = performance.now();
  // Jobs were left when the master stopped: otherwise nothing was tested.
  const doneAtFreeze = completions.size;
  // The held jobs complete now, against the stalled master.
  releaseJobs();
  try {
    await waitFor(
      'a replica serves the slot',
      async () => (await cluster!.masterOf(key)).port !== master.port,
      30_000,
    );
  } finally {
    cluster!.thaw(master);
  }
  const promotedMs = performance.now() - stoppedAt;
  await waitFor(
    'every job finished',
    async () => {
      const s = await second.stats('stall');
      return s.completedJobs + s.failedJobs >= n;
    },
    120_000,
  );
  return { completions, refused, promotedMs, doneAtFreeze };
}

const twice = (r: StallReport) => [...r.completions].filter(([, count]) => count > 1).length;

describe.skipIf(!cluster)('a Redis Cluster master stalled past cluster-node-timeout, then resumed', () => {
  it('waitReplicas 0: completions it acknowledged before it learned of its demotion may be lost (measured)', async () => {
    const report = await stallDuringWork(0, 3000);
    expect(report.doneAtFreeze).toBeLessThan(3000);
    // Not asserted: how many depends on what the stalled master had queued. Logged for the record.
    console.log(
      `stall, waitReplicas 0: promoted after ${Math.round(report.promotedMs)} ms, jobs completed twice ${twice(report)}, refused ${report.refused}`,
    );
  }, 240_000);

  it('waitReplicas 1: no acknowledged completion is lost, no job completes twice', async () => {
    const report = await stallDuringWork(1, 3000);
    expect(report.doneAtFreeze).toBeLessThan(3000);
    console.log(
      `stall, waitReplicas 1: promoted after ${Math.round(report.promotedMs)} ms, jobs completed twice ${twice(report)}, refused ${report.refused}`,
    );
    expect(twice(report)).toBe(0);
  }, 240_000);
});
