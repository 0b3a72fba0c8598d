import { InvalidJobError } from './errors.js';

/** Queue names end up in SQL values, Redis keys and URLs: keep them to a safe alphabet. */
const QUEUE_NAME = /^[A-Za-z0-9\-_.:]{1,255}$/;
/** Job names find a class in the registry; never a path or module. */
const JOB_NAME = /^[A-Za-z_$][A-Za-z0-9_$.:-]{0,254}$/;

export function assertQueueName(name: unknown): string {
  if (typeof name !== 'string' || !QUEUE_NAME.test(name)) {
    throw new InvalidJobError(
      'INVALID_QUEUE_NAME',
      `Invalid queue name ${JSON.stringify(String(name)).slice(0, 80)}: use 1 to 255 letters, digits or - _ . :`,
    );
  }
  return name;
}

export function assertJobName(name: unknown): string {
  if (typeof name !== 'string' || !JOB_NAME.test(name)) {
    throw new InvalidJobError(
      'INVALID_JOB_NAME',
      `Invalid job name ${JSON.stringify(String(name)).slice(0, 80)}: start with a letter, _ or $, then up to 254 letters, digits or _ $ . : -`,
    );
  }
  return name;
}

export function assertPriority(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
    throw new InvalidJobError(
      'INVALID_PRIORITY',
      `Invalid priority ${String(value)}: use a whole number (lower runs first)`,
    );
  }
  return value;
}

export function assertMaxAttempts(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1_000_000) {
    throw new InvalidJobError(
      'INVALID_MAX_ATTEMPTS',
      `Invalid maxAttempts ${String(value)}: use a whole number from 1`,
    );
  }
  return value;
}

/** Seconds, possibly fractional, from 0 to `max` (a bound keeps timers and dates in range). */
export function assertSeconds(what: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new InvalidJobError(
      'INVALID_SECONDS',
      `Invalid ${what} ${String(value)}: use a number of seconds from 0 to ${max}`,
    );
  }
  return value;
}

/** Timeout in seconds, or null for none. */
export function assertTimeout(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value * 1000 > 2 ** 31 - 1) {
    throw new InvalidJobError(
      'INVALID_TIMEOUT',
      `Invalid timeout ${String(value)}: use seconds above 0 and at most 2147483 (Node's longest timer), or null for none`,
    );
  }
  return value;
}
