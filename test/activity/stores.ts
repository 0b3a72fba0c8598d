import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDriver,
  DatabaseQueueDriver,
  DEFAULT_CONFIG,
  MemoryQueueDriver,
  type QueueDriver,
  RedisQueueDriver,
} from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';

/** A store the monitoring tests run on; each `make()` is fresh and isolated. */
export interface StoreUnderTest {
  name: string;
  make(): Promise<QueueDriver>;
  /** Closes what make() opened and removes what it created. */
  cleanup(): Promise<void>;
}

/**
 * Every store present: memory; SQLite (own temp file per make); PostgreSQL (own schema) and
 * Redis (own key prefix) when their services answer (serviceAvailable logs the skip, or fails
 * under CI).
 */
export async function storesPresent(): Promise<StoreUnderTest[]> {
  const stores: StoreUnderTest[] = [
    { name: 'memory', make: async () => new MemoryQueueDriver(), cleanup: async () => {} },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-monitoring-'));
  let n = 0;
  const opened: QueueDriver[] = [];
  const track = <T extends QueueDriver>(d: T): T => {
    opened.push(d);
    return d;
  };
  const closeOpened = async () => {
    for (const d of opened.splice(0)) await d.close().catch(() => {});
  };
  stores.push({
    name: 'sqlite',
    make: async () =>
      track(
        await createDriver({
          ...DEFAULT_CONFIG,
          connection: 'sqlite',
          sqlitePath: join(dir, `s${n++}.sqlite`),
        }),
      ),
    cleanup: async () => {
      await closeOpened();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  if (await serviceAvailable('postgres')) {
    const schemas: string[] = [];
    stores.push({
      name: 'postgres',
      make: async () => {
        const schema = `jw_monitoring_${process.pid}_${schemas.length}`;
        schemas.push(schema);
        return track(new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 }));
      },
      cleanup: async () => {
        await closeOpened();
        const pg = (await import('pg')).default;
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        try {
          for (const schema of schemas.splice(0))
            await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    });
  }
  if (await serviceAvailable('redis')) {
    const prefixes: string[] = [];
    stores.push({
      name: 'redis',
      make: async () => {
        const prefix = `jwmon-${randomUUID().slice(0, 8)}`;
        prefixes.push(prefix);
        return track(new RedisQueueDriver({ url: REDIS_URL, prefix }));
      },
      cleanup: async () => {
        await closeOpened();
        const { Redis } = await import('ioredis');
        const admin = new Redis(REDIS_URL);
        try {
          for (const prefix of prefixes.splice(0)) {
            let cursor = '0';
            do {
              const [next, keys] = await admin.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
              if (keys.length > 0) await admin.del(...keys);
              cursor = next;
            } while (cursor !== '0');
          }
        } finally {
          await admin.quit();
        }
      },
    });
  }
  return stores;
}
