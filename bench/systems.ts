import type { SystemInfo, SystemModule } from './types.js';

/** Every system the benchmark knows, in table order. Modules load lazily: a missing one is skipped. */
export const SYSTEMS: SystemInfo[] = [
  {
    id: 'memory',
    label: 'jobwright memory',
    store: 'memory',
    family: 'jobwright',
    load: async () => (await import('./adapters/memory.js')).memorySystem,
  },
  {
    id: 'sqlite',
    label: 'jobwright SQLite',
    store: 'sqlite',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadSqlite(),
  },
  {
    id: 'postgres',
    label: 'jobwright PostgreSQL',
    store: 'postgres',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadPostgres(),
  },
  {
    id: 'graphile',
    label: 'graphile-worker',
    store: 'postgres',
    family: 'peer',
    load: async () => (await import('./adapters/graphile.js')).graphileSystem,
  },
  {
    id: 'pgboss',
    label: 'pg-boss',
    store: 'postgres',
    family: 'peer',
    load: async () => (await import('./adapters/pgboss.js')).pgbossSystem,
  },
  {
    id: 'redis',
    label: 'jobwright Redis',
    store: 'redis',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadRedis(),
  },
  // The same stores with attempt history and metrics off (JOBWRIGHT_HISTORY=off): what recording costs.
  {
    id: 'memory-nohist',
    label: 'jobwright memory, history off',
    store: 'memory',
    family: 'jobwright',
    load: async () => (await import('./adapters/memory.js')).memoryNoHistorySystem,
  },
  {
    id: 'sqlite-nohist',
    label: 'jobwright SQLite, history off',
    store: 'sqlite',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadSqlite(false),
  },
  {
    id: 'postgres-nohist',
    label: 'jobwright PostgreSQL, history off',
    store: 'postgres',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadPostgres(false),
  },
  // Completions, retries and failures committed without waiting for the WAL flush (opt-in).
  {
    id: 'postgres-async',
    label: "jobwright PostgreSQL, asyncCommit 'all'",
    store: 'postgres',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadPostgres(true, 'all'),
  },
  {
    id: 'redis-nohist',
    label: 'jobwright Redis, history off',
    store: 'redis',
    family: 'jobwright',
    load: async () => (await import('./adapters/jobwright-stores.js')).loadRedis(false),
  },
  {
    id: 'bullmq',
    label: 'BullMQ',
    store: 'redis',
    family: 'peer',
    load: async () => (await import('./adapters/bullmq.js')).bullmqSystem,
  },
];

/** Which jobwright figure is set beside which peer's: [jobwright id, peer id]. */
export const COMPARISONS: Array<[string, string]> = [
  ['postgres', 'graphile'],
  ['postgres', 'pgboss'],
  ['redis', 'bullmq'],
];

export function systemById(id: string): SystemInfo {
  const found = SYSTEMS.find((s) => s.id === id);
  if (!found) throw new Error(`Unknown system '${id}': use one of ${SYSTEMS.map((s) => s.id).join(', ')}`);
  return found;
}

export async function loadSystem(id: string): Promise<SystemModule> {
  const loaded = await systemById(id).load();
  if (typeof loaded === 'string') throw new Error(loaded);
  return loaded;
}
