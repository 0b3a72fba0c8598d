import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidJobError, JobwrightError } from '../errors.js';
import type { Job, JobIsolation } from '../job.js';

/** An isolated attempt that could not run or whose thread or process died; the attempt fails with it. */
export class IsolationError extends JobwrightError {}

export const MIN_MEMORY_MB = 16;
export const MAX_MEMORY_MB = 65_536;

const MODES: readonly JobIsolation[] = ['none', 'thread', 'process'];

export interface IsolationSettings {
  mode: JobIsolation;
  memoryMb: number | null;
}

/** A job's isolation and memory limit, checked; a bad value throws `InvalidJobError`. */
export function isolationOf(job: Job): IsolationSettings {
  // Classes written before isolation existed may not inherit these (plain objects in tests).
  const mode = typeof job.isolation === 'function' ? job.isolation() : 'none';
  if (!MODES.includes(mode)) {
    throw new InvalidJobError(
      'INVALID_ISOLATION',
      `${job.jobName()}.isolation() returned ${JSON.stringify(mode)}: return 'none', 'thread' or 'process'`,
    );
  }
  if (mode === 'none') return { mode, memoryMb: null };
  const memoryMb = typeof job.memoryLimitMb === 'function' ? job.memoryLimitMb() : null;
  if (
    memoryMb !== null &&
    (!Number.isSafeInteger(memoryMb) || memoryMb < MIN_MEMORY_MB || memoryMb > MAX_MEMORY_MB)
  ) {
    throw new InvalidJobError(
      'INVALID_MEMORY_LIMIT',
      `${job.jobName()}.memoryLimitMb() returned ${String(memoryMb)}: return a whole number of megabytes from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, or null for Node's default`,
    );
  }
  return { mode, memoryMb };
}

/** Files of classes the CLI loaded from the config's `jobsDir`, for classes that name no module. */
const modulesFromJobsDir = new WeakMap<object, string>();

/** Records the file a class was loaded from (the CLI's `jobsDir` loader calls this). */
export function rememberJobModule(cls: object, file: string): void {
  modulesFromJobsDir.set(cls, pathToFileURL(file).href);
}

export interface JobModule {
  url: string;
  /**
   * Loaded as `artisan` loads the project's job files: through jiti, with `jobwright` being the
   * isolate's own copy of the package (a project file found through `jobsDir`).
   */
  project: boolean;
}

/**
 * The module an isolated job's class is loaded from in the thread or process: the class's own
 * `static module` (usually `import.meta.url`), else the `jobsDir` file it was loaded from. It
 * comes from code, never from stored data.
 */
export function moduleOf(job: Job): JobModule {
  const cls = job.constructor as { module?: unknown; name: string };
  // Own property only: a `module` inherited from a base class names the base class's file.
  const named = Object.hasOwn(cls, 'module') ? cls.module : undefined;
  if (named === undefined) {
    const fromJobsDir = modulesFromJobsDir.get(cls);
    if (fromJobsDir) return { url: fromJobsDir, project: true };
    throw new IsolationError(
      'JOB_MODULE_UNKNOWN',
      `${job.jobName()} runs isolated (isolation() is '${job.isolation()}') but its module is unknown: add \`static module = import.meta.url\` to the class ${cls.name}, in the file that exports it (or put it in the config's jobsDir)`,
    );
  }
  if (typeof named === 'string' && named.startsWith('file:')) return { url: named, project: false };
  if (typeof named === 'string' && isAbsolute(named))
    return { url: pathToFileURL(named).href, project: false };
  throw new IsolationError(
    'JOB_MODULE_INVALID',
    `${cls.name}.module is ${JSON.stringify(named)}: it must be the file URL of the module that exports the class (\`static module = import.meta.url\`) or an absolute path`,
  );
}
