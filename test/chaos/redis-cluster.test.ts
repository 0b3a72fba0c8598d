import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisQueueDriver } from '../../src/index.js';
import { runDriverConformance } from '../conformance/driver-conformance.js';
import { makeFaultRun, runFaultScenarios } from '../support/fault/scenarios.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
import { servicesRequired } from '../support/services.js';

/**
 * The shared conformance suite and the shared fault scenarios on a private Redis Cluster (three
 * masters with a replica each, on free high ports; removed after the file), through the
 * `redis+cluster://` URL a deployment would use.
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
  // Batches and schedules are refused on a cluster (REDIS_CLUSTER_UNSUPPORTED, docs/redis.md).
  { skip: !cluster, unsupported: ['batches', 'schedules'] },
);

describe.skipIf(!cluster)('redis cluster: what is refused', () => {
  it('batches and schedules are refused with REDIS_CLUSTER_UNSUPPORTED, not run by chance', async () => {
    const driver = new RedisQueueDriver({
      url: cluster!.url,
      prefix: `jwrefuse-${randomUUID().slice(0, 8)}`,
    });
    try {
      const batch = {
        id: 'b1',
        name: null,
        allowFailures: false,
        thenJob: null,
        catchJob: null,
        finallyJob: null,
      };
      await expect(driver.createBatch({ batch, jobs: [] })).rejects.toMatchObject({
        code: 'REDIS_CLUSTER_UNSUPPORTED',
      });
      await expect(
        driver.saveSchedule({ schedule: { name: 's', cron: '* * * * *' } as never }),
      ).rejects.toMatchObject({ code: 'REDIS_CLUSTER_UNSUPPORTED' });
    } finally {
      await driver.close();
    }
  });
});

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
