import { Redis } from 'ioredis';
import { REDIS_URL, serviceAvailable } from '../support/services.js';
import { describeCliFlows } from './flows.js';

const available = await serviceAvailable('redis');

// The CLI reaches Redis the way users do, through REDIS_URL alone, which names no key prefix:
// so this file works in a logical database of its own (13), and deletes what it wrote there.
const DB = 13;

async function clear(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'jobwright*', 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

describeCliFlows(
  'redis',
  async () => {
    const url = new URL(REDIS_URL);
    url.pathname = `/${DB}`;
    await clear(url.toString());
    return { env: { REDIS_URL: url.toString() }, cleanup: () => clear(url.toString()) };
  },
  { skip: !available },
);
