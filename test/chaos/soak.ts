import { join } from 'node:path';
import { checkRun, type DispatchedJob, type FaultReport, summarize } from '../support/fault/checker.js';
import { LedgerJob } from '../support/fault/ledger-job.js';
import { readSamples, type Sample } from '../support/fault/samples.js';
import { waitFor } from '../support/fault/scenarios.js';
import type { ChaosRun } from './stores.js';

export interface SoakOptions {
  /** How long the steady load lasts, in seconds. */
  seconds: number;
  /** Jobs dispatched per second. */
  rate: number;
  workers: number;
  concurrency: number;
  sleepMs: number;
  /** How often each worker samples itself, in ms (a minute in the long soak). */
  sampleMs: number;
  log?: (line: string) => void;
}

/** Per worker: the first samples after warm-up against the last ones. */
export interface SoakGrowth {
  pid: number;
  samples: number;
  rssMb: [number, number];
  heapMb: [number, number];
  handles: [number, number];
  sockets: [number, number];
  loopP99Ms: [number, number];
}

export interface SoakReport extends FaultReport {
  growth: SoakGrowth[];
  /** Workers whose RSS, heap, handles or sockets grew after warm-up (see `grew`): must be empty. */
  growing: number[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * Growth after warm-up: the first third of the samples is warm-up; the middle third and the last
 * third are compared by their medians (RSS and heap may move by 20% plus a few MB of garbage
 * collection noise; handles and sockets by 2, a socket reconnecting or a timer in flight).
 */
export function growthOf(samples: Sample[]): SoakGrowth & { grew: string[] } {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const pair = (pick: (s: Sample) => number): [number, number] => [
    median(middle.map(pick)),
    median(last.map(pick)),
  ];
  const g: SoakGrowth = {
    pid: samples[0]?.pid ?? 0,
    samples: samples.length,
    rssMb: pair((s) => s.rssMb),
    heapMb: pair((s) => s.heapMb),
    handles: pair((s) => s.handles),
    sockets: pair((s) => s.sockets),
    loopP99Ms: pair((s) => s.loopP99Ms),
  };
  const grew: string[] = [];
  if (g.rssMb[1] > g.rssMb[0] * 1.2 + 10) grew.push('rss');
  if (g.heapMb[1] > g.heapMb[0] * 1.2 + 5) grew.push('heap');
  if (g.handles[1] > g.handles[0] + 2) grew.push('handles');
  if (g.sockets[1] > g.sockets[0] + 2) grew.push('sockets');
  return { ...g, grew };
}

/**
 * The soak: `rate` jobs a second for `seconds` into `workers` processes that sample themselves
 * every `sampleMs`; at the end every job must be done once, and nothing may grow after warm-up.
 */
export async function soak(run: ChaosRun, o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const sampleFiles = Array.from({ length: o.workers }, (_, i) => join(run.ledger, `../samples-${i}.jsonl`));
  const workers = sampleFiles.map((file) =>
    run.spawn(o.concurrency, { FAULT_SAMPLES: file, FAULT_SAMPLE_MS: String(o.sampleMs) }),
  );
  await Promise.all(workers.map((w) => w.ready));
  const dispatched: DispatchedJob[] = [];
  const begin = Date.now();
  let n = 0;
  // Ticks of 100 ms; each dispatches what the rate allows by then, so a slow tick catches up.
  while (Date.now() - begin < o.seconds * 1000) {
    const due = Math.floor(((Date.now() - begin) / 1000) * o.rate);
    if (due > n) {
      const from = n;
      const jobs = Array.from(
        { length: due - from },
        (_, k) => new LedgerJob(from + k, { sleepMs: o.sleepMs }),
      );
      n = due;
      const ids = await run.producer.dispatchMany(jobs);
      for (const [k, id] of ids.entries()) dispatched.push({ n: from + k, id });
    }
    if (dispatched.length % (o.rate * 60) < o.rate / 10) log(`${dispatched.length} dispatched`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitFor(
    `all ${dispatched.length} soak jobs finished`,
    async () => {
      const s = await run.producer.stats('fault');
      return s.completedJobs + s.failedJobs >= dispatched.length;
    },
    120_000,
  );
  await Promise.all(workers.map((w) => w.stop()));
  const report = await checkRun({ ledger: run.ledger, dispatched, driver: run.driver });
  const growth = sampleFiles.map((file) => growthOf(readSamples(file)));
  for (const g of growth) {
    log(
      `worker ${g.pid}: ${g.samples} samples, rss ${g.rssMb.join(' -> ')} MB, heap ${g.heapMb.join(' -> ')} MB, handles ${g.handles.join(' -> ')}, sockets ${g.sockets.join(' -> ')}, loop p99 ${g.loopP99Ms.join(' -> ')} ms${g.grew.length ? ` GREW: ${g.grew.join(', ')}` : ''}`,
    );
  }
  log(summarize(report));
  return {
    ...report,
    growth: growth.map(({ grew: _grew, ...g }) => g),
    growing: growth.filter((g) => g.grew.length > 0).map((g) => g.pid),
  };
}
