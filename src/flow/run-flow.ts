import { CANCELLED } from '../drivers/flow-contract.js';
import { InvalidJobError, JobwrightError } from '../errors.js';
import { Job } from '../job.js';
import type { JobMiddleware } from '../worker/run-job.js';

/** The reason a cancelled job's signal aborts with; its `errorMessage` starts with "Cancelled". */
export class CancelledError extends JobwrightError {
  constructor() {
    super('JOB_CANCELLED', `${CANCELLED} by dispatcher.cancel() while running`);
  }
}

/** `ctx.release(delaySeconds)` in ms; a bad delay is a typed error in the job's attempt. */
export function releaseDelayMs(delaySeconds: unknown): number {
  if (typeof delaySeconds !== 'number' || !Number.isFinite(delaySeconds) || delaySeconds < 0) {
    throw new InvalidJobError(
      'INVALID_RELEASE_DELAY',
      `ctx.release(${String(delaySeconds)}): give a number of seconds, 0 or more`,
    );
  }
  return Math.round(Math.min(delaySeconds, 365 * 86_400) * 1000);
}

/** The dispatcher's middleware, then the class's own (`Job.middleware()`), outermost first. */
export function classMiddleware(dispatcherWide: JobMiddleware[], instance: Job): JobMiddleware[] {
  // Inherited unchanged from Job: nothing to add (the common case costs one comparison).
  if (typeof instance.middleware !== 'function' || instance.middleware === Job.prototype.middleware) {
    return dispatcherWide;
  }
  const own = instance.middleware();
  if (!Array.isArray(own) || own.length === 0) return dispatcherWide;
  for (const mw of own) {
    if (typeof mw !== 'function' && typeof (mw as { handle?: unknown })?.handle !== 'function') {
      throw new InvalidJobError(
        'INVALID_MIDDLEWARE',
        `${instance.jobName()}.middleware() must return functions or objects with handle(ctx, next)`,
      );
    }
  }
  return [...dispatcherWide, ...own];
}
