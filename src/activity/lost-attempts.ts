import type { QueueDriver } from '../drivers/contract.js';
import type { Keyring } from '../encryption.js';
import type { JobEventEmitter } from '../events.js';
import { scrubError } from '../logging/sensitive.js';
import { decodePayload } from '../payload.js';
import type { JobRegistry } from '../registry.js';
import { ActivityLoggedJob, describeForActivity, nextActivityId } from './activity-logged-job.js';

/**
 * Closes the activity history of an ActivityLoggedJob whose worker died on its last attempt: the
 * dead process wrote "started" and nothing after, and the store failed the job when its lease ran
 * out. This writes the "failed" entry the dead worker could not. (An attempt that died with
 * attempts left stays open; the next attempt's entries follow it.)
 */
export function logLostAttempts(
  events: JobEventEmitter,
  registry: JobRegistry,
  getDriver: () => Promise<Pick<QueueDriver, 'find' | 'logActivity'>>,
  keys?: Keyring,
): void {
  events.on('job:failed', (e) => {
    // durationMs is null only for jobs failed without running here: recovered, or not loadable.
    if (e.durationMs !== null) return;
    const cls = registry.get(e.jobName);
    if (!cls || !(cls.prototype instanceof ActivityLoggedJob)) return;
    void (async () => {
      const driver = await getDriver();
      const row = await driver.find({ id: e.jobId });
      let described = { causer: null as string | null, properties: '{}', values: [] as string[] };
      try {
        if (row)
          described = describeForActivity(
            registry.instantiate(e.jobName, decodePayload(row.payload, keys)) as ActivityLoggedJob,
          );
      } catch {
        // A payload that cannot be read: the entry still records the failure, without properties.
      }
      const error = scrubError(e.error, described.values);
      await driver.logActivity({
        entries: [
          {
            id: nextActivityId(),
            jobId: e.jobId,
            jobName: e.jobName,
            queueName: e.queueName,
            event: 'failed',
            causer: described.causer,
            properties: described.properties,
            durationMs: null,
            attempt: e.attempt,
            error: `${error.name}: ${error.message}`,
          },
        ],
      });
    })().catch((error: Error) =>
      process.emitWarning(
        `jobwright: could not write an activity entry for job ${e.jobId}: ${error.message}`,
      ),
    );
  });
}
