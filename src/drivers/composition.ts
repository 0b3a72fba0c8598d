/**
 * The store roles of the second release's composition features: progress and results, batches
 * and schedules. Every driver implements them (they are part of `QueueDriver`).
 *
 * Rules every driver keeps:
 * - `saveJobData` is fenced by the lease token like every transition after a reservation.
 * - A batch's counters move in the same atomic step as its job's outcome (the settle that
 *   completes or fails it for good, or `recoverExpired` failing it on its last attempt), and the
 *   step that makes a callback due stores that callback job in the same step, clearing it from
 *   the batch: each callback is stored exactly once whatever crashes around it. (Redis Cluster,
 *   where batch and job live in different slots, writes the batch update into an outbox of the
 *   job's slot in that step and applies it once right after: src/drivers/redis/outbox.ts.)
 * - `claimTick` stores the tick's job only if the schedule's last dispatched tick is older
 *   (compare-and-set, in one step with the insert): however many schedulers race, one wins.
 */

import type { NewJob } from './contract.js';

export interface JobDataParams {
  id: string;
  leaseToken: string;
  /** JSON text of the progress (a number 0-100 or an object). */
  progress?: string;
  /** JSON text of the value `handle` returned. */
  result?: string;
}

/** Progress and results of running jobs. */
export interface JobDataStore {
  /** Stores progress and/or the result of a job its caller still holds; false when the lease was lost. */
  saveJobData(params: JobDataParams): Promise<boolean>;
}

/** A batch as the store holds it. `processedJobs` and `progress` are derived by the dispatcher. */
export interface StoredBatch {
  id: string;
  name: string | null;
  totalJobs: number;
  /** Jobs not finished yet (neither completed nor failed for good). */
  pendingJobs: number;
  /** Jobs failed for good (cancelled ones included). */
  failedJobs: number;
  allowFailures: boolean;
  createdAt: Date;
  finishedAt: Date | null;
  cancelledAt: Date | null;
}

/** A batch to store. The callbacks are job specs (JSON text of `CallbackSpec`), null when absent. */
export interface NewBatch {
  id: string;
  name: string | null;
  allowFailures: boolean;
  thenJob: string | null;
  catchJob: string | null;
  finallyJob: string | null;
}

/**
 * A callback or scheduled job waiting to be stored: a `NewJob` without id and delay. Its payload
 * is already in stored form (encrypted for an encrypted class).
 */
export interface JobSpec {
  queueName: string;
  jobName: string;
  payload: string;
  maxAttempts: number;
  priority: number;
  timeoutSeconds: number | null;
}

export interface BatchStore {
  /** Stores the batch and its jobs (each with `meta.batch` = the batch id) in one step. */
  createBatch(params: { batch: NewBatch; jobs: NewJob[] }): Promise<void>;
  /** Adds jobs to a batch that has not finished and is not cancelled; false (nothing stored) otherwise. */
  addToBatch(params: { id: string; jobs: NewJob[] }): Promise<boolean>;
  findBatch(params: { id: string }): Promise<StoredBatch | null>;
  /** Marks the batch cancelled; false for an unknown or already cancelled batch. */
  cancelBatch(params: { id: string }): Promise<boolean>;
  /** Newest first. */
  listBatches(params: { limit: number; offset: number }): Promise<StoredBatch[]>;
}

export interface StoredSchedule {
  name: string;
  cron: string;
  timezone: string | null;
  catchUp: boolean;
  /** JSON text of the `JobSpec` dispatched at each tick. */
  job: string;
  /** The last tick dispatched (its scheduled time), or null. */
  lastTick: Date | null;
}

export interface ScheduleStore {
  /** Stores a schedule, replacing one of the same name (its last tick is kept). */
  saveSchedule(params: { schedule: Omit<StoredSchedule, 'lastTick'> }): Promise<void>;
  removeSchedule(params: { name: string }): Promise<boolean>;
  schedules(): Promise<StoredSchedule[]>;
  /**
   * Stores `job` for the tick `tick` of schedule `name` if its last tick is older (or unset):
   * compare-and-set and insert in one step. True when this call won the tick.
   */
  claimTick(params: { name: string; tick: Date; job: NewJob }): Promise<boolean>;
}

/** Engine metadata key naming a job's batch (in `meta`). */
export const BATCH_META_KEY = 'batch';

/** The batch id of a job's meta text, read cheaply (the settle paths only need to know). */
export function batchIdOfMeta(meta: string | null): string | null {
  if (meta === null || !meta.includes('"batch"')) return null;
  try {
    const parsed = JSON.parse(meta) as { batch?: unknown };
    return typeof parsed.batch === 'string' ? parsed.batch : null;
  } catch {
    return null;
  }
}
