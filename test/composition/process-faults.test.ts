import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JobDispatcher } from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { MemberJob, NoteJob, openStore, type StoreArgs } from './process-jobs.js';

/**
 * The exactly-once claims of batches and schedules, with real processes (RELIABILITY.md):
 * counted from a ledger file outside the store under test.
 */
const here = dirname(fileURLToPath(import.meta.url));
const kinds = [
  { kind: 'sqlite' as const, available: true },
  { kind: 'postgres' as const, available: await serviceAvailable('postgres') },
  { kind: 'redis' as const, available: await serviceAvailable('redis') },
];

interface Line {
  event: string;
  n: number | string;
  pid: number;
}

describe.each(kinds)('composition with real processes: $kind', ({ kind, available }) => {
  const children: ChildProcess[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'jw-compose-'));
    const name = uniqueName('jw_compose');
    const store: StoreArgs =
      kind === 'sqlite'
        ? { kind, where: join(dir, 'jobs.sqlite'), url: '' }
        : { kind, where: name, url: kind === 'postgres' ? DATABASE_URL : REDIS_URL };
    const ledger = join(dir, 'ledger.jsonl');
    const producer = new JobDispatcher(openStore(store), { jobs: [MemberJob, NoteJob] });
    await (await producer.driver()).migrate();
    cleanups.push(async () => {
      await producer.close();
      if (kind === 'postgres') await dropPgSchema(name);
      if (kind === 'redis') await dropRedisPrefix(name);
      rmSync(dir, { recursive: true, force: true });
    });
    const lines = (): Line[] =>
      existsSync(ledger)
        ? readFileSync(ledger, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Line)
        : [];
    const start = (mode: string, lastN = 0): Promise<ChildProcess> => {
      const child = fork(join(here, 'process-worker.ts'), [JSON.stringify({ store, ledger, mode, lastN })], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      return new Promise((resolve, reject) => {
        child.once('message', () => resolve(child));
        child.once('exit', (code, signal) => reject(new Error(`worker exited early (${code ?? signal})`)));
      });
    };
    const exited = (child: ChildProcess) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { producer, lines, start, exited };
  }

  it.skipIf(!available).each(['kill-before-settle', 'kill-after-settle'])(
    'each batch callback is stored and run once when the worker finishing the last job is SIGKILLed (%s)',
    async (mode) => {
      const { producer, lines, start, exited } = await setup();
      const batch = await producer.batch([new MemberJob(1), new MemberJob(2), new MemberJob(3)], {
        // biome-ignore lint/suspicious/noThenProperty: SPEC names the callback then (Laravel's)
        then: new NoteJob('then'),
        finally: new NoteJob('finally'),
      });
      const doomed = await start(mode, 3);
      await exited(doomed);
      expect(doomed.signalCode).toBe('SIGKILL');
      await start('work');
      await waitFor(
        'then and finally ran',
        () => {
          const seen = lines().map((l) => l.event);
          return seen.includes('then') && seen.includes('finally');
        },
        45_000,
      );
      const done = await waitFor('the batch finished', async () => {
        const b = await producer.findBatch(batch.id);
        return b?.pendingJobs === 0 ? b : null;
      });
      expect(done).toMatchObject({ totalJobs: 3, processedJobs: 3, failedJobs: 0, progress: 100 });
      // Every member completed; the callbacks were stored once each and ran once each.
      const callbacks = (await producer.jobs({ search: 'process.Note', limit: 100 })).jobs;
      expect(callbacks).toHaveLength(2);
      await waitFor('callbacks completed', async () =>
        (await producer.jobs({ search: 'process.Note', limit: 100 })).jobs.every(
          (j) => j.status === 'completed',
        ),
      );
      const events = lines().map((l) => l.event);
      expect(events.filter((e) => e === 'then')).toHaveLength(1);
      expect(events.filter((e) => e === 'finally')).toHaveLength(1);
      if (mode === 'kill-before-settle') {
        // The killed run's outcome was never written: the member ran again, in the second process.
        expect(lines().filter((l) => l.n === 3 && l.event.startsWith('ran:'))).toHaveLength(2);
      }
    },
    90_000,
  );

  it.skipIf(!available)(
    'three scheduler processes dispatch each tick of an every-second schedule once',
    async () => {
      const { producer, lines, start } = await setup();
      await producer.schedule('tick', '* * * * * *', new NoteJob('tick'));
      await Promise.all([start('schedule'), start('schedule'), start('schedule')]);
      const ticks = await waitFor(
        'four ticks dispatched',
        async () => {
          const jobs = (await producer.jobs({ search: 'process.Note', limit: 1000 })).jobs;
          return jobs.length >= 4 ? jobs : null;
        },
        45_000,
      );
      for (const child of children) child.kill('SIGTERM');
      // Each tick is one job: the tick times the jobs were stored for are all different.
      const driver = await producer.driver();
      const stored = await Promise.all(ticks.map((j) => driver.find({ id: j.id })));
      const tickTimes = stored.map((j) => JSON.parse(j!.meta!).tick as string);
      expect(new Set(tickTimes).size).toBe(tickTimes.length);
      expect(lines()).toEqual([]);
    },
    90_000,
  );
});
