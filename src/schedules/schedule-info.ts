import type { JobSpec, StoredSchedule } from '../drivers/composition.js';
import { nextTicks } from './schedule-rules.js';

/** A schedule as `dispatcher.schedules()` and `artisan schedule:list` show it. */
export interface ScheduleInfo {
  name: string;
  cron: string;
  timezone: string | null;
  catchUp: boolean;
  jobName: string;
  queueName: string;
  /** The last tick dispatched (its scheduled time), or null. */
  lastTick: Date | null;
  /** The next tick from now, or null when the expression never runs again. */
  nextTick: Date | null;
}

export function scheduleInfo(schedule: StoredSchedule, now: Date): ScheduleInfo {
  let spec: Partial<JobSpec> = {};
  try {
    spec = JSON.parse(schedule.job) as JobSpec;
  } catch {
    // A damaged row still lists; its ticks fail at the worker with the reason.
  }
  let nextTick: Date | null = null;
  try {
    nextTick = nextTicks(schedule.cron, schedule.timezone, now, 1)[0] ?? null;
  } catch {
    nextTick = null;
  }
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    catchUp: schedule.catchUp,
    jobName: spec.jobName ?? '?',
    queueName: spec.queueName ?? '?',
    lastTick: schedule.lastTick,
    nextTick,
  };
}
