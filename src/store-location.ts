import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { JobConfig } from './config.js';

/**
 * The app and `artisan` must share one store. When a new SQLite file is about to be created
 * somewhere other than where jobwright.config.ts puts it (a relative JOBWRIGHT_SQLITE_PATH read
 * from another folder, a `configure()` call), no worker would ever see its jobs: say so.
 * Returns the warning, or null when the file exists already or is where the config says.
 */
export function sqliteElsewhereWarning(
  config: JobConfig,
  project: { configFile: string | null; overrides: Partial<JobConfig> },
): string | null {
  if (config.connection !== 'sqlite' || !project.configFile || !project.overrides.sqlitePath) return null;
  const actual = resolve(config.sqlitePath);
  const configured = resolve(project.overrides.sqlitePath);
  if (actual === configured || existsSync(actual)) return null;
  return (
    `Creating a new SQLite store at ${actual}, but ${project.configFile} puts the store at ${configured}: ` +
    `workers started with 'artisan queue:work' read ${configured}, so they will not see these jobs. ` +
    `Unset JOBWRIGHT_SQLITE_PATH (or make it absolute), or set sqlitePath in ${relative(process.cwd(), project.configFile) || project.configFile}.`
  );
}
