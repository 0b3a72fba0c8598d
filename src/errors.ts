/** Typed errors: each says what is wrong and what to do about it. */

export class JobwrightError extends Error {
  /** A stable machine-readable code, e.g. `INVALID_QUEUE_NAME`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A job, queue name or payload that cannot be dispatched. Nothing was stored. */
export class InvalidJobError extends JobwrightError {}

/** A payload that cannot be stored as JSON (function, cycle, BigInt, Map) or is over the size limit. */
export class PayloadError extends InvalidJobError {}

/**
 * A job name that two classes claim: registering a second class under a taken name
 * (`DUPLICATE_JOB_NAME`), or dispatching a job whose `jobName()` is registered to another class
 * (`JOB_NAME_TAKEN`), which a worker would run with the other class's code.
 */
export class JobNameConflictError extends InvalidJobError {}

/** A configuration value that is missing or not one the setting accepts. */
export class ConfigError extends JobwrightError {}

/** A stored job whose name no registered class answers to. */
export class UnknownJobError extends JobwrightError {}

/** A stored payload that cannot be read back into a job. */
export class CorruptPayloadError extends JobwrightError {}

/** An attempt that outlived its `timeout()`. */
export class JobTimeoutError extends JobwrightError {
  constructor(seconds: number) {
    super('JOB_TIMEOUT', `Job timed out after ${seconds} s (raise timeout() or make the job faster)`);
  }
}

/** An optional peer dependency (pg, ioredis) that a driver needs is not installed. */
export class MissingDependencyError extends JobwrightError {}

/** The store cannot be opened or used (not a database, no write permission, unreachable). */
export class StoreError extends JobwrightError {}

/**
 * The store this process opened is gone for good (SQLite: its file was deleted or replaced while
 * open). Workers on it stop; restart the process to open the store anew.
 */
export class StoreLostError extends StoreError {}

/** `dispatcher.waitFor` gave up: the job did not finish within the timeout (code `WAIT_TIMEOUT`). */
export class WaitTimeoutError extends JobwrightError {}

/** No job (or batch) with that id is stored (code `JOB_NOT_FOUND` or `BATCH_NOT_FOUND`). */
export class NotFoundError extends JobwrightError {}
