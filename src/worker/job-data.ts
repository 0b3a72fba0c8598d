import type { QueueDriver, StoredJob } from '../drivers/contract.js';
import { InvalidJobError } from '../errors.js';
import type { JobEventEmitter } from '../events.js';
import type { JobProgress } from '../job.js';
import { encodePayload } from '../payload.js';
import { describeError, toError } from './error-text.js';

/** Progress and result texts share the payload limit unless the worker says otherwise. */
export const DEFAULT_RESULT_LIMIT_BYTES = 1024 * 1024;

/**
 * Checks a `ctx.progress()` value: a finite number from 0 to 100, or a plain JSON object.
 * Throws a typed error naming the rule, so the job's own code sees its mistake at once.
 */
export function encodeProgress(value: unknown, limitBytes: number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > 100) {
      throw new InvalidJobError(
        'INVALID_PROGRESS',
        `ctx.progress(${String(value)}): a number must be from 0 to 100 (or pass a JSON object)`,
      );
    }
    return JSON.stringify(value);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidJobError(
      'INVALID_PROGRESS',
      'ctx.progress() takes a number from 0 to 100 or a JSON object',
    );
  }
  return encodePayload(value, limitBytes);
}

/** The `ctx.progress` of one attempt: validated, stored fenced by the lease, announced as `job:progress`. */
export function progressWriter(
  driver: QueueDriver,
  events: JobEventEmitter,
  job: StoredJob & { leaseToken: string },
  limitBytes: number,
): (value: JobProgress) => Promise<void> {
  return async (value) => {
    const progress = encodeProgress(value, limitBytes);
    const stored = await driver.saveJobData({ id: job.id, leaseToken: job.leaseToken, progress });
    if (stored && events.hasListeners('job:progress')) {
      events.emit('job:progress', {
        jobId: job.id,
        jobName: job.jobName,
        queueName: job.queueName,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        progress: JSON.parse(progress) as JobProgress,
      });
    }
  };
}

/**
 * Stores what `handle` returned, before the completion is written (so a reader that sees
 * `completed` sees the result). A value that cannot be stored (not JSON, over the limit) is not
 * kept: the job still completes, with `result` null, and a `worker:error` names the job.
 */
export async function storeResult(
  driver: QueueDriver,
  events: JobEventEmitter,
  job: StoredJob & { leaseToken: string },
  value: unknown,
  limitBytes: number,
): Promise<void> {
  if (value === undefined) return;
  let result: string;
  try {
    result = encodePayload(value, limitBytes);
  } catch (cause) {
    events.emit('worker:error', {
      workerId: '',
      queue: job.queueName,
      error: new Error(
        `The result of job ${job.id} (${job.jobName}) cannot be stored, so it is kept as null: ${describeError(toError(cause))}`,
      ),
    });
    return;
  }
  try {
    await driver.saveJobData({ id: job.id, leaseToken: job.leaseToken, result });
  } catch (cause) {
    // The completion still goes out (through the engine's retried outcome writes): a result the
    // store could not take right now is lost, not the job's success.
    events.emit('worker:error', {
      workerId: '',
      queue: job.queueName,
      error: new Error(
        `The result of job ${job.id} (${job.jobName}) could not be stored: ${describeError(toError(cause))}`,
      ),
    });
  }
}
