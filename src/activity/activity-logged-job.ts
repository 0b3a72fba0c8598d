import { monotonicFactory } from 'ulid';
import type { ActivityEvent, NewActivityEntry, QueueDriver } from '../drivers/contract.js';
import { JobwrightError } from '../errors.js';
import { Job, type JobContext } from '../job.js';
import {
  redactValue,
  scrubError,
  scrubText,
  sensitiveFieldsOf,
  sensitiveValuesOf,
} from '../logging/sensitive.js';
import { toError } from '../worker/run-job.js';

/**
 * The seed's `ServiceActivityLogger`: where activity entries go. The stock one writes through the
 * driver's `logActivity` verb, so entries live in the same store as the jobs (an `activity_log`
 * table on SQL stores) and are read back with `dispatcher.activity({ jobId, limit })`.
 */
export interface ServiceActivityLogger {
  logActivity(entry: NewActivityEntry): Promise<void>;
}

/** A `ServiceActivityLogger` that writes into a driver's activity log. */
export function driverActivityLogger(driver: Pick<QueueDriver, 'logActivity'>): ServiceActivityLogger {
  return { logActivity: (entry) => driver.logActivity({ entries: [entry] }) };
}

export interface HandleWithLoggingOptions {
  /** Where entries go; defaults to the global dispatcher's store. */
  logger?: ServiceActivityLogger;
  /**
   * The work logged between "started" and "completed"/"failed"; defaults to `handle(ctx)`.
   * The worker passes the rest of its middleware chain, which ends in `handle(ctx)`.
   */
  run?: () => Promise<void> | void;
}

/** Entry ids: ULIDs, monotonic within this process. */
export const nextActivityId = monotonicFactory();
let warned = false;

/**
 * A job whose every run is written to the activity log: a "started" entry, then "completed"
 * (with its duration) or "failed" (with the error). Subclasses implement `handle()` as usual;
 * workers run ActivityLoggedJob instances through `handleWithLogging()` on their own.
 *
 * ```ts
 * class ImportUsersJob extends ActivityLoggedJob {
 *   constructor(public userId: string, public file: string) { super(); }
 *   triggeredBy() { return this.userId; }
 *   jobProperties() { return { file: this.file }; }
 *   async handle() { ... }
 * }
 * ```
 */
export abstract class ActivityLoggedJob extends Job {
  /** Who caused the work (a user id), recorded as the entry's causer; null for the system. */
  triggeredBy(): string | null {
    return null;
  }

  /** What the entries record about this run; by default the job's own fields. Sensitive ones are redacted. */
  jobProperties(): Record<string, unknown> {
    const payload = this.serialize();
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload)
      ? { ...(payload as Record<string, unknown>) }
      : { payload };
  }

  /**
   * Runs the job with activity logging and resolves or rejects as the job does. Workers call it
   * for you; call it yourself only to run a job outside a worker (a script, a test). Do not call
   * it from `handle()`: it runs `handle()`.
   */
  async handleWithLogging(ctx?: Partial<JobContext>, options: HandleWithLoggingOptions = {}): Promise<void> {
    const full: JobContext = {
      signal: ctx?.signal ?? new AbortController().signal,
      attempt: ctx?.attempt ?? 1,
      maxAttempts: ctx?.maxAttempts ?? 1,
      jobId: ctx?.jobId ?? '',
      queueName: ctx?.queueName ?? this.queueName(),
      batchId: ctx?.batchId ?? null,
      progress: ctx?.progress ?? (async () => {}),
      jobName: ctx?.jobName ?? this.jobName(),
      release: ctx?.release ?? (() => {}),
    };
    const logger = options.logger ?? (await globalActivityLogger());
    const run = options.run ?? (() => this.handle(full));
    await runWithActivity(this, full, logger, run);
  }
}

let defaultLoggerSource: (() => Promise<ServiceActivityLogger>) | undefined;

/**
 * Where `handleWithLogging()` writes when given no logger: the global dispatcher's store. The
 * global module sets it, so this module needs no import of it (which would be a cycle).
 */
export function setDefaultActivityLogger(source: () => Promise<ServiceActivityLogger>): void {
  defaultLoggerSource = source;
}

async function globalActivityLogger(): Promise<ServiceActivityLogger> {
  if (!defaultLoggerSource) {
    throw new JobwrightError(
      'NO_ACTIVITY_LOGGER',
      "handleWithLogging() needs { logger }, or jobwright's global dispatcher (import from 'jobwright')",
    );
  }
  return defaultLoggerSource();
}

/** Rejects when the signal aborts (a timeout, a lost lease, shutdown), so the entry says so at once. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(toError(signal.reason));
    else signal.addEventListener('abort', () => reject(toError(signal.reason)), { once: true });
  });
}

async function write(logger: ServiceActivityLogger, entry: NewActivityEntry): Promise<void> {
  try {
    await logger.logActivity(entry);
  } catch (error) {
    // The log is a record of the work, not part of it: a store hiccup must not fail the job.
    if (!warned) {
      warned = true;
      process.emitWarning(`jobwright: could not write an activity entry: ${toError(error).message}`);
    }
  }
}

/** The causer and redacted properties an entry records for `job`, and the values to scrub from its errors. */
export function describeForActivity(job: ActivityLoggedJob): {
  causer: string | null;
  properties: string;
  values: string[];
} {
  const fields = sensitiveFieldsOf(job);
  let causer: string | null = null;
  let props: unknown;
  try {
    const by = job.triggeredBy();
    causer = by === null || by === undefined ? null : String(by);
  } catch {
    causer = null;
  }
  try {
    props = job.jobProperties();
  } catch (error) {
    props = { propertiesError: toError(error).message };
  }
  let payload: unknown = null;
  try {
    payload = job.serialize();
  } catch {
    payload = null;
  }
  const values = sensitiveValuesOf([payload, props], fields);
  let properties: string;
  try {
    properties = JSON.stringify(redactValue(props, fields) ?? {});
  } catch (error) {
    properties = JSON.stringify({ propertiesError: toError(error).message });
  }
  return { causer: causer === null ? null : scrubText(causer, values), properties, values };
}

/** Writes "started", runs `run`, then writes "completed" or "failed"; rethrows the job's error. */
export async function runWithActivity(
  job: ActivityLoggedJob,
  ctx: JobContext,
  logger: ServiceActivityLogger,
  run: () => Promise<unknown> | unknown,
): Promise<void> {
  const { causer, properties, values } = describeForActivity(job);
  const entry = (
    event: ActivityEvent,
    durationMs: number | null,
    error: string | null,
  ): NewActivityEntry => ({
    id: nextActivityId(),
    jobId: ctx.jobId || null,
    jobName: job.jobName(),
    queueName: ctx.queueName,
    event,
    causer,
    properties,
    durationMs,
    attempt: ctx.attempt,
    error,
  });
  await write(logger, entry('started', null, null));
  const started = performance.now();
  try {
    await Promise.race([Promise.resolve().then(run), untilAborted(ctx.signal)]);
  } catch (cause) {
    const error = scrubError(cause, values);
    const durationMs = Math.round(performance.now() - started);
    await write(logger, entry('failed', durationMs, `${error.name}: ${error.message}`));
    throw error;
  }
  await write(logger, entry('completed', Math.round(performance.now() - started), null));
}
