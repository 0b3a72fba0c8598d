import type { JobDispatcher, JobRecord } from '../../src/index.js';

/**
 * The one way tests wait: poll `check` until it returns something truthy (which is returned),
 * and fail after `timeoutMs` naming `what` was awaited. Never a bare sleep; the default deadline
 * is generous because the suite runs on two shared cores, often beside another copy of itself.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  /** Between checks; longer for a check that is itself costly (one that starts processes). */
  intervalMs = 25,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
      lastError = undefined;
    } catch (error) {
      // A check may fail while the thing it reads is still starting; the last error is reported.
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the job reaches one of `statuses`, and returns its record. */
export async function waitForStatus(
  dispatcher: JobDispatcher,
  id: string,
  statuses: Array<JobRecord['status']>,
  timeoutMs = 15_000,
): Promise<JobRecord> {
  let seen = 'missing';
  try {
    return await waitFor(
      `job ${id} to be ${statuses.join('/')}`,
      async () => {
        const record = await dispatcher.find(id);
        seen = record?.status ?? 'missing';
        return record && statuses.includes(record.status) ? record : null;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last seen: ${seen})`);
  }
}
