import type { QueueDriver } from '../drivers/contract.js';
import type { JobContext } from '../job.js';
import type { JobMiddleware } from '../worker/run-job.js';
import { ActivityLoggedJob, driverActivityLogger } from './activity-logged-job.js';

/**
 * Worker middleware that runs every `ActivityLoggedJob` through `handleWithLogging()`, writing
 * its entries to the store `getDriver` resolves to. Other jobs pass straight through. Every
 * `JobDispatcher` installs it first, so activity logging needs no setup.
 */
export function activityMiddleware(
  getDriver: () => Promise<Pick<QueueDriver, 'logActivity'>>,
): JobMiddleware {
  const logged = async (job: ActivityLoggedJob, ctx: JobContext, next: () => Promise<void>) => {
    const logger = driverActivityLogger(await getDriver());
    await job.handleWithLogging(ctx, { logger, run: next });
  };
  // Not async itself: other jobs pass through without an extra promise.
  return (job, ctx, _record, next) => (job instanceof ActivityLoggedJob ? logged(job, ctx, next) : next());
}
