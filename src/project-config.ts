import type { JobConfig } from './config.js';
import type { JobClass } from './job.js';
import type { ScheduleDefinition } from './schedules/schedule-rules.js';

/**
 * The project file `jobwright.config.ts` (or `.js` / `.mjs`), read by `artisan`. Every
 * `JobConfig` setting may be given here; environment variables override them.
 */
export interface ProjectConfig extends Partial<JobConfig> {
  /** Job classes the workers can run. */
  jobs?: JobClass[];
  /**
   * A folder (relative to this file) whose files are imported and whose exported Job classes
   * are all registered. `make:job` writes new jobs here; default `src/app/jobs`.
   */
  jobsDir?: string;
  /** Recurring jobs, stored and run by `artisan schedule:work` (or `dispatcher.startScheduler()`). */
  schedules?: ScheduleDefinition[];
}

/** Typed identity helper for `jobwright.config.ts`: `export default defineConfig({ ... })`. */
export function defineConfig(config: ProjectConfig): ProjectConfig {
  return config;
}
