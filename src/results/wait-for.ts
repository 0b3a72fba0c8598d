import { InvalidJobError, NotFoundError, WaitTimeoutError } from '../errors.js';
import type { JobEventEmitter } from '../events.js';
import type { JobRecord } from '../job.js';
import { MAX_DELAY_SECONDS } from '../time-rules.js';

/** Polls start this often and back off to the slower bound: cheap for long jobs, quick for short ones. */
const FIRST_POLL_MS = 20;
const SLOWEST_POLL_MS = 500;

/** The timeout of `waitFor` in seconds: a positive number up to a year, or undefined (no limit). */
export function assertWaitTimeout(timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (
    typeof timeout !== 'number' ||
    !Number.isFinite(timeout) ||
    timeout <= 0 ||
    timeout > MAX_DELAY_SECONDS
  ) {
    throw new InvalidJobError(
      'INVALID_WAIT_TIMEOUT',
      `Invalid waitFor timeout ${String(timeout)}: use seconds greater than 0 and at most ${MAX_DELAY_SECONDS}`,
    );
  }
  return timeout;
}

/**
 * Resolves with the job's record once it is `completed` or `failed`. The store is the truth
 * (jobs may run in other processes): it is polled with back-off, and this process's own
 * events only make the next look come sooner.
 */
export async function waitForJob(
  id: string,
  timeoutSeconds: number | undefined,
  find: (id: string) => Promise<JobRecord | null>,
  events: JobEventEmitter,
): Promise<JobRecord> {
  const deadline =
    timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutSeconds * 1000;
  let wake: (() => void) | undefined;
  const onFinish = (event: { jobId: string }) => {
    if (event.jobId === id) wake?.();
  };
  events.on('job:completed', onFinish);
  events.on('job:failed', onFinish);
  try {
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      const record = await find(id);
      if (record === null) {
        throw new NotFoundError(
          'JOB_NOT_FOUND',
          `No job with id ${JSON.stringify(id)} is stored (never dispatched, or pruned)`,
        );
      }
      if (record.status === 'completed' || record.status === 'failed') return record;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new WaitTimeoutError(
          'WAIT_TIMEOUT',
          `Job ${id} (${record.jobName}) did not finish within ${timeoutSeconds} s; it is ${record.status}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(pollMs, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      pollMs = Math.min(SLOWEST_POLL_MS, pollMs * 2);
    }
  } finally {
    events.off('job:completed', onFinish);
    events.off('job:failed', onFinish);
  }
}
