import type { Cron } from 'croner';
import type { QueueDriver, StoredSchedule } from '../drivers/contract.js';
import type { CallbackSpec } from '../drivers/job-spec.js';
import type { JobEventEmitter } from '../events.js';
import { cronOf } from './schedule-rules.js';

/** The longest the scheduler sleeps: new and changed schedules are seen at least this often. */
const MAX_SLEEP_MS = 1000;
/** Ticks of one schedule dispatched in one pass at most (a late pass keeps the latest ones). */
const MAX_TICKS_PER_PASS = 100;

export interface SchedulerDeps {
  driver: () => Promise<QueueDriver>;
  newId: () => string;
  events: JobEventEmitter;
}

/**
 * Dispatches the stored schedules' ticks. Any number of schedulers may run (in one process or
 * many): each tick is claimed in the store by compare-and-set on the schedule's last tick, in one
 * step with storing its job, so exactly one of them dispatches it.
 *
 * Missed ticks: a scheduler starts from now, so ticks from before any scheduler ran are not
 * replayed, unless the schedule says `catchUp`: then the ticks missed since its last dispatched
 * one are dispatched once (one job, for the latest of them). While it runs, a late pass (a busy
 * event loop) still dispatches each tick it passed, up to 100 per pass.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Per schedule: the time up to which its ticks were looked at, and its cron (by definition). */
  private readonly cursors = new Map<string, number>();
  private readonly crons = new Map<string, { key: string; cron: Cron }>();

  constructor(private readonly deps: SchedulerDeps) {}

  get isRunning(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // A restart starts from now again: ticks that fell while stopped are missed ticks (catchUp rules).
    this.cursors.clear();
    this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private loop(): void {
    if (this.stopped) return;
    this.running = this.pass()
      .catch((error: unknown) => {
        this.deps.events.emit('worker:error', {
          workerId: 'scheduler',
          queue: '',
          error: error instanceof Error ? error : new Error(String(error)),
        });
        return MAX_SLEEP_MS;
      })
      .then((sleepMs) => {
        if (this.stopped) return;
        this.timer = setTimeout(() => this.loop(), sleepMs);
      });
  }

  /** One look at every schedule; resolves with how long to sleep before the next. */
  private async pass(): Promise<number> {
    const driver = await this.deps.driver();
    const schedules = await driver.schedules();
    const now = Date.now();
    let nextAt = now + MAX_SLEEP_MS;
    for (const schedule of schedules) {
      if (this.stopped) break;
      const cron = this.cronFor(schedule);
      if (!cron) continue;
      let next: number | null;
      try {
        next = await this.dispatchDue(driver, schedule, cron, now);
      } catch (error) {
        // One damaged schedule (or a refused insert) must not keep the others from their ticks.
        this.deps.events.emit('worker:error', {
          workerId: 'scheduler',
          queue: '',
          error: new Error(
            `Schedule ${schedule.name}: ${error instanceof Error ? error.message : String(error)}`,
          ),
        });
        continue;
      }
      if (next !== null) nextAt = Math.min(nextAt, next);
    }
    return Math.max(5, nextAt - Date.now());
  }

  private cronFor(schedule: StoredSchedule): Cron | null {
    const key = `${schedule.cron}\u0000${schedule.timezone ?? ''}`;
    const known = this.crons.get(schedule.name);
    if (known?.key === key) return known.cron;
    try {
      const cron = cronOf(schedule.cron, schedule.timezone);
      this.crons.set(schedule.name, { key, cron });
      return cron;
    } catch (error) {
      this.deps.events.emit('worker:error', {
        workerId: 'scheduler',
        queue: '',
        error: new Error(`Schedule ${schedule.name} cannot run: ${(error as Error).message}`),
      });
      return null;
    }
  }

  /** Claims and dispatches the ticks of one schedule that are due; returns when its next tick is. */
  private async dispatchDue(
    driver: QueueDriver,
    schedule: StoredSchedule,
    cron: Cron,
    now: number,
  ): Promise<number | null> {
    let cursor = this.cursors.get(schedule.name);
    let collapse = false;
    if (cursor === undefined) {
      // First look at this schedule: from now, or (catchUp) from its last dispatched tick, with
      // the missed ticks folded into one dispatch.
      cursor = schedule.catchUp && schedule.lastTick !== null ? schedule.lastTick.getTime() : now;
      collapse = true;
    }
    const due: Date[] = [];
    for (let t = cron.nextRun(new Date(cursor)); t !== null && t.getTime() <= now; t = cron.nextRun(t)) {
      due.push(t);
      if (due.length > MAX_TICKS_PER_PASS) due.shift();
    }
    const ticks = collapse ? due.slice(-1) : due;
    for (const tick of ticks) {
      const spec = JSON.parse(schedule.job) as Omit<CallbackSpec, 'id'>;
      const job = {
        ...spec,
        id: this.deps.newId(),
        delayMs: 0,
        availableAt: null,
        meta: JSON.stringify({ schedule: schedule.name, tick: tick.toISOString() }),
      };
      if (
        (await driver.claimTick({ name: schedule.name, tick, job })) &&
        this.deps.events.hasListeners('job:dispatched')
      ) {
        this.deps.events.emit('job:dispatched', {
          jobId: job.id,
          jobName: job.jobName,
          queueName: job.queueName,
          attempt: 0,
          maxAttempts: job.maxAttempts,
          delayMs: 0,
        });
      }
    }
    this.cursors.set(schedule.name, now);
    return cron.nextRun(new Date(now))?.getTime() ?? null;
  }
}
