import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobDispatcher, SqliteQueueDriver } from '../../../src/index.js';
import { readLedger } from '../../support/fault/ledger.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { type LedgerWorker, spawnLedgerWorker } from '../../support/fault/spawn-worker.js';

/** Short leases so that a dead worker's jobs come back within seconds: 1 s + 0.5 s grace. */
export const FAULT_ENV = {
  JOB_LEASE_SECONDS: '1',
  JOB_LEASE_GRACE_SECONDS: '0.5',
  JOB_POLL_INTERVAL_MS: '50',
};
export const LEASE_S = 1.5;

/** One SQLite file, one ledger, a producer in this process and worker processes around them. */
export function sqliteFaultRun(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `jobwright-${name}-`));
  const file = join(dir, 'jobs.sqlite');
  const ledger = join(dir, 'ledger.tsv');
  const driver = new SqliteQueueDriver(file);
  const producer = new JobDispatcher(driver, { jobs: [LedgerJob] });
  const workers: LedgerWorker[] = [];

  const spawn = (concurrency: number): LedgerWorker => {
    const worker = spawnLedgerWorker({
      driver: 'sqlite',
      spec: { file },
      ledger,
      concurrency,
      env: FAULT_ENV,
    });
    workers.push(worker);
    return worker;
  };

  return {
    file,
    ledger,
    driver,
    producer,
    workers,
    spawn,
    lines: () => readLedger(ledger),
    async cleanup(): Promise<void> {
      for (const w of workers) {
        w.kill('SIGCONT');
        w.kill('SIGKILL');
      }
      await Promise.all(workers.map((w) => w.exited));
      await producer.close({ graceSeconds: 0 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${ms} ms waiting for: ${what}`);
}
