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
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';

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
        const schema = uniqueName('jw_monitoring');
        schemas.push(schema);
        return track(new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 }));
      },
      cleanup: async () => {
        await closeOpened();
        for (const schema of schemas.splice(0)) await dropPgSchema(schema);
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
        for (const prefix of prefixes.splice(0)) await dropRedisPrefix(prefix);
      },
    });
  }
  return stores;
}
