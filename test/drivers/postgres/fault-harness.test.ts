import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import { DatabaseQueueDriver, JobDispatcher } from '../../../src/index.js';
import { readLedger } from '../../support/fault/ledger.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { type FaultRun, runFaultScenarios } from '../../support/fault/scenarios.js';
import { type LedgerWorker, spawnLedgerWorker } from '../../support/fault/spawn-worker.js';
import { DATABASE_URL, serviceAvailable } from '../../support/services.js';

/**
 * The cases of RELIABILITY.md that the shared, driver-agnostic fault harness plays
 * (test/support/fault/): a frozen worker, and a job that kills its own process.
 */
const available = await serviceAvailable('postgres');
const FAULT_ENV = { JOB_LEASE_SECONDS: '1', JOB_LEASE_GRACE_SECONDS: '0.5', JOB_POLL_INTERVAL_MS: '50' };
let seq = 0;

function postgresFaultRun(): FaultRun {
  const schema = `jw_harness_${process.pid}_${++seq}`;
  const dir = mkdtempSync(join(tmpdir(), 'jw-pg-harness-'));
  const ledger = join(dir, 'ledger.tsv');
  const driver = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 });
  const producer = new JobDispatcher(driver, { jobs: [LedgerJob] });
  const workers: LedgerWorker[] = [];
  const spawn = (concurrency: number): LedgerWorker => {
    const worker = spawnLedgerWorker({
      driver: 'postgres',
      spec: { url: DATABASE_URL, schema, applicationName: `jw-harness-${schema}` },
      ledger,
      concurrency,
      env: FAULT_ENV,
    });
    workers.push(worker);
    return worker;
  };
  return {
    ledger,
    driver,
    producer,
    spawn,
    lines: () => readLedger(ledger),
    async cleanup(): Promise<void> {
      for (const w of workers) {
        w.kill('SIGCONT');
        w.kill('SIGKILL');
      }
      await Promise.all(workers.map((w) => w.exited));
      await producer.close({ graceSeconds: 0 });
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!available)('postgres faults through the shared fault harness', () => {
  runFaultScenarios('postgres', () => postgresFaultRun());
});
