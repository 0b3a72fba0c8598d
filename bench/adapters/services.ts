import { Redis } from 'ioredis';
import pg from 'pg';

/** The shared local services; the benchmark only ever touches its own schemas and key prefixes. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Schema and prefix names come from the benchmark itself, never from data: still, allow only plain words. */
export function assertPlainName(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,50}$/.test(name)) throw new Error(`Unsafe namespace name: ${name}`);
  return name;
}

export async function withPg<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${assertPlainName(schema)}" CASCADE`));
}

export async function recreateSchema(schema: string): Promise<void> {
  await withPg(async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS "${assertPlainName(schema)}" CASCADE`);
    await c.query(`CREATE SCHEMA "${schema}"`);
  });
}

/** A connection string whose sessions use `schema` first (for drivers that take only a URL). */
export function urlWithSearchPath(schema: string): string {
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${assertPlainName(schema)}`);
  return url.toString();
}

/**
 * Deletes every key matching one of the SCAN patterns (each must start with a fixed part of at
 * least 6 characters) with SCAN + UNLINK: never FLUSHALL, other users share this Redis.
 */
export async function deleteRedisKeys(...patterns: string[]): Promise<number> {
  for (const pattern of patterns) {
    if (!/^[^*?[\]]{6,}/.test(pattern)) throw new Error(`Refusing to delete keys matching '${pattern}'`);
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  let deleted = 0;
  try {
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        // Small SCAN steps: a big COUNT blocks the shared Redis for over 10 ms per call.
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function serverVersions(): Promise<{ postgres: string; redis: string }> {
  let postgres = 'unreachable';
  let redis = 'unreachable';
  try {
    postgres = await withPg(async (c) => (await c.query('SHOW server_version')).rows[0].server_version);
  } catch {
    // reported as unreachable
  }
  try {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const info = await client.info('server');
    redis = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    client.disconnect();
  } catch {
    // reported as unreachable
  }
  return { postgres, redis };
}
