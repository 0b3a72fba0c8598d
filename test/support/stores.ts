import { DATABASE_URL, REDIS_URL } from './services.js';

/**
 * Removing what a test put in a shared store, so suites running at the same time against the
 * same PostgreSQL and Redis never see each other's leftovers. The clients are imported lazily so
 * a file that only ever uses one store does not load the other's client.
 */

/** Deletes every key of the driver key prefix `prefix` (the driver writes them as `{prefix...`). */
export async function dropRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const { Redis } = await import('ioredis');
  const admin = new Redis(url);
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
}

/** Drops the PostgreSQL schema `schema` and everything in it, if it exists. */
export async function dropPgSchema(schema: string, connectionString = DATABASE_URL): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
