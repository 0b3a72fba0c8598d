import { percentile } from './stats.js';
import { type Adapter, type JobBody, preciseNow, type SystemModule } from './types.js';
import { forkWorkers, inProcessWorker, type WorkerGroup } from './workers.js';

/** How much work each scenario does; `--quick` and the smoke run shrink these. */
export interface Sizes {
  oneByOne: number;
  inFlight: number;
  bulkBatches: number;
  processJobs: number;
  latencySamples: number;
  latencyGapMs: number;
  backlog: number;
  peerBacklog: number;
  backlogMeasure: number;
  /** A processing run that has not finished by then reports the rate so far, marked partial. */
  processTimeoutMs: number;
}

export interface Measured {
  value: number;
  /** CPU µs the worker process(es) used per job (processing runs only). */
  cpuPerJob?: number;
  /** The run hit its time limit: the value is the rate over the jobs done so far. */
  partial?: boolean;
}

export interface Target {
  id: string;
  peer: boolean;
  system: SystemModule;
  /** A fresh namespace name for one run. */
  namespace(): string;
}

const body = (i: number): JobBody => ({ t: preciseNow(), i });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fresh(target: Target): Promise<{ adapter: Adapter; ns: string }> {
  const ns = target.namespace();
  const adapter = await target.system.open(ns);
  await adapter.reset();
  return { adapter, ns };
}

async function finish(adapter: Adapter): Promise<void> {
  await adapter.stop();
  await adapter.drop();
}

/** Stores `count` jobs with bulk calls of 1,000, a few calls in flight. */
export async function seed(
  adapter: Adapter,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < count) {
      const from = next;
      const size = Math.min(1000, count - from);
      next += size;
      await adapter.enqueueBulk(Array.from({ length: size }, (_, k) => body(from + k)));
      done += size;
      onProgress?.(done);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

export async function enqueueOneByOne(target: Target, sizes: Sizes): Promise<Measured> {
  const { adapter } = await fresh(target);
  try {
    const started = performance.now();
    for (let i = 0; i < sizes.oneByOne; i++) await adapter.enqueueOne(body(i));
    return { value: sizes.oneByOne / ((performance.now() - started) / 1000) };
  } finally {
    await finish(adapter);
  }
}

export async function enqueueInFlight(target: Target, sizes: Sizes, inFlight = 50): Promise<Measured> {
  const { adapter } = await fresh(target);
  try {
    let next = 0;
    const lane = async () => {
      while (next < sizes.inFlight) await adapter.enqueueOne(body(next++));
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, lane));
    return { value: sizes.inFlight / ((performance.now() - started) / 1000) };
  } finally {
    await finish(adapter);
  }
}

export async function enqueueBulk(target: Target, sizes: Sizes): Promise<Measured> {
  const { adapter } = await fresh(target);
  try {
    const batches = Array.from({ length: sizes.bulkBatches }, (_, b) =>
      Array.from({ length: 1000 }, (_, k) => body(b * 1000 + k)),
    );
    const started = performance.now();
    for (const batch of batches) await adapter.enqueueBulk(batch);
    return { value: (sizes.bulkBatches * 1000) / ((performance.now() - started) / 1000) };
  } finally {
    await finish(adapter);
  }
}

/** Workers for a run: child processes, or this process for a one-process driver. */
async function workers(
  target: Target,
  adapter: Adapter,
  ns: string,
  processes: number,
  concurrency: number,
  latency: boolean,
): Promise<WorkerGroup> {
  if (!target.system.multiProcess) return inProcessWorker(adapter, concurrency, latency);
  return forkWorkers({ system: target.id, ns, processes, concurrency, latency });
}

/** Rate of working `count` jobs that are already pending, from the first job's start to the last one's. */
async function drain(group: WorkerGroup, count: number, timeoutMs: number): Promise<Measured> {
  await group.go();
  const seen = await group.waitFor(count, timeoutMs);
  const { cpuMicros } = await group.stop();
  const seconds = Math.max(seen.lastAt - seen.firstAt, 1) / 1000;
  return {
    value: seen.count / seconds,
    partial: seen.timedOut || undefined,
    cpuPerJob: seen.count > 0 ? cpuMicros / seen.count : undefined,
  };
}

export async function processing(
  target: Target,
  sizes: Sizes,
  processes: number,
  concurrency: number,
): Promise<Measured | null> {
  if (processes > 1 && !target.system.multiProcess) return null;
  const { adapter, ns } = await fresh(target);
  try {
    await seed(adapter, sizes.processJobs);
    if (target.system.multiProcess) await adapter.stop();
    const group = await workers(target, adapter, ns, processes, concurrency, false);
    return await drain(group, sizes.processJobs, sizes.processTimeoutMs);
  } finally {
    await finish(adapter);
  }
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  samples: number;
}

/** Dispatches one job every `latencyGapMs` to an idle worker (concurrency 10) and records dispatch-to-start. */
export async function latency(target: Target, sizes: Sizes): Promise<Latency> {
  const { adapter, ns } = await fresh(target);
  try {
    const group = await workers(target, adapter, ns, 1, 10, true);
    await group.go();
    await sleep(300);
    for (let i = 0; i < sizes.latencySamples; i++) {
      await adapter.enqueueOne(body(i));
      await sleep(sizes.latencyGapMs);
    }
    await group.waitFor(sizes.latencySamples, 15_000);
    const { latencies } = await group.stop();
    return {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      samples: latencies.length,
    };
  } finally {
    // The memory driver's worker shares the producer's dispatcher; stopping twice is harmless.
    await finish(adapter);
  }
}

export interface BacklogResult {
  small: Measured[];
  large: Measured[];
  backlog: number;
  seedSeconds: number;
}

/**
 * Cost of a backlog: the rate of working `backlogMeasure` jobs (one process, concurrency 50) when
 * they are all there is, against the same when `backlog` jobs are pending. The large backlog is
 * stored once (bulk inserts) and each run takes the next `backlogMeasure` jobs off it.
 */
export async function backlogCost(
  target: Target,
  sizes: Sizes,
  runs: number,
  log: (line: string) => void,
): Promise<BacklogResult> {
  const measure = sizes.backlogMeasure;
  const small: Measured[] = [];
  for (let r = 0; r < runs; r++) {
    const { adapter, ns } = await fresh(target);
    try {
      await seed(adapter, measure);
      if (target.system.multiProcess) await adapter.stop();
      small.push(
        await drain(await workers(target, adapter, ns, 1, 50, false), measure, sizes.processTimeoutMs),
      );
    } finally {
      await finish(adapter);
    }
  }
  const size = target.peer ? sizes.peerBacklog : sizes.backlog;
  const large: Measured[] = [];
  const { adapter, ns } = await fresh(target);
  let seedSeconds = 0;
  try {
    const started = performance.now();
    let lastLog = started;
    await seed(adapter, size, (done) => {
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`    stored ${done.toLocaleString('en-US')} of ${size.toLocaleString('en-US')}`);
      }
    });
    seedSeconds = (performance.now() - started) / 1000;
    for (let r = 0; r < runs; r++) {
      if (target.system.multiProcess) await adapter.stop();
      large.push(
        await drain(await workers(target, adapter, ns, 1, 50, false), measure, sizes.processTimeoutMs),
      );
    }
  } finally {
    await finish(adapter);
  }
  return { small, large, backlog: size, seedSeconds };
}
