import { Cron } from 'croner';
import { InvalidJobError } from '../errors.js';
import type { Job } from '../job.js';

/** Options of `dispatcher.schedule()`. */
export interface ScheduleOptions {
  /** IANA time zone the cron fields are read in (default: UTC). */
  timezone?: string;
  /** After a time with no scheduler running, dispatch the missed ticks once (one job), instead of not at all. */
  catchUp?: boolean;
}

/** A schedule of the config file's `schedules` list. */
export interface ScheduleDefinition extends ScheduleOptions {
  name: string;
  /** Cron with an optional seconds field (croner syntax), e.g. `0 3 * * *` or `*\/10 * * * * *`. */
  cron: string;
  /** The job to dispatch at each tick (a fresh copy of its payload each time). */
  job: Job;
}

const NAME = /^[A-Za-z0-9_.:@/-]{1,200}$/;

export function assertScheduleName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidJobError(
      'INVALID_SCHEDULE_NAME',
      `Invalid schedule name ${JSON.stringify(String(name)).slice(0, 80)}: use 1 to 200 letters, digits or _ . : @ / -`,
    );
  }
  return name;
}

/** A paused croner job for `cron` in `timezone` (UTC when null): it only computes times. */
export function cronOf(cron: string, timezone: string | null): Cron {
  return new Cron(cron, { paused: true, timezone: timezone ?? 'UTC' });
}

/** Checks the cron expression and time zone now, with a typed error, instead of at the first tick. */
export function assertCron(cron: unknown, timezone: unknown): { cron: string; timezone: string | null } {
  if (typeof cron !== 'string' || cron.length > 200) {
    throw new InvalidJobError(
      'INVALID_CRON',
      'A schedule needs a cron expression (a string of at most 200 characters)',
    );
  }
  if (timezone !== undefined && timezone !== null && typeof timezone !== 'string') {
    throw new InvalidJobError(
      'INVALID_TIMEZONE',
      'A schedule timezone is an IANA name such as "Europe/Paris"',
    );
  }
  let job: Cron;
  try {
    job = cronOf(cron, (timezone as string | undefined) ?? null);
  } catch (cause) {
    throw new InvalidJobError(
      'INVALID_CRON',
      `Invalid cron expression ${JSON.stringify(cron)}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  try {
    if (job.nextRun() === null) throw new Error('it never runs');
  } catch (cause) {
    throw new InvalidJobError(
      'INVALID_TIMEZONE',
      `Schedule ${JSON.stringify(cron)} in time zone ${JSON.stringify(timezone ?? 'UTC')} cannot run: ${(cause as Error).message}`,
      { cause },
    );
  }
  return { cron, timezone: (timezone as string | undefined) ?? null };
}

/** The next `count` ticks after `from`, for `schedule:list` and tests. */
export function nextTicks(cron: string, timezone: string | null, from: Date, count: number): Date[] {
  return cronOf(cron, timezone).nextRuns(count, from);
}
