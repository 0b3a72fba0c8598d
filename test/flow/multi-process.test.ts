import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseQueueDriver, SqliteQueueDriver } from '../../src/index.js';
import type { LedgerLine } from '../support/fault/ledger.js';
import { LedgerJob } from '../support/fault/ledger-job.js';
import { type FaultRun, makeFaultRun, waitFor } from '../support/fault/scenarios.js';
import { DATABASE_URL, serviceAvailable } from '../support/services.js';
import { dropPgSchema } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';

/**
 * Queue limits hold across real processes: three worker processes of concurrency 10 on a queue
 * limited to 3 never run more than 3 jobs at once, counted from the ledger's start and end lines
 * (written by the jobs themselves, outside the store).
 */

const pgAvailable = await serviceAvailable('postgres');

/** The most [start, end] intervals of the ledger open at one time (an end at the same ms closes first). */
function mostAtOnce(lines: LedgerLine[]): number {
  const events = lines
    .filter((l) => l.kind === 'start' || l.kind === 'end')
    .map((l) => ({ at: l.at, delta: l.kind === 'start' ? 1 : -1 }))
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const e of events) {
    open += e.delta;
    most = Math.max(most, open);
  }
  return most;
}

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

async function limitedRun(make: () => FaultRun): Promise<void> {
  run = make();
  await run.producer.setQueueLimits('fault', { concurrency: 3 });
  const workers = Array.from({ length: 3 }, () => run!.spawn(10));
  await Promise.all(workers.map((w) => w.ready));
  const jobs = Array.from({ length: 60 }, (_, n) => new LedgerJob(n, { sleepMs: 25 }));
  await run.producer.dispatchMany(jobs);
  await waitFor(
    '60 jobs completed',
    async () => (await run!.producer.stats('fault')).completedJobs === 60,
    60_000,
  );
  const lines = run.lines();
  expect(lines.filter((l) => l.kind === 'start')).toHaveLength(60);
  expect(mostAtOnce(lines)).toBeLessThanOrEqual(3);
  // The limit is a ceiling, not a serialisation: more than one ran at a time.
  expect(mostAtOnce(lines)).toBeGreaterThanOrEqual(2);
}

/** The most starts (store clock, `reservedAt`) in any window of `ms`. */
function mostStartsInWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('queue limits across processes', () => {
  it('sqlite: a rate of 10 per second over 3 processes never starts more than 10 in any second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobwright-flow-rate-'));
    const file = join(dir, 'jobs.sqlite');
    run = makeFaultRun({ driverName: 'sqlite', spec: { file }, driver: new SqliteQueueDriver(file), dir });
    await run.producer.setQueueLimits('fault', { rate: { max: 10, perSeconds: 1 } });
    const workers = Array.from({ length: 3 }, () => run!.spawn(10));
    await Promise.all(workers.map((w) => w.ready));
    await run.producer.dispatchMany(Array.from({ length: 30 }, (_, n) => new LedgerJob(n)));
    await waitFor(
      '30 jobs completed',
      async () => (await run!.producer.stats('fault')).completedJobs === 30,
      60_000,
    );
    const { jobs } = await run.producer.jobs({ queue: 'fault', limit: 100 });
    const starts = jobs.map((j) => j.reservedAt!.getTime());
    expect(starts).toHaveLength(30);
    // The store's own start times: what the limit counts, whatever the load on this machine.
    expect(mostStartsInWindow(starts, 1000)).toBeLessThanOrEqual(10);
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(2000);
  }, 90_000);

  it('sqlite: 3 processes x concurrency 10 on a queue limited to 3 never run more than 3 at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobwright-flow-limit-'));
    const file = join(dir, 'jobs.sqlite');
    await limitedRun(() =>
      makeFaultRun({ driverName: 'sqlite', spec: { file }, driver: new SqliteQueueDriver(file), dir }),
    );
  }, 90_000);

  it.skipIf(!pgAvailable)(
    'postgres: 3 processes x concurrency 10 on a queue limited to 3 never run more than 3 at once',
    async () => {
      const schema = uniqueName('jw_flow_limit');
      await limitedRun(() =>
        makeFaultRun({
          driverName: 'postgres',
          spec: { url: DATABASE_URL, schema, applicationName: `jw-flow-${schema}` },
          driver: new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 }),
          dropStore: () => dropPgSchema(schema),
        }),
      );
    },
    90_000,
  );
});
