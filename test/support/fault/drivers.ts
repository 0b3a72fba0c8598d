import { EventEmitter } from 'node:events';
import type { FSWatcher } from 'node:fs';
import type { QueueDriver } from '../../../src/index.js';

/**
 * How a fault-test worker process opens the store under test: a FIXED map from driver name to
 * a factory, so a process never imports a module named by data. The spec comes from the
 * FAULT_DRIVER_SPEC environment variable (JSON) and holds what that driver needs (a file, a
 * URL and schema, a URL and key prefix). Add one entry per driver.
 */
export type FaultDriverName = 'sqlite' | 'postgres' | 'redis';
export type FaultDriverSpec = Record<string, string>;

export const FAULT_DRIVERS: Partial<
  Record<FaultDriverName, (spec: FaultDriverSpec) => Promise<QueueDriver>>
> = {
  sqlite: async (spec) => {
    const { SqliteQueueDriver } = await import('../../../src/drivers/sqlite/sqlite-driver.js');
    return new SqliteQueueDriver(required(spec, 'file'), {
      ...(spec.idlePollMs ? { idlePollMs: Number(spec.idlePollMs) } : {}),
      // 'silent': a file system whose watch never reports anything (the wake-up fallback test).
      ...(spec.watch === 'silent' ? { watch: silentWatch } : {}),
    });
  },
  postgres: async (spec) => {
    const { DatabaseQueueDriver } = await import('../../../src/drivers/postgres/postgres-driver.js');
    return new DatabaseQueueDriver({
      connectionString: required(spec, 'url'),
      schema: required(spec, 'schema'),
      applicationName: spec.applicationName || 'jobwright-fault',
      max: 4,
      ...(spec.timeoutMs ? { queryTimeoutMs: Number(spec.timeoutMs) } : {}),
    });
  },
  redis: async (spec) => {
    const { RedisQueueDriver } = await import('../../../src/drivers/redis/redis-driver.js');
    return new RedisQueueDriver({
      url: required(spec, 'url'),
      prefix: required(spec, 'prefix'),
      ...(spec.waitReplicas ? { waitReplicas: Number(spec.waitReplicas) } : {}),
      ...(spec.timeoutMs ? { commandTimeoutMs: Number(spec.timeoutMs) } : {}),
    });
  },
};

export async function openFaultDriver(name: string, spec: FaultDriverSpec): Promise<QueueDriver> {
  const factory = Object.hasOwn(FAULT_DRIVERS, name) ? FAULT_DRIVERS[name as FaultDriverName] : undefined;
  if (!factory)
    throw new Error(`No fault-test driver named '${name}' (known: ${Object.keys(FAULT_DRIVERS).join(', ')})`);
  return factory(spec);
}

export function required(spec: FaultDriverSpec, key: string): string {
  const value = spec[key];
  if (typeof value !== 'string' || value === '') throw new Error(`The fault driver spec needs '${key}'`);
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
