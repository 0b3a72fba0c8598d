import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { JobDispatcher, RedisQueueDriver } from '../../../src/index.js';
import { readLedger } from '../../support/fault/ledger.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { type FaultRun, runFaultScenarios } from '../../support/fault/scenarios.js';
import { type LedgerWorker, spawnLedgerWorker } from '../../support/fault/spawn-worker.js';
import { REDIS_URL, serviceAvailable } from '../../support/services.js';

/**
 * The cases of RELIABILITY.md that the shared, driver-agnostic fault harness plays
 * (test/support/fault/) on Redis: a frozen worker, and a job that kills its own process. Each run
 * has its own key prefix on the shared Redis (nothing here restarts or kills the server).
 */
const available = await serviceAvailable('redis');
const FAULT_ENV = { JOB_LEASE_SECONDS: '1', JOB_LEASE_GRACE_SECONDS: '0.5', JOB_POLL_INTERVAL_MS: '50' };

function redisFaultRun(): FaultRun {
  const prefix = `jwharness-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'jw-redis-harness-'));
  const ledger = join(dir, 'ledger.tsv');
  const driver = new RedisQueueDriver({ url: REDIS_URL, prefix });
  const producer = new JobDispatcher(driver, { jobs: [LedgerJob] });
  const workers: LedgerWorker[] = [];
  const spawn = (concurrency: number): LedgerWorker => {
    const worker = spawnLedgerWorker({
      driver: 'redis',
      spec: { url: REDIS_URL, prefix },
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
      const admin = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await admin.quit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!available)('redis faults through the shared fault harness', () => {
  runFaultScenarios('redis', () => redisFaultRun());
});
