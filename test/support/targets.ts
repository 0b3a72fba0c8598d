import { EventEmitter } from 'node:events';
import { type FSWatcher, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DatabaseQueueDriver,
  MemoryQueueDriver,
  type QueueDriver,
  RedisQueueDriver,
  SqliteQueueDriver,
} from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from './services.js';
import { dropPgSchema, dropRedisPrefixes } from './stores.js';
import { uniqueName } from './unique.js';

/**
 * The one registry of the stores tests run on (conformance, activity and monitoring, dashboard,
 * fault tests). Each `make()` opens a fresh, empty place of its own: a SQLite file, a PostgreSQL
 * schema or a Redis key prefix no other run can share (./unique.ts); `cleanup()` closes every
 * driver made and removes every place. Child processes open the same place with `openStore`.
 */
export type StoreName = 'memory' | 'sqlite' | 'postgres' | 'redis';
/** The stores a second process can open. */
export type SharedStoreName = Exclude<StoreName, 'memory'>;
/** What a process needs to open a place (JSON-safe): a file; a URL and schema; a URL and prefix; options. */
export type StoreSpec = Record<string, string>;
/** Driver options a test may vary; every driver takes them. */
export interface MakeOptions {
  history?: boolean;
}

export interface StoreTarget {
  name: StoreName;
  /** A fresh, empty driver in a place of its own (`history: false` turns attempt history and metrics off). */
  make(options?: MakeOptions): Promise<QueueDriver>;
  /** A second driver on the place of the last `make()`, as another process would open it (not for memory). */
  connectAgain?(): Promise<QueueDriver>;
  /** What a child process passes to `openStore` to open the place of the last `make()` (not for memory). */
  spec?(): StoreSpec;
  /** Closes every driver made (closing one already closed is harmless) and removes every place. */
  cleanup(): Promise<void>;
}

/** Drivers made by one target, closed at cleanup whether or not their dispatcher closed them. */
function tracked() {
  const drivers: QueueDriver[] = [];
  return {
    add<T extends QueueDriver>(driver: T): T {
      drivers.push(driver);
      return driver;
    },
    async closeAll(): Promise<void> {
      for (const driver of drivers.splice(0)) await driver.close().catch(() => {});
    },
  };
}

export function memoryTarget(): StoreTarget {
  return {
    name: 'memory',
    make: async (options) => new MemoryQueueDriver({ ...options }),
    cleanup: async () => {},
  };
}

