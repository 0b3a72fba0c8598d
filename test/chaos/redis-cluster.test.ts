import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { RedisQueueDriver } from '../../src/index.js';
import { runDriverConformance } from '../conformance/driver-conformance.js';
import { clusterForFile } from '../support/cluster-for-file.js';
import { makeFaultRun, runFaultScenarios } from '../support/fault/scenarios.js';

/**
 * The shared conformance suite (batches and schedules included) and the shared fault scenarios
 * on a private Redis Cluster (three masters with a replica each, on free high ports; removed after
 * the file), through the `redis+cluster://` URL a deployment would use.
 */
const cluster = await clusterForFile('Redis Cluster tests');

let prefix = '';
const drivers: RedisQueueDriver[] = [];
runDriverConformance(
  'redis cluster',
  {
    async make() {
      prefix = `jwcluster-${randomUUID().slice(0, 8)}`;
      const driver = new RedisQueueDriver({ url: cluster!.url, prefix });
      drivers.push(driver);
      return driver;
    },
    async connectAgain() {
      const driver = new RedisQueueDriver({ url: cluster!.url, prefix });
      drivers.push(driver);
      return driver;
    },
    async cleanup() {
      // The cluster is private to this file and removed with it: keys need no deleting.
      for (const driver of drivers.splice(0)) await driver.close();
    },
  },
  // Batches and schedules run on a cluster too: every case, none skipped (outbox.ts).
  { skip: !cluster },
);

describe.skipIf(!cluster)('redis cluster faults through the shared fault harness', () => {
  runFaultScenarios('redis cluster', () => {
    const prefix = `jwclusterfault-${randomUUID().slice(0, 8)}`;
    return makeFaultRun({
      driverName: 'redis',
      spec: { url: cluster!.url, prefix },
      driver: new RedisQueueDriver({ url: cluster!.url, prefix }),
    });
  });
});
