import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DatabaseQueueDriver,
  type JobConfig,
  JobDispatcher,
  type JobEventName,
  MemoryQueueDriver,
  RedisQueueDriver,
  SqliteQueueDriver,
} from '../../src/index.js';
import { DATABASE_URL, REDIS_URL } from '../support/services.js';
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';

export type StoreName = 'memory' | 'sqlite' | 'postgres' | 'redis';

/** Short real times; every job class of these tests sets its own attempts and timeout. */
export const ISOLATION_CONFIG: Partial<JobConfig> = {
  pollIntervalMs: 20,
  leaseSeconds: 2,
  leaseGraceSeconds: 1,
  shutdownGraceSeconds: 1,
  retryDelay: 0,
};

export interface Opened {
  dispatcher: JobDispatcher;
  /** Closes the dispatcher (and its isolates) and removes the store. */
  cleanup(): Promise<void>;
}

export async function openStore(store: StoreName, config: Partial<JobConfig> = {}): Promise<Opened> {
  const run = `iso_${process.pid}_${randomUUID().slice(0, 8)}`;
  const options = { config: { ...ISOLATION_CONFIG, ...config } };
  if (store === 'memory') {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver(), options);
    return { dispatcher, cleanup: () => dispatcher.close({ graceSeconds: 0 }) };
  }
  if (store === 'sqlite') {
    const file = join(tmpdir(), `jobwright-${run}.sqlite`);
    const dispatcher = new JobDispatcher(new SqliteQueueDriver(file), options);
    return {
      dispatcher,
      async cleanup() {
        await dispatcher.close({ graceSeconds: 0 });
        for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
      },
    };
  }
  if (store === 'postgres') {
    const driver = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema: run });
    const dispatcher = new JobDispatcher(driver, options);
    return {
      dispatcher,
      async cleanup() {
        await dispatcher.close({ graceSeconds: 0 });
        await dropPgSchema(run);
      },
    };
  }
  const dispatcher = new JobDispatcher(new RedisQueueDriver({ url: REDIS_URL, prefix: run }), options);
  return {
    dispatcher,
    async cleanup() {
      await dispatcher.close({ graceSeconds: 0 });
      await dropRedisPrefix(run);
    },
  };
}

/** When each job event happened (performance.now()), in order. */
export interface LedgerEntry {
  event: JobEventName;
  jobId: string;
  at: number;
}

export function recordEvents(dispatcher: JobDispatcher): LedgerEntry[] {
  const ledger: LedgerEntry[] = [];
  const events = ['job:processing', 'job:completed', 'job:retrying', 'job:failed'] as const;
  for (const event of events) {
    dispatcher.on(event, (e) => ledger.push({ event, jobId: e.jobId, at: performance.now() }));
  }
  return ledger;
}

/** Polls `check` every 10 ms until it returns true; the deadline is generous (2 shared cores). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** OS threads of this process (worker threads each add some). */
export function osThreads(): number {
  const match = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** Live child processes of this process. */
export function childPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The parent pid is the 2nd field after the parenthesised command name.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
