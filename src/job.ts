import { type JobDefaults, jobDefaults } from './config.js';
import type { StoredJob } from './drivers/contract.js';
import type { JobMiddleware } from './worker/run-job.js';

export type { JobStatus } from './drivers/contract.js';

/** Where a job's `handle` runs: see `Job.isolation()`. */
export type JobIsolation = 'none' | 'thread' | 'process';

/** What a running job gets from the worker. */
export interface JobContext {
  /** Aborted when the attempt times out, the lease is lost, or the worker stops for good. */
  signal: AbortSignal;
  /** 1 on the first run; counted when the job is reserved. */
  attempt: number;
  maxAttempts: number;
  jobId: string;
  queueName: string;
  /** The batch this job belongs to (`dispatcher.batch`), or null. */
  batchId: string | null;
  /**
   * Stores the job's progress: a number from 0 to 100 or a JSON object. Readers see it in
   * `find()` and the `job:progress` event. Resolves once stored (a lost lease stores nothing).
   */
  progress(value: JobProgress): Promise<void>;
  /** The job's `jobName()`. */
  jobName: string;
  /**
   * Puts the job back on its queue, due in `delaySeconds`, without failing it: the attempt is
   * given back. Call it and return from `handle`; what `handle` then returns or throws is ignored.
   */
  release(delaySeconds?: number): void;
}

/** What `ctx.progress()` takes: a percentage (0 to 100) or a JSON object. */
export type JobProgress = number | Record<string, unknown>;

/**
 * A job as the dispatcher reads it back: the seed's `jobs` row in camelCase (the store's
 * `StoredJob` without the engine's `meta`), with the payload parsed.
 */
export interface JobRecord extends Omit<StoredJob, 'payload' | 'meta' | 'progress' | 'result'> {
  /** The parsed payload; the raw text when the stored payload is not valid JSON, `[encrypted]` without its key. */
  payload: unknown;
  /** The last `ctx.progress()` value, or null. */
  progress: JobProgress | null;
  /** The JSON value `handle` returned (null when it returned nothing or the value could not be stored). */
  result: unknown;
  /** The job's sensitive field names (lower-cased), recorded at dispatch: readers redact them. */
  sensitiveFields?: string[];
}

/** A job class: constructible, with an optional static `deserialize`. */
export interface JobClass<T extends Job = Job> {
  new (...args: never[]): T;
  prototype: T;
  name: string;
  deserialize?(payload: unknown): T;
}

/**
 * A unit of background work. Subclasses implement `handle`; every other method has the seed's
 * default (taken from the config when not overridden).
 */
export abstract class Job {
  /** Stable name that finds the class again in the registry. Minifiers rename classes: override it. */
  jobName(): string {
    return this.constructor.name;
  }

  /** Runs the job. A JSON value it returns is kept as the job's `result`. */
  abstract handle(ctx: JobContext): Promise<unknown> | unknown;

  maxAttempts(): number {
    return jobDefaults().maxAttempts;
  }

  /** Seconds to wait after attempt `attempt` failed. */
  retryDelay(attempt: number): number {
    return jobDefaults().retryDelay(attempt);
  }

  queueName(): string {
    return jobDefaults().defaultQueue;
  }

  /** Lower runs first. */
  priority(): number {
    return 0;
  }

  /** Seconds one attempt may run, or null for no limit. */
  timeout(): number | null {
    return jobDefaults().timeout;
  }

  /**
   * Where `handle` runs: in the worker's own thread (`'none'`), or in a pooled worker thread or
   * child process that is terminated at the timeout (see docs/isolation.md). An isolated class
   * names its module: `static module = import.meta.url`.
   */
  isolation(): JobIsolation {
    return 'none';
  }

  /** Megabytes of heap an isolated attempt may use (16 to 65536); null for Node's default. */
  memoryLimitMb(): number | null {
    return null;
  }

  /** False: `dispatch` runs the job inline instead of queueing it. */
  shouldQueue(): boolean {
    return true;
  }

  /** When the job becomes due; null for now. */
  availableAt(): Date | null {
    return null;
  }

  /** True: the stored payload is AES-256-GCM ciphertext under JOBWRIGHT_KEY (see encryption.ts). */
  encrypted(): boolean {
    return false;
  }

  /** The payload to store: by default the instance's own fields. */
  serialize(): unknown {
    return { ...this };
  }

  /**
   * Unique jobs: while a live job (pending, processing, retrying) of the same class and queue
   * has this id, dispatching another stores nothing and resolves to the live job's id. Null: not unique.
   */
  uniqueId(): string | null {
    return null;
  }

  /** Seconds after dispatch the unique lock lapses even while the job lives; 0: until it completes or fails for good. */
  uniqueFor(): number {
    return 0;
  }

  /** The group (a tenant, a user) the queue's `groupConcurrency` / `groupRate` limits count this job in. */
  group(): string | null {
    return null;
  }

  /** Middleware that wraps this class's `handle` (after the dispatcher's): `RateLimited`, `WithoutOverlapping`, ... */
  middleware(): JobMiddleware[] {
    return [];
  }

  /** Called once, after the last attempt failed and the job's status became `failed`. */
  failed(_error: Error): Promise<void> | void {}
}

/**
 * Which of a job's settings come from the job itself, and which fall back to the dispatcher's
 * config: a method left as inherited from `Job` takes the dispatcher's value, so two
 * dispatchers with different configs each apply their own defaults.
 */
export function resolveJobSettings(job: Job, defaults: JobDefaults) {
  const own = (method: keyof Job) =>
    (job as unknown as Record<string, unknown>)[method] !== Job.prototype[method];
  return {
    maxAttempts: own('maxAttempts') ? job.maxAttempts() : defaults.maxAttempts,
    queueName: own('queueName') ? job.queueName() : defaults.defaultQueue,
    timeout: own('timeout') ? job.timeout() : defaults.timeout,
    retryDelay: (attempt: number) =>
      own('retryDelay') ? job.retryDelay(attempt) : defaults.retryDelay(attempt),
  };
}
