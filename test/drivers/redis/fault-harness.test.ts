import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { RedisQueueDriver } from '../../../src/index.js';
import { type FaultRun, makeFaultRun, runFaultScenarios } from '../../support/fault/scenarios.js';
import { REDIS_URL, serviceAvailable } from '../../support/services.js';
import { dropRedisPrefix } from '../../support/stores.js';

/**
 * The cases of RELIABILITY.md that the shared, driver-agnostic fault harness plays
 * (test/support/fault/) on Redis: a frozen worker, and a job that kills its own process. Each run
 * has its own key prefix on the shared Redis (nothing here restarts or kills the server).
 */
const available = await serviceAvailable('redis');

function redisFaultRun(): FaultRun {
  const prefix = `jwharness-${randomUUID().slice(0, 8)}`;
  return makeFaultRun({
    driverName: 'redis',
    spec: { url: REDIS_URL, prefix },
    driver: new RedisQueueDriver({ url: REDIS_URL, prefix }),
    dropStore: () => dropRedisPrefix(prefix),
  });
}

describe.skipIf(!available)('redis faults through the shared fault harness', () => {
  runFaultScenarios('redis', () => redisFaultRun());
});
