import type { QueueDriver } from '../drivers/contract.js';
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
  return async (job, ctx, _record, next) => {
    if (!(job instanceof ActivityLoggedJob)) return next();
    const logger = driverActivityLogger(await getDriver());
    await job.handleWithLogging(ctx, { logger, run: next });
  };
}
