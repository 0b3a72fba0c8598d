import { randomUUID } from 'node:crypto';
import { RedisQueueDriver } from '../../src/index.js';
import { REDIS_URL, serviceAvailable } from '../support/services.js';
import { dropRedisPrefix } from '../support/stores.js';
import { runDriverConformance } from './driver-conformance.js';

const available = await serviceAvailable('redis');

/** Each test gets its own key prefix; cleanup deletes every key under it. */
let prefix = '';
const drivers: RedisQueueDriver[] = [];

runDriverConformance(
  'redis',
  {
    async make() {
      prefix = `jwtest-${randomUUID().slice(0, 8)}`;
      const driver = new RedisQueueDriver({ url: REDIS_URL, prefix });
      drivers.push(driver);
      return driver;
    },
    async connectAgain() {
      const driver = new RedisQueueDriver({ url: REDIS_URL, prefix });
      drivers.push(driver);
      return driver;
    },
    async cleanup() {
      for (const driver of drivers.splice(0)) await driver.close();
      await dropRedisPrefix(prefix);
    },
  },
  { skip: !available },
);