/** A file per `make()` in a temp folder of this target. */
export function sqliteTarget(label = 'jw_sqlite'): StoreTarget {
  const drivers = tracked();
  let dir: string | undefined;
  let count = 0;
  let file = '';
  return {
    name: 'sqlite',
    make: async (options) => {
      dir ??= mkdtempSync(join(tmpdir(), `${label}-`));
      file = join(dir, `store-${++count}.sqlite`);
      return drivers.add(new SqliteQueueDriver(file, { ...options }));
    },
    connectAgain: async () => drivers.add(new SqliteQueueDriver(file)),
    spec: () => ({ file }),
    cleanup: async () => {
      await drivers.closeAll();
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

/**
 * A store on a server: a fresh place (a schema, a key prefix) per `make()`, opened by `open`;
 * `connectAgain` opens the last place with the options it was made with; cleanup drops every place.
 */
function serverTarget(
  name: SharedStoreName,
  label: string,
  open: (place: string, options?: MakeOptions) => QueueDriver,
  spec: (place: string) => StoreSpec,
  drop: (places: string[]) => Promise<void>,
): StoreTarget {
  const drivers = tracked();
  const places: string[] = [];
  let lastOptions: MakeOptions | undefined;
  return {
    name,
    make: async (options) => {
      places.push(uniqueName(label));
      lastOptions = options;
      return drivers.add(open(places.at(-1)!, options));
    },
    connectAgain: async () => drivers.add(open(places.at(-1)!, lastOptions)),
    spec: () => spec(places.at(-1)!),
    cleanup: async () => {
      await drivers.closeAll();
      await drop(places.splice(0));
    },
  };
}

/** A schema per `make()`; small pools keep the shared server's connections for suites running beside. */
export function postgresTarget(label = 'jw_pg', url = DATABASE_URL): StoreTarget {
  return serverTarget(
    'postgres',
    label,
    (schema, options) => new DatabaseQueueDriver({ connectionString: url, schema, max: 4, ...options }),
    (schema) => ({ url, schema }),
    async (schemas) => {
      for (const schema of schemas) await dropPgSchema(schema, url);
    },
  );
}

/** A key prefix per `make()`; cleanup deletes every key under the prefixes made. */
export function redisTarget(label = 'jw_redis', url = REDIS_URL): StoreTarget {
  return serverTarget(
    'redis',
    label,
    (prefix, options) => new RedisQueueDriver({ url, prefix, ...options }),
    (prefix) => ({ url, prefix }),
    (prefixes) => dropRedisPrefixes(prefixes, url),
  );
}

/**
 * Every store present: memory and SQLite always; PostgreSQL and Redis when their services answer
 * (serviceAvailable logs the skip, or fails under CI). `label` names the places made.
 */
export async function targetsPresent(label: string): Promise<StoreTarget[]> {
  const targets = [memoryTarget(), sqliteTarget(label)];
  if (await serviceAvailable('postgres')) targets.push(postgresTarget(label));
  if (await serviceAvailable('redis')) targets.push(redisTarget(label));
  return targets;
}

/**
 * How a child process opens a place from its spec: a FIXED map from store name to a factory, so
 * a process never imports a module named by data. Besides the place, a spec may carry options:
 * idlePollMs and watch: 'silent' (SQLite); applicationName and timeoutMs (PostgreSQL);
 * waitReplicas and timeoutMs (Redis).
 */
const OPENERS: Record<SharedStoreName, (spec: StoreSpec) => QueueDriver> = {
  sqlite: (spec) =>
    new SqliteQueueDriver(required(spec, 'file'), {
      ...(spec.idlePollMs ? { idlePollMs: Number(spec.idlePollMs) } : {}),
      // 'silent': a file system whose watch never reports anything (the wake-up fallback test).
      ...(spec.watch === 'silent' ? { watch: silentWatch } : {}),
    }),
  postgres: (spec) =>
    new DatabaseQueueDriver({
      connectionString: required(spec, 'url'),
      schema: required(spec, 'schema'),
      applicationName: spec.applicationName || 'jobwright-test',
      max: 4,
      ...(spec.timeoutMs ? { queryTimeoutMs: Number(spec.timeoutMs) } : {}),
    }),
  redis: (spec) =>
    new RedisQueueDriver({
      url: required(spec, 'url'),
      prefix: required(spec, 'prefix'),
      ...(spec.waitReplicas ? { waitReplicas: Number(spec.waitReplicas) } : {}),
      ...(spec.timeoutMs ? { commandTimeoutMs: Number(spec.timeoutMs) } : {}),
    }),
};

export function openStore(name: string, spec: StoreSpec): QueueDriver {
  const opener = Object.hasOwn(OPENERS, name) ? OPENERS[name as SharedStoreName] : undefined;
  if (!opener) throw new Error(`No store named '${name}' (known: ${Object.keys(OPENERS).join(', ')})`);
  return opener(spec);
}

function required(spec: StoreSpec, key: string): string {
  const value = spec[key];
  if (typeof value !== 'string' || value === '') throw new Error(`The store spec needs '${key}'`);
  return value;
}

/** An fs.watch stand-in that never emits, as on a file system without change events. */
export function silentWatch(): FSWatcher {
  return Object.assign(new EventEmitter(), {
    close() {},
    ref() {
      return this;
    },
    unref() {
      return this;
    },
  }) as unknown as FSWatcher;
}
