import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseQueueDriver, RedisQueueDriver, SqliteQueueDriver } from '../../src/index.js';
import type { FaultDriverName } from '../support/fault/drivers.js';
import { type FaultRun, makeFaultRun } from '../support/fault/scenarios.js';
import type { LedgerWorker } from '../support/fault/spawn-worker.js';
import { DATABASE_URL, REDIS_URL } from '../support/services.js';
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';

/** The stores the chaos runs play on: the three durable drivers, and Redis Cluster. */
export const CHAOS_DRIVERS = ['sqlite', 'postgres', 'redis', 'redis-cluster'] as const;
export type ChaosDriver = (typeof CHAOS_DRIVERS)[number];

export type ChaosRun = FaultRun & { workers: LedgerWorker[] };

export interface ChaosStoreOptions {
  /** PostgreSQL URL (default DATABASE_URL); a proxy's URL to put a proxy between workers and the store. */
  databaseUrl?: string;
  /** Redis URL (default REDIS_URL); for 'redis-cluster' a `redis+cluster://` URL is required. */
  redisUrl?: string;
  /** Extra settings for the worker processes' driver spec (e.g. a proxy URL for them only). */
  workerSpec?: Record<string, string>;
}

/**
 * A fresh, isolated store for one chaos run (its own SQLite file, PostgreSQL schema or Redis key
 * prefix), with the shared fault harness around it: producer, ledger, worker processes, cleanup.
 */
export function chaosRun(driver: ChaosDriver, options: ChaosStoreOptions = {}): ChaosRun {
  const label = uniqueName(`jwchaos_${driver.replace('-', '_')}`);
  const dir = mkdtempSync(join(tmpdir(), `${label}-`));
  const make = (
    driverName: FaultDriverName,
    spec: Record<string, string>,
    store: SqliteQueueDriver | DatabaseQueueDriver | RedisQueueDriver,
    dropStore?: () => Promise<void>,
  ) =>
    makeFaultRun({
      driverName,
      spec: { ...spec, ...options.workerSpec },
      driver: store,
      dir,
      ...(dropStore ? { dropStore } : {}),
    });
  switch (driver) {
    case 'sqlite': {
      const file = join(dir, 'jobs.sqlite');
      return make('sqlite', { file }, new SqliteQueueDriver(file));
    }
    case 'postgres': {
      const url = options.databaseUrl ?? DATABASE_URL;
      return make(
        'postgres',
        { url, schema: label, applicationName: `jw-chaos-${label}` },
        new DatabaseQueueDriver({ connectionString: url, schema: label, max: 4 }),
        () => dropPgSchema(label, url),
      );
    }
    case 'redis': {
      const url = options.redisUrl ?? REDIS_URL;
      return make('redis', { url, prefix: label }, new RedisQueueDriver({ url, prefix: label }), () =>
        dropRedisPrefix(label, url),
      );
    }
    case 'redis-cluster': {
      const url = options.redisUrl;
      if (!url?.startsWith('redis+cluster://'))
        throw new Error("'redis-cluster' needs a redis+cluster:// URL");
      // The cluster is private to the run and removed with it: its keys need no dropping.
      return make('redis', { url, prefix: label }, new RedisQueueDriver({ url, prefix: label }));
    }
  }
}
