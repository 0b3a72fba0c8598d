import { afterEach, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../support/services.js';
import { rollingRestart } from './rolling-restart.js';
import { type ChaosDriver, type ChaosRun, chaosRun } from './stores.js';

/**
 * The short rolling restart (RELIABILITY.md): 1,000 jobs, four worker processes, each restarted in
 * turn with SIGTERM and one with SIGKILL, on SQLite, PostgreSQL and Redis. `npm run chaos` runs
 * the long version (test/chaos/main.ts).
 */
const available: Record<ChaosDriver, boolean> = {
  sqlite: true,
  postgres: await serviceAvailable('postgres'),
  redis: await serviceAvailable('redis'),
  'redis-cluster': false,
};

let run: ChaosRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

for (const driver of ['sqlite', 'postgres', 'redis'] as const) {
  describe.skipIf(!available[driver])(`rolling restart on ${driver}`, () => {
    it('1,000 jobs, 4 processes restarted in turn (one SIGKILL): lost 0, dup_done 0, dup starts only from the killed one (or a stalled one)', async () => {
      run = chaosRun(driver);
      const report = await rollingRestart(run, {
        n: 1000,
        workers: 4,
        concurrency: 4,
        sleepMs: 5,
        // A 3 s lease: the suite runs beside other process-heavy files, and a worker stalled past
        // a 1 s lease would lose jobs to the others (duplicate starts not caused by the SIGKILL).
        workerEnv: { JOB_LEASE_SECONDS: '3' },
        log: (line) => console.info(`${driver} rolling restart: ${line}`),
      });
      expect(report.lost).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.dupDone).toEqual([]);
      expect(report.dupStartsUnexplained).toEqual([]);
      expect(report.completed).toBe(1000);
      expect(report.sigtermExits).toEqual([0, 0, 0]);
    }, 300_000);
  });
}
