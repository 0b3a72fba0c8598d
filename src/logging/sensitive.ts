import type { Job, JobClass, JobRecord } from '../job.js';
import { type JobMiddleware, toError } from '../worker/run-job.js';
import { storedNamesOf } from './stored-names.js';

/** What a redacted value is replaced with, in payloads, error messages, logs and activity entries. */
export const REDACTED = '[REDACTED]';

/**
 * How a job marks fields as sensitive: a static list on the class, a method on the instance,
 * or both (they add up, and a subclass adds to its parents' lists):
 *
 * ```ts
 * class ProcessPaymentJob extends Job {
 *   static sensitive = ['cardNumber'];
 *   sensitiveFields() { return this.kind === 'bank' ? ['iban'] : []; }
 * }
 * ```
 *
 * Names match payload keys at any depth, case-insensitively.
 */
export interface SensitiveJob {
  sensitiveFields?(): readonly string[];
}

/** Anything that finds a job class by name: a `JobRegistry`, or a dispatcher's `registry`. */
export interface ClassLookup {
  get(name: string): JobClass | undefined;
}

/** Values shorter than this are not scrubbed from free text: "1" or "ok" would shred every message. */
const MIN_SCRUB_LENGTH = 3;
const MAX_DEPTH = 32;

function addNames(out: Set<string>, names: unknown): void {
  if (!Array.isArray(names)) return;
  for (const name of names) if (typeof name === 'string' && name.length > 0) out.add(name.toLowerCase());
}

/** The sensitive field names (lower-cased) of a job instance or class. */
export function sensitiveFieldsOf(target: Job | JobClass | null | undefined): Set<string> {
  const names = new Set<string>();
  if (!target) return names;
  const isClass = typeof target === 'function';
  if (!isClass) addNames(names, storedNamesOf(target));
  // Static lists of the class and every ancestor: a subclass cannot drop its parent's secrets.
  let cls: unknown = isClass ? target : (target as object).constructor;
  while (typeof cls === 'function' && cls !== Function.prototype) {
    if (Object.hasOwn(cls, 'sensitive')) addNames(names, (cls as { sensitive?: unknown }).sensitive);
    cls = Object.getPrototypeOf(cls);
  }
  const instance = (isClass ? Object.create((target as JobClass).prototype) : target) as SensitiveJob;
  if (typeof instance.sensitiveFields === 'function') {
    try {
      addNames(names, instance.sensitiveFields());
    } catch {
      // A method that needs fields a bare prototype lacks: the static list still applies.
    }
  }
  return names;
}

/** A deep copy of `value` with every key named in `fields` replaced by `[REDACTED]`. */
export function redactValue(value: unknown, fields: ReadonlySet<string>, depth = 0): unknown {
  if (fields.size === 0 || value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, fields, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = fields.has(key.toLowerCase()) ? REDACTED : redactValue(item, fields, depth + 1);
  }
  return out;
}

/** The values held under sensitive keys (leaves of nested objects too), as text to scrub. */
export function sensitiveValuesOf(value: unknown, fields: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const collect = (item: unknown, inside: boolean, depth: number): void => {
    if (depth > MAX_DEPTH || item === null || item === undefined) return;
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'bigint') {
      const text = String(item);
      if (inside && text.length >= MIN_SCRUB_LENGTH) found.add(text);
      return;
    }
    if (typeof item !== 'object') return;
    if (Array.isArray(item)) {
      for (const x of item) collect(x, inside, depth + 1);
      return;
    }
    for (const [key, x] of Object.entries(item)) {
      collect(x, inside || fields.has(key.toLowerCase()), depth + 1);
    }
  };
  if (fields.size > 0) collect(value, false, 0);
  // Longest first, so a value that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each value replaced by `[REDACTED]`. */
export function scrubText(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/**
 * The error a job threw, with its sensitive values removed from the message and stack, so that
 * what is stored (`error_message`), logged and shown never holds them. The same error object is
 * returned when it can be changed in place.
 */
export function scrubError(cause: unknown, values: readonly string[]): Error {
  const error = toError(cause);
  if (values.length === 0) return error;
  const message = scrubText(error.message, values);
  const stack = error.stack === undefined ? undefined : scrubText(error.stack, values);
  if (message === error.message && stack === error.stack) return error;
  try {
    error.message = message;
    if (stack !== undefined) error.stack = stack;
    if (error.message === message) return error;
  } catch {
    // A frozen or getter-only error: fall through to a copy.
  }
  const copy = new Error(message, { cause: undefined });
  copy.name = error.name;
  if (stack !== undefined) copy.stack = stack;
  return copy;
}

/** Redacts a job's own fields (its serialized payload) by its sensitive names. */
export function redactJobPayload(job: Job): { fields: Set<string>; payload: unknown; values: string[] } {
  const fields = sensitiveFieldsOf(job);
  let payload: unknown;
  try {
    payload = job.serialize();
  } catch {
    payload = null;
  }
  return { fields, payload: redactValue(payload, fields), values: sensitiveValuesOf(payload, fields) };
}

/**
 * A job record safe to show (CLI, dashboard, logs): the payload's sensitive keys redacted and
 * their values scrubbed from the error message. The names come from the record (stored with the
 * job at dispatch, so no class is needed), from the class found by `jobName` in `registry`, and
 * from `extraFields` (names for every job, e.g. `['password']`).
 */
export function redactRecord<T extends JobRecord>(
  record: T,
  registry?: ClassLookup | null,
  extraFields: readonly string[] = [],
): T {
  const fields = sensitiveFieldsOf(registry?.get(record.jobName));
  addNames(fields, record.sensitiveFields);
  for (const name of extraFields) fields.add(name.toLowerCase());
  if (fields.size === 0) return record;
  const values = sensitiveValuesOf(record.payload, fields);
  return {
    ...record,
    payload: redactValue(record.payload, fields),
    errorMessage: record.errorMessage === null ? null : scrubText(record.errorMessage, values),
  };
}

/** `error` with the sensitive values of `job` scrubbed (unchanged when the job declares none). */
export function scrubJobError(job: Job, error: unknown): Error {
  const fields = sensitiveFieldsOf(job);
  if (fields.size === 0) return toError(error);
  let payload: unknown;
  try {
    payload = job.serialize();
  } catch {
    return toError(error);
  }
  return scrubError(error, sensitiveValuesOf(payload, fields));
}

/**
 * Worker middleware: an error thrown by a job with sensitive fields leaves with those fields'
 * values scrubbed, before the engine stores it as `error_message` or emits it to loggers.
 * Built into every dispatcher, outermost; middleware added later that reads errors should
 * call `scrubJobError` itself (activity and tracing do).
 */
export const redactErrors: JobMiddleware = (job, _ctx, _record, next) => {
  // Runs once per job: jobs without sensitive fields pass straight through.
  if (!mayHoldSecrets(job)) return next();
  return next().catch((error: unknown) => {
    throw scrubJobError(job, error);
  });
};

const declaresSecrets = new WeakMap<object, boolean>();

/** Whether a job's class declares sensitive fields (a static list or a `sensitiveFields` method); cached per class. */
function mayHoldSecrets(job: Job): boolean {
  if (storedNamesOf(job)) return true;
  const cls = job.constructor;
  let known = declaresSecrets.get(cls);
  if (known === undefined) {
    known =
      sensitiveFieldsOf(cls as JobClass).size > 0 ||
      typeof (job as SensitiveJob).sensitiveFields === 'function';
    declaresSecrets.set(cls, known);
  }
  return known;
}
