import type { Job } from '../job.js';

/** Names stored with a job at dispatch, kept on the instance a worker rebuilt from it. */
const storedNames = new WeakMap<object, readonly string[]>();

/**
 * Makes the names stored with a job at dispatch count for the instance a worker rebuilt, even
 * when this process's version of the class does not declare them (a rolling deploy).
 */
export function rememberStoredNames(job: Job, names: readonly string[]): void {
  if (names.length > 0) storedNames.set(job, names);
}

/** The names remembered for `job`, if any. */
export function storedNamesOf(job: object): readonly string[] | undefined {
  return storedNames.get(job);
}
