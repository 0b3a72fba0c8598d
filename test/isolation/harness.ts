import { readdirSync, readFileSync } from 'node:fs';
import { type JobConfig, JobDispatcher, type JobEventName } from '../../src/index.js';
import {
  memoryTarget,
  postgresTarget,
  redisTarget,
  type StoreName,
  type StoreTarget,
  sqliteTarget,
} from '../support/targets.js';
import { waitFor } from '../support/wait.js';

export type { StoreName };

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

const TARGETS: Record<StoreName, (label: string) => StoreTarget> = {
  memory: () => memoryTarget(),
  sqlite: sqliteTarget,
  postgres: postgresTarget,
  redis: redisTarget,
};

/** A dispatcher on a fresh place of `store` (the store registry, test/support/targets.ts). */
export async function openStore(store: StoreName, config: Partial<JobConfig> = {}): Promise<Opened> {
  const target = TARGETS[store]('jw_iso');
  const dispatcher = new JobDispatcher(await target.make(), { config: { ...ISOLATION_CONFIG, ...config } });
  return {
    dispatcher,
    async cleanup() {
      await dispatcher.close({ graceSeconds: 0 });
      await target.cleanup();
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

/** Waits the suite's one way (test/support/wait.ts); the deadline is generous (2 shared cores). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  await waitFor('the isolation test condition', check, timeoutMs);
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
