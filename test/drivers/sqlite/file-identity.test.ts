/**
 * A SQLite store deleted or replaced under a running worker (src/drivers/sqlite/file-identity.ts):
 * the worker reports a StoreLostError and stops, and dispatch through the old driver is refused,
 * instead of both going on in a file no other process can see.
 */
import { mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { Job, JobDispatcher, type JobEvents, SqliteQueueDriver, StoreLostError } from '../../../src/index.js';
import { Background, cleanEnv, makeProject } from '../../cli/helpers.js';
import { waitFor } from '../../support/fault/scenarios.js';

class NoopJob extends Job {
  constructor(public n: number) {
    super();
  }
  override jobName(): string {
    return 'identity.Noop';
  }
  async handle(): Promise<void> {}
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runningWorker(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `jobwright-identity-${name}-`));
  const file = join(dir, 'jobs.sqlite');
  const dispatcher = new JobDispatcher(new SqliteQueueDriver(file), { jobs: [NoopJob] });
  cleanups.push(async () => {
    await dispatcher.close({ graceSeconds: 0 });
    rmSync(dir, { recursive: true, force: true });
  });
  const errors: Error[] = [];
  const stopped: Array<JobEvents['worker:stopped']> = [];
  dispatcher.on('worker:error', (e) => errors.push(e.error));
  dispatcher.on('worker:stopped', (e) => stopped.push(e));
  await dispatcher.startWorker('work', 1);
  return { dir, file, dispatcher, errors, stopped };
}

it('deleting the database files under a running worker stops it with STORE_FILE_DELETED', async () => {
  const w = await runningWorker('deleted');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${w.file}${suffix}`, { force: true });
  await waitFor('the worker stopped', () => w.stopped.length > 0, 15_000);
  const lost = w.errors.find((e) => e instanceof StoreLostError) as StoreLostError | undefined;
  expect(lost?.code).toBe('STORE_FILE_DELETED');
  expect(lost?.message).toContain(w.file);
  expect(w.stopped).toEqual([expect.objectContaining({ queue: 'work', released: 0 })]);
  // Dispatching into the deleted file would lose the job: refused with the same error.
  await expect(w.dispatcher.dispatch(new NoopJob(1), { queue: 'work' })).rejects.toMatchObject({
    code: 'STORE_FILE_DELETED',
  });
});

it('replacing the database file under a running worker stops it with STORE_FILE_REPLACED', async () => {
  const w = await runningWorker('replaced');
  const other = join(w.dir, 'other.sqlite');
  new Database(other).close();
  renameSync(other, w.file);
  await waitFor('the worker stopped', () => w.stopped.length > 0, 15_000);
  const lost = w.errors.find((e) => e instanceof StoreLostError) as StoreLostError | undefined;
  expect(lost?.code).toBe('STORE_FILE_REPLACED');
  await expect(w.dispatcher.stats('work')).rejects.toBeInstanceOf(StoreLostError);
});

it('a worker whose file stays in place keeps working when other files of its folder go', async () => {
  const w = await runningWorker('kept');
  const done: string[] = [];
  w.dispatcher.on('job:completed', (e) => done.push(e.jobId));
  // Unlinking a file that is not the store (a backup next to it) changes nothing.
  new Database(join(w.dir, 'backup.sqlite')).close();
  unlinkSync(join(w.dir, 'backup.sqlite'));
  for (let n = 0; n < 3; n++) {
    const id = await w.dispatcher.dispatch(new NoopJob(n), { queue: 'work' });
    await waitFor(`job ${n} done`, () => done.includes(id), 15_000);
  }
  expect(w.errors).toEqual([]);
  expect(w.stopped).toEqual([]);
});

it('queue:work exits 1 with the reason when its SQLite file is deleted, for a supervisor to restart it', async () => {
  const project = makeProject('{}');
  cleanups.push(() => project.remove());
  const file = join(project.dir, 'storage', 'jobs.sqlite');
  const worker = new Background(['queue:work'], project.dir, cleanEnv({ JOBWRIGHT_SQLITE_PATH: file }));
  cleanups.push(async () => void (await worker.stop('SIGKILL')));
  await worker.waitFor(/Working 'default'/);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  expect(await worker.exited).toBe(1);
  expect(worker.stderr).toContain(`The SQLite store ${file} was deleted`);
}, 60_000);
