import { randomUUID } from 'node:crypto';
import { type JobConfig, JobDispatcher, type QueueDriver } from '../../src/index.js';
import { CONFORMANCE_JOBS, dropRecorder, type Recorder, recorderFor } from './conformance-jobs.js';

export interface ConformanceTarget {
  /** A fresh, empty driver with its own isolation (own SQLite file, PG schema or Redis key prefix). */
  make(): Promise<QueueDriver>;
  /**
   * Optional: a second driver on the same store as the last `make()`, as another process would
   * open it. Without it, a second dispatcher shares the first driver instance.
   */
  connectAgain?(): Promise<QueueDriver>;
  /** Optional: removes what make() created, after each test. */
  cleanup?(): Promise<void>;
}

/** Short real times: the suite proves timing rules in fractions of a second. */
export const SUITE_CONFIG: Partial<JobConfig> = {
  pollIntervalMs: 20,
  leaseSeconds: 0.4,
  leaseGraceSeconds: 0.2,
  shutdownGraceSeconds: 1,
  retryDelay: 0.05,
  maxAttempts: 3,
  timeout: 30,
};

export interface Harness {
  driver: QueueDriver;
  dispatcher: JobDispatcher;
  run: string;
  rec: Recorder;
  /** Another dispatcher on the same store, as a second process would have. */
  second(config?: Partial<JobConfig>): Promise<JobDispatcher>;
}

export function makeHarnessFactory(target: ConformanceTarget) {
  const open: Array<{ dispatchers: JobDispatcher[]; run: string }> = [];

  async function create(config: Partial<JobConfig> = {}): Promise<Harness> {
    const driver = await target.make();
    const run = randomUUID();
    const dispatcher = new JobDispatcher(driver, {
      jobs: CONFORMANCE_JOBS,
      config: { ...SUITE_CONFIG, ...config },
    });
    const entry = { dispatchers: [dispatcher], run };
    open.push(entry);
    return {
      driver,
      dispatcher,
      run,
      rec: recorderFor(run),
      async second(extra: Partial<JobConfig> = {}) {
        const other = target.connectAgain ? await target.connectAgain() : sharedView(driver);
        const d = new JobDispatcher(other, {
          jobs: CONFORMANCE_JOBS,
          config: { ...SUITE_CONFIG, ...config, ...extra },
        });
        entry.dispatchers.push(d);
        return d;
      },
    };
  }

  async function closeAll(): Promise<void> {
    for (const entry of open.splice(0)) {
      // Close the extra dispatchers first: the first one owns a shared driver.
      for (const d of [...entry.dispatchers].reverse()) await d.close({ graceSeconds: 0 });
      dropRecorder(entry.run);
    }
    await target.cleanup?.();
  }

  return { create, closeAll };
}

/** The same driver, whose close() does nothing, so two dispatchers can share it. */
function sharedView(driver: QueueDriver): QueueDriver {
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'close') return async () => {};
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The suite's one way to wait (test/support/wait.ts). */
export { waitFor } from '../support/wait.js';
