import { driverActivityLogger, setDefaultActivityLogger } from './activity/activity-logged-job.js';
import './activity/activity-plugin.js';
import type { BatchOptions, BatchRecord } from './batches/batch.js';
import { loadProjectSettingsSync } from './cli/project.js';
import { checkSettings, type JobConfig, loadConfig } from './config.js';
import { type DispatchOptions, JobDispatcher } from './dispatcher.js';
import { createDriver } from './drivers/factory.js';
import type { Job } from './job.js';
import { sqliteElsewhereWarning } from './store-location.js';

let globalDispatcher: JobDispatcher | undefined;

// handleWithLogging() outside a worker writes to the global dispatcher's store.
setDefaultActivityLogger(async () => driverActivityLogger(await jobDispatcher().driver()));

/**
 * The process-wide dispatcher, built on first use from the settings of jobwright.config.ts
 * (found from the working directory upward, read as `artisan` reads it), `configure()` and the
 * environment, which wins: SQLite at the config folder's ./storage/jobs.sqlite unless
 * DATABASE_URL, REDIS_URL or QUEUE_CONNECTION say otherwise.
 */
export function jobDispatcher(): JobDispatcher {
  if (!globalDispatcher) {
    const project = loadProjectSettingsSync(process.cwd());
    const config = loadConfig(process.env, { ...project.overrides, ...pendingOverrides });
    globalDispatcher = new JobDispatcher(
      async () => {
        const warning = sqliteElsewhereWarning(config, project);
        if (warning) process.emitWarning(warning, { code: 'JOBWRIGHT_SQLITE_ELSEWHERE' });
        return createDriver(config);
      },
      { config },
    );
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

/** Stores a batch on the global dispatcher (see `JobDispatcher.batch`). */
export function batch(jobs: Job[], options?: BatchOptions): Promise<BatchRecord> {
  return jobDispatcher().batch(jobs, options);
}
