import type { JobSpec } from './composition.js';
import type { NewJob } from './contract.js';

/** A stored callback spec: a job spec with the id it gets when it is stored. */
export interface CallbackSpec extends JobSpec {
  id: string;
}

/**
 * The job a stored spec (JSON text of a `CallbackSpec`) stands for, due now. Specs are written by
 * the dispatcher only; a damaged one still gives a job, which the worker then fails with the reason.
 */
export function jobFromSpec(text: string): NewJob {
  const spec = JSON.parse(text) as CallbackSpec;
  return {
    id: spec.id,
    queueName: spec.queueName,
    jobName: spec.jobName,
    payload: spec.payload,
    maxAttempts: spec.maxAttempts,
    priority: spec.priority,
    timeoutSeconds: spec.timeoutSeconds,
    delayMs: 0,
    availableAt: null,
    meta: null,
  };
}

/** The spec of a job row (its id kept: a callback's id is made when its batch is stored). */
export function specOf(job: NewJob): CallbackSpec {
  return {
    id: job.id,
    queueName: job.queueName,
    jobName: job.jobName,
    payload: job.payload,
    maxAttempts: job.maxAttempts,
    priority: job.priority,
    timeoutSeconds: job.timeoutSeconds,
  };
}
