import { InvalidJobError } from './errors.js';

/**
 * Bounds on when a job may be due. Every store keeps due times as dates (PostgreSQL
 * timestamptz, SQLite and Redis milliseconds, the memory heap): a bound here keeps an Invalid
 * Date or an out-of-range year out of all of them.
 */

/** Node timers overflow (and fire at once) past this many milliseconds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The furthest a job may be scheduled ahead: `{ delay }`, `availableAt()` and `retryDelay()`. */
export const MAX_DELAY_SECONDS = 10 * 365 * 24 * 3600;

/** `{ delay }` in seconds: finite, from 0 to ten years. */
export function assertDelay(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    throw new InvalidJobError(
      'INVALID_DELAY',
      `Invalid delay ${String(value)}: use seconds from 0 to ${MAX_DELAY_SECONDS} (ten years)`,
    );
  }
  return value;
}

/** `availableAt()`: null, or a valid Date from 1970 to ten years from now. */
export function assertAvailableAt(jobName: string, value: unknown, now = Date.now()): Date | null {
  if (value === null || value === undefined) return null;
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time) || time < 0 || time > now + MAX_DELAY_SECONDS * 1000) {
    throw new InvalidJobError(
      'INVALID_AVAILABLE_AT',
      `${jobName}.availableAt() returned ${describeTime(value)}: return null or a valid Date from 1970 to ten years from now`,
    );
  }
  return value as Date;
}

/**
 * The seconds a job's `retryDelay(attempt)` asks for. Not a finite number from 0 to ten years
 * (Infinity, NaN, negative, not a number) is an error, not a silent 0: the worker fails the job
 * with this error as the reason instead of retrying it. (It is not asked at dispatch: the
 * method is the job's code, called only when a retry is due.)
 */
export function assertRetryDelay(jobName: string, attempt: number, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    throw new InvalidJobError(
      'INVALID_RETRY_DELAY',
      `${jobName}.retryDelay(${attempt}) returned ${describeTime(value)}: return seconds from 0 to ${MAX_DELAY_SECONDS} (ten years)`,
    );
  }
  return value;
}

function describeTime(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an Invalid Date' : value.toISOString();
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'object') return value === null ? 'null' : 'an object';
  return String(value);
}
