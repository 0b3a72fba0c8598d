import type { NewBatch, StoredBatch } from '../drivers/composition.js';
import type { NewJob } from '../drivers/contract.js';
import { specOf } from '../drivers/job-spec.js';
import { InvalidJobError } from '../errors.js';
import type { Job } from '../job.js';
import { encodeMeta, type JobMeta, parseMeta } from '../worker/chain.js';

/** `dispatcher.batch()` options (Laravel's `Bus::batch()->then()->catch()->finally()`). */
export interface BatchOptions {
  /** A name to find the batch by in `queue:batches` and the dashboard. */
  name?: string;
  /** Keep the batch running after a job failed (default false: the first failure cancels it). */
  allowFailures?: boolean;
  /** Dispatched once, when every job of the batch completed. */
  then?: Job;
  /** Dispatched once, at the batch's first job failure (a cancellation is not a failure). */
  catch?: Job;
  /** Dispatched once, when every job of the batch has finished, completed or failed. */
  finally?: Job;
}

/** A batch as `dispatcher.batch()` and `findBatch()` return it. */
export interface BatchRecord {
  id: string;
  name: string | null;
  totalJobs: number;
  /** Jobs not finished yet. */
  pendingJobs: number;
  /** Jobs finished, completed or failed (`totalJobs - pendingJobs`, as in Laravel). */
  processedJobs: number;
  /** Jobs failed for good (jobs skipped because the batch was cancelled included). */
  failedJobs: number;
  /** Share of jobs finished, 0 to 100 (whole numbers). */
  progress: number;
  allowFailures: boolean;
  createdAt: Date;
  finishedAt: Date | null;
  cancelledAt: Date | null;
}

/** The most jobs one `batch()` or `addToBatch()` call may store. */
export const MAX_BATCH_JOBS = 10_000;
const MAX_NAME_LENGTH = 255;

export function toBatchRecord(batch: StoredBatch): BatchRecord {
  const processedJobs = Math.max(0, batch.totalJobs - batch.pendingJobs);
  return {
    id: batch.id,
    name: batch.name,
    totalJobs: batch.totalJobs,
    pendingJobs: batch.pendingJobs,
    processedJobs,
    failedJobs: batch.failedJobs,
    progress: batch.totalJobs === 0 ? 100 : Math.floor((processedJobs / batch.totalJobs) * 100),
    allowFailures: batch.allowFailures,
    createdAt: batch.createdAt,
    finishedAt: batch.finishedAt,
    cancelledAt: batch.cancelledAt,
  };
}

/** Checks the jobs of a batch (none may run inline; a bounded number) before anything is stored. */
export function assertBatchJobs(jobs: Job[]): void {
  if (!Array.isArray(jobs) || jobs.length === 0 || jobs.length > MAX_BATCH_JOBS) {
    throw new InvalidJobError(
      'INVALID_BATCH',
      `A batch takes an array of 1 to ${MAX_BATCH_JOBS} jobs; split bigger work into several batches`,
    );
  }
  for (const job of jobs) {
    if (!job.shouldQueue()) {
      throw new InvalidJobError(
        'INLINE_JOB_IN_BATCH',
        `${job.jobName()} runs inline (shouldQueue() is false) and cannot be part of a batch`,
      );
    }
  }
}

/**
 * Unique jobs cannot be batch members: a batch is stored in one step, and a member whose unique
 * id a live job holds would leave the batch counting a job that was never stored. Refused on
 * every driver (typed error), whether or not the id is live right now.
 */
export function assertNoUniqueMembers(rows: NewJob[]): void {
  const unique = rows.find((row) => row.uniqueKey);
  if (unique) {
    throw new InvalidJobError(
      'UNIQUE_JOB_IN_BATCH',
      `${unique.jobName} is unique (uniqueId() is set) and cannot be part of a batch: dispatch it on its own, or return null from uniqueId()`,
    );
  }
}

/** A job row marked as a member of `batchId` (in its meta, next to trace context). */
export function inBatch(row: NewJob, batchId: string): NewJob {
  const meta: JobMeta & { batch?: string } = { ...parseMeta(row.meta), batch: batchId };
  return { ...row, meta: encodeMeta(meta) };
}

/** The batch row to store; the callbacks become job specs with their ids made now. */
export function newBatch(id: string, options: BatchOptions, prepare: (job: Job) => NewJob): NewBatch {
  if (
    options.name !== undefined &&
    (typeof options.name !== 'string' || options.name.length > MAX_NAME_LENGTH)
  ) {
    throw new InvalidJobError(
      'INVALID_BATCH_NAME',
      `A batch name is a string of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const callback = (job: Job | undefined, which: string): string | null => {
    if (job === undefined) return null;
    if (!job || typeof job.jobName !== 'function' || !job.shouldQueue()) {
      throw new InvalidJobError(
        'INVALID_BATCH_CALLBACK',
        `The batch's ${which} callback must be a Job instance that is queued (shouldQueue() true)`,
      );
    }
    return JSON.stringify(specOf(prepare(job)));
  };
  return {
    id,
    name: options.name ?? null,
    allowFailures: options.allowFailures === true,
    thenJob: callback(options.then, 'then'),
    catchJob: callback(options.catch, 'catch'),
    finallyJob: callback(options.finally, 'finally'),
  };
}
