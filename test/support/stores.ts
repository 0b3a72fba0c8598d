import { DATABASE_URL, REDIS_URL } from './services.js';

/**
 * Removing what a test put in a shared store, so suites running at the same time against the
 * same PostgreSQL and Redis never see each other's leftovers. The clients are imported lazily so
 * a file that only ever uses one store does not load the other's client.
 */

/** Deletes every key of the driver key prefix `prefix` (the driver writes them as `{prefix...`). */
export async function dropRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  await dropRedisPrefixes([prefix], url);
}

/**
 * Deletes every key under these prefixes (`{prefix}...` and `{prefix:queue}...`) in ONE pass over
 * the keyspace, however many prefixes: a shared Redis may hold millions of keys (another suite,
 * a benchmark, an app), and a pass per prefix made a file's cleanup take seconds per prefix on
 * a loaded machine. Prefixes made by uniqueName share their label, so the server-side MATCH is
 * on the longest common start, and each key is checked against the list here.
 */
export async function dropRedisPrefixes(prefixes: string[], url = REDIS_URL): Promise<void> {
  if (prefixes.length === 0) return;
  const { Redis } = await import('ioredis');
  const admin = new Redis(url);
  const mine = (key: string) => prefixes.some((p) => key.startsWith(`{${p}}`) || key.startsWith(`{${p}:`));
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `{${commonStart(prefixes)}*`, 'COUNT', 5000);
      const ours = keys.filter(mine);
      if (ours.length > 0) await admin.unlink(...ours);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

/** The longest start every name shares, cut before any glob character (MATCH would read it as one). */
function commonStart(names: string[]): string {
  let start = names[0]!;
  for (const name of names) while (!name.startsWith(start)) start = start.slice(0, -1);
  return start.split(/[*?[\]\\]/)[0]!;
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
