import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, describe } from 'vitest';
import { RedisQueueDriver } from '../../src/index.js';
import { runDriverConformance } from '../conformance/driver-conformance.js';
import { makeFaultRun, runFaultScenarios } from '../support/fault/scenarios.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
import { servicesRequired } from '../support/services.js';

/**
 * The shared conformance suite (batches and schedules included) and the shared fault scenarios
 * on a private Redis Cluster (three masters with a replica each, on free high ports; removed after
 * the file), through the `redis+cluster://` URL a deployment would use.
 */
const installed = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));
if (!installed && servicesRequired) throw new Error('redis-server is not installed, and CI requires it');
if (!installed) console.warn('SKIPPED: Redis Cluster tests, because redis-server is not installed');

const cluster = installed ? await PrivateRedisCluster.start() : undefined;
afterAll(() => cluster?.stop());

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
