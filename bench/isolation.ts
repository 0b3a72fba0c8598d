import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobDispatcher, type JobIsolation, MemoryQueueDriver, SqliteQueueDriver } from '../src/index.js';
import { IsolatedBenchJob } from './isolation-job.js';
import type { Measured } from './scenarios.js';

/** Slots of the worker: the pool of isolates is as large. */
export const ISOLATION_CONCURRENCY = 4;

/**
 * Rate of no-op jobs through one worker (concurrency 4) whose jobs run in process, in pooled
 * worker threads or in pooled child processes. The isolates are started by a warm-up batch
 * first: the figure is the steady cost of crossing into an isolate, not its start-up.
 */
export async function isolatedThroughput(
  store: 'memory' | 'sqlite',
  mode: JobIsolation,
  jobs: number,
): Promise<Measured> {
  const file = join(tmpdir(), `jobwright-bench-isolation-${process.pid}-${Date.now()}.sqlite`);
  const driver = store === 'memory' ? new MemoryQueueDriver() : new SqliteQueueDriver(file);
  const dispatcher = new JobDispatcher(driver, { config: { pollIntervalMs: 20 } });
  const make = (n: number) =>
    Array.from({ length: n }, () => Object.assign(new IsolatedBenchJob(), { mode }));
  let completed = 0;
  let failed = 0;
  let target = 0;
  let reached: () => void = () => {};
  dispatcher.on('job:completed', () => {
    if (++completed === target) reached();
  });
  dispatcher.on('job:failed', () => void failed++);
  const until = (count: number) =>
    new Promise<void>((resolve) => {
      target = count;
      reached = resolve;
      if (completed >= count) resolve();
    });
  try {
    await dispatcher.startWorker('bench-isolation', ISOLATION_CONCURRENCY);
    const warm = ISOLATION_CONCURRENCY * 2;
    await dispatcher.dispatchMany(make(warm));
    await until(warm);
    const started = performance.now();
    await dispatcher.dispatchMany(make(jobs));
    await until(warm + jobs);
    if (failed > 0) throw new Error(`${failed} isolated no-op jobs failed`);
    return { value: jobs / ((performance.now() - started) / 1000) };
  } finally {
    await dispatcher.close({ graceSeconds: 5 });
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}
