import { checkSettings, type JobConfig, loadConfig } from './config.js';
import { type DispatchOptions, JobDispatcher } from './dispatcher.js';
import { createDriver } from './drivers/factory.js';
import type { Job } from './job.js';

let globalDispatcher: JobDispatcher | undefined;

/**
 * The process-wide dispatcher, built from the environment (and `configure()`) on first use:
 * SQLite at ./storage/jobs.sqlite unless DATABASE_URL, REDIS_URL or QUEUE_CONNECTION say otherwise.
 */
export function jobDispatcher(): JobDispatcher {
  if (!globalDispatcher) {
    const config = loadConfig(process.env, pendingOverrides);
    globalDispatcher = new JobDispatcher(() => createDriver(config), { config });
  }
  return globalDispatcher;
}

let pendingOverrides: Partial<JobConfig> = {};

/** Sets the global dispatcher's settings (environment variables still win); call before first use. */
export function configure(overrides: Partial<JobConfig>): void {
  if (globalDispatcher)
    throw new Error('configure() must be called before the global dispatcher is first used');
  checkSettings(overrides); // a bad value fails here, at the call that gave it
  pendingOverrides = { ...pendingOverrides, ...overrides };
}

/** Replaces the global dispatcher (tests, apps that build their own); returns the previous one. */
export function setJobDispatcher(dispatcher: JobDispatcher | undefined): JobDispatcher | undefined {
  const previous = globalDispatcher;
  globalDispatcher = dispatcher;
  return previous;
}

/** Queues a job on the global dispatcher (or runs it inline when `shouldQueue()` is false). */
export function dispatch(job: Job, options?: DispatchOptions): Promise<string> {
  return jobDispatcher().dispatch(job, options);
}

/** The seed's name for `dispatch`. */
export function dispatchJob(job: Job, options?: DispatchOptions): Promise<string> {
  return jobDispatcher().dispatch(job, options);
}

/** Stores a chain on the global dispatcher: each job runs after the one before it completed. */
export function chain(jobs: Job[], options?: Omit<DispatchOptions, 'delay'>): Promise<string[]> {
  return jobDispatcher().chain(jobs, options);
}
