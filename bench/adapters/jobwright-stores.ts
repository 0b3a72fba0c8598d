import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueueDriver } from '../../src/index.js';
import type { SystemModule } from '../types.js';
import { JOBWRIGHT_SETTINGS, jobwrightAdapter } from './jobwright.js';
import { DATABASE_URL, deleteRedisKeys, dropSchema, REDIS_URL, recreateSchema } from './services.js';
import { jobwrightVersion } from './versions.js';

type DriverClass = new (...args: never[]) => QueueDriver;

/**
 * The durable drivers are being written alongside this benchmark: look each one up among the
 * package root's exports, so that a driver not there yet is skipped with a note, not a crash.
 */
async function driverClass(name: string): Promise<DriverClass | string> {
  const root = (await import('../../src/index.js')) as Record<string, unknown>;
  const cls = root[name];
  if (typeof cls !== 'function') return `${name} is not exported from src/index.ts yet`;
  return cls as DriverClass;
}

function system(multiProcess: boolean, open: SystemModule['open']): SystemModule {
  return { version: jobwrightVersion(), settings: JOBWRIGHT_SETTINGS, multiProcess, open };
}

/**
 * `history: false` measures the drivers with attempt history and metrics switched off, beside
 * the default (on) in the same run (SPEC decision: features added later are measured on and off).
 */
export async function loadSqlite(history = true): Promise<SystemModule | string> {
  const Driver = await driverClass('SqliteQueueDriver');
  if (typeof Driver === 'string') return Driver;
  const make = Driver as unknown as new (file: string, options: { history: boolean }) => QueueDriver;
  return system(true, async (ns) => {
    const file = join(tmpdir(), `${ns}.sqlite`);
    const removeFiles = async () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
    };
    return jobwrightAdapter({
      makeDriver: async () => new make(file, { history }),
      clear: removeFiles,
      drop: removeFiles,
    });
  });
}

/**
 * `asyncCommit: 'all'` measures the driver with completions, retries and failures committed
 * without waiting for the WAL flush (a database crash may then forget an accepted completion),
 * beside the default ('reservations').
 */
export async function loadPostgres(
  history = true,
  asyncCommit: 'reservations' | 'all' = 'reservations',
): Promise<SystemModule | string> {
  const Driver = await driverClass('DatabaseQueueDriver');
  if (typeof Driver === 'string') return Driver;
  const make = Driver as unknown as new (options: {
    connectionString: string;
    schema: string;
    history: boolean;
    asyncCommit: 'reservations' | 'all';
  }) => QueueDriver;
  return system(true, async (schema) =>
    jobwrightAdapter({
      makeDriver: async () => new make({ connectionString: DATABASE_URL, schema, history, asyncCommit }),
      clear: () => recreateSchema(schema),
      drop: () => dropSchema(schema),
    }),
  );
}

export async function loadRedis(history = true): Promise<SystemModule | string> {
  const Driver = await driverClass('RedisQueueDriver');
  if (typeof Driver === 'string') return Driver;
  const make = Driver as unknown as new (options: {
    url: string;
    prefix: string;
    history: boolean;
  }) => QueueDriver;
  return system(true, async (prefix) => {
    // The driver's keys are `{prefix}:...` and `{prefix:queue}:...` (hash tags); match both, not more.
    const patterns = [`{${prefix}}*`, `{${prefix}:*`];
    return jobwrightAdapter({
      makeDriver: async () => new make({ url: REDIS_URL, prefix, history }),
      clear: async () => void (await deleteRedisKeys(...patterns)),
      drop: async () => void (await deleteRedisKeys(...patterns)),
    });
  });
}
