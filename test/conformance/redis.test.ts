import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisQueueDriver } from '../../src/index.js';
import { REDIS_URL, serviceAvailable } from '../support/services.js';
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
      const admin = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await admin.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await admin.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        await admin.quit();
      }
    },
  },
  { skip: !available },
);
