import { afterEach, describe, expect, it } from 'vitest';
import { soak } from './soak.js';
import { type ChaosRun, chaosRun } from './stores.js';

/**
 * The short soak (the hour-long one is `npm run chaos -- --scenario soak --minutes 60`): a steady
 * load for 60 s on SQLite, two worker processes sampling RSS, heap, event-loop delay, handles
 * and sockets every 2 s; after warm-up nothing grows, and every job is done once.
 */
let run: ChaosRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

describe('soak', () => {
  it('60 s at 50 jobs/s on SQLite: lost 0, dup_done 0, no growth after warm-up', async () => {
    run = chaosRun('sqlite');
    const report = await soak(run, {
      seconds: 60,
      rate: 50,
      workers: 2,
      concurrency: 4,
      sleepMs: 5,
      sampleMs: 2000,
      log: (line) => console.info(`soak: ${line}`),
    });
    expect(report.lost).toEqual([]);
    expect(report.dupDone).toEqual([]);
    expect(report.growth.every((g) => g.samples >= 20)).toBe(true);
    expect(report.growing).toEqual([]);
  }, 240_000);
});
