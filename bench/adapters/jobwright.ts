import { Job, JobDispatcher, type QueueDriver } from '../../src/index.js';
import type { Adapter, JobBody, JobHandler } from '../types.js';

export const BENCH_QUEUE = 'bench';

let handler: JobHandler = () => {};

/** The no-op job every jobwright run dispatches: it carries its dispatch time and does nothing else. */
class BenchJob extends Job {
  constructor(
    public t: number,
    public i: number,
  ) {
    super();
  }

  override jobName(): string {
    return 'BenchJob';
  }

  override queueName(): string {
    return BENCH_QUEUE;
  }

  handle(): void {
    handler({ t: this.t, i: this.i });
  }
}

const reported = new Set<string>();
function reportOnce(error: Error): void {
  const key = error.message.slice(0, 200);
  if (reported.has(key)) return;
  reported.add(key);
  process.stderr.write(`jobwright worker error: ${error.stack ?? error.message}\n`);
}

export interface JobwrightStore {
  /** A driver on namespace `ns` (schema, key prefix or file). */
  makeDriver(): Promise<QueueDriver>;
  /** Empties the namespace before a run (before any driver of it is open). */
  clear(): Promise<void>;
  /** Removes the namespace after a run. */
  drop(): Promise<void>;
}

/** Drives a jobwright driver through the public dispatcher API, as an application would. */
export function jobwrightAdapter(store: JobwrightStore): Adapter {
  let dispatcher: JobDispatcher | undefined;
  const get = async (): Promise<JobDispatcher> => {
    if (!dispatcher) {
      const driver = await store.makeDriver();
      dispatcher = new JobDispatcher(driver, { jobs: [BenchJob] });
      // A failing store or engine shows here instead of as a silent zero.
      dispatcher.on('worker:error', ({ error }) => reportOnce(error));
      await dispatcher.driver();
    }
    return dispatcher;
  };
  return {
    async reset() {
      await dispatcher?.close({ graceSeconds: 0 });
      dispatcher = undefined;
      await store.clear();
      await get();
    },
    async enqueueOne(body: JobBody) {
      await (await get()).dispatch(new BenchJob(body.t, body.i));
    },
    async enqueueBulk(bodies: JobBody[]) {
      await (await get()).dispatchMany(bodies.map((b) => new BenchJob(b.t, b.i)));
    },
    async startWorker(concurrency: number, onJob: JobHandler) {
      handler = onJob;
      await (await get()).startWorker(BENCH_QUEUE, concurrency);
    },
    async stopWorker() {
      await dispatcher?.stopWorker(BENCH_QUEUE, { graceSeconds: 5 });
    },
    async stop() {
      const d = dispatcher;
      dispatcher = undefined;
      await d?.close({ graceSeconds: 5 });
    },
    async drop() {
      await store.drop();
    },
  };
}

export const JOBWRIGHT_SETTINGS =
  'defaults: JobDispatcher with loadConfig() defaults (poll 1 s, lease 30 s + 5 s), dispatch() / dispatchMany()';
