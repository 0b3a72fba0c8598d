import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createDriver,
  Job,
  JobDispatcher,
  loadConfig,
  SqliteQueueDriver,
  StoreError,
} from '../../../src/index.js';
import { TSX_IMPORT } from '../../support/fault/spawn-worker.js';
import { newJob } from '../../support/new-job.js';
import { waitFor } from '../../support/wait.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'jobwright-sqlite-driver-'));
let fileCount = 0;
const freshFile = () => join(dir, `store-${++fileCount}.sqlite`);
const open: Array<{ close(): Promise<void> }> = [];
const track = <T extends { close(): Promise<void> }>(thing: T): T => {
  open.push(thing);
  return thing;
};

afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class EchoJob extends Job {
  constructor(public n: number) {
    super();
  }
  override jobName() {
    return 'sqlite-test.Echo';
  }
  static ran: number[] = [];
  async handle() {
    EchoJob.ran.push(this.n);
  }
}

const startupError = (fn: () => unknown): StoreError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a StoreError');
};

describe('SQLite store at start-up', () => {
  it('creates the folder of the file, runs the numbered migrations once, with the seed index names', async () => {
    const file = join(dir, 'nested', 'deeper', 'jobs.sqlite');
    const driver = track(new SqliteQueueDriver(file));
    await driver.migrate();
    expect((await driver.migrations()).map((m) => `${m.version}_${m.name}`)).toEqual([
      '1_jobs',
      '2_workers_activity_pause',
      '3_activity_log',
      '4_held_jobs',
      '5_flow_control',
      '6_batches_schedules',
      '7_history_metrics',
    ]);
    const tables = driver.database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all() as Array<{ name: string }>;
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['jobs', 'activity_log']));
    const db = driver.database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL",
      )
      .pluck()
      .all();
    expect(indexes).toEqual(
      expect.arrayContaining([
        'idx_jobs_queue_processing',
        'idx_jobs_failed',
        'idx_jobs_retry',
        'idx_jobs_processed_at',
      ]),
    );
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('jobs');
    expect(columns).toEqual(
      expect.arrayContaining([
        'id',
        'queue_name',
        'payload',
        'available_at',
        'lease_token',
        'lease_expires_at',
        'meta',
      ]),
    );
    // A second process opening the same file applies nothing again.
    const again = track(new SqliteQueueDriver(file));
    await again.migrate();
    expect(await again.migrations()).toHaveLength(7);
  });

  it('a file that is not a SQLite database is a StoreError naming the file', () => {
    const file = freshFile();
    writeFileSync(file, 'this is a text file, not a database\n'.repeat(200));
    const error = startupError(() => new SqliteQueueDriver(file));
    expect(error.code).toBe('STORE_NOT_SQLITE');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not a SQLite database/);
  });

  it('a folder that cannot be created or written is a StoreError', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const underFile = startupError(() => new SqliteQueueDriver(join(blocker, 'jobs.sqlite')));
    expect(underFile.code).toBe('STORE_NOT_WRITABLE');
    expect(underFile.message).toMatch(/Cannot (create the folder|open)/);

    // root ignores file modes, so as root use a folder no one may write (/sys is read-only).
    let readOnlyDir = '/sys';
    if (process.getuid?.() !== 0) {
      readOnlyDir = join(dir, 'read-only');
      mkdirSync(readOnlyDir, { mode: 0o555 });
    }
    const readOnly = startupError(() => new SqliteQueueDriver(join(readOnlyDir, 'jobs.sqlite')));
    expect(readOnly.code).toBe('STORE_NOT_WRITABLE');
    expect(readOnly.message).toContain(join(readOnlyDir, 'jobs.sqlite'));
  });

  it('the default connection reports a damaged store file as a StoreError too', async () => {
    const file = freshFile();
    writeFileSync(file, 'not a database'.repeat(500));
    const config = loadConfig({ JOBWRIGHT_SQLITE_PATH: file });
    expect(config.connection).toBe('sqlite');
    await expect(createDriver(config)).rejects.toMatchObject({
      name: 'StoreError',
      code: 'STORE_NOT_SQLITE',
    });
  });

  it('says what it can do: durable, several processes, cross-process wake-ups, pause', () => {
    const driver = track(new SqliteQueueDriver(freshFile()));
    expect(driver.capabilities).toEqual({
      durable: true,
      multiProcess: true,
      crossProcessWakeups: true,
      transactionalEnqueue: false,
      pause: true,
      maxIdlePollMs: 50,
    });
  });

  it('an idle worker finds a job another process wrote within its short idle poll, not the 1 s default', async () => {
    const file = freshFile();
    const driver = track(new SqliteQueueDriver(file));
    const dispatcher = new JobDispatcher(driver, { config: { pollIntervalMs: 1000 } });
    let startedAt = 0;
    class Ping extends Job {
      override jobName() {
        return 'Ping';
      }
      async handle() {
        startedAt = performance.now();
      }
    }
    dispatcher.register([Ping]);
    await dispatcher.startWorker('default', 1);
    // A first job, woken in process, proves the worker runs and is idle again; the second is measured.
    await dispatcher.dispatch(new Ping());
    await waitFor('the first ping ran', () => startedAt > 0);
    startedAt = 0;
    // Written by another connection, as another process would: no in-process wake-up reaches the worker.
    const other = new Database(file);
    const now = Date.now();
    const writtenAt = performance.now();
    other
      .prepare(
        `INSERT INTO jobs (id, job_name, payload, available_at, created_at, updated_at) VALUES ('01JPINGFROMANOTHERPROC0001', 'Ping', '{}', ?, ?, ?)`,
      )
      .run(now, now, now);
    other.close();
    await waitFor('the ping written by another connection to start', () => startedAt > 0, 3000);
    await dispatcher.close();
    expect(startedAt - writtenAt).toBeLessThan(300);
  });
});

describe('SQLite store in use', () => {
  it('jobs survive closing and reopening the file', async () => {
    const file = freshFile();
    const first = new JobDispatcher(new SqliteQueueDriver(file), { jobs: [EchoJob] });
    const id = await first.dispatch(new EchoJob(1), { priority: -3 });
    await first.close();
    const second = track(new JobDispatcher(new SqliteQueueDriver(file), { jobs: [EchoJob] }));
    expect(await second.find(id)).toMatchObject({ status: 'pending', priority: -3, payload: { n: 1 } });
    await second.startWorker('default', 1);
    await waitFor('completed', async () => (await second.find(id))?.status === 'completed');
  });

  it('a row whose payload is not JSON goes to failed with the reason; the queue keeps flowing', async () => {
    const file = freshFile();
    const dispatcher = track(
      new JobDispatcher(new SqliteQueueDriver(file), { jobs: [EchoJob], config: { pollIntervalMs: 20 } }),
    );
    const before = await dispatcher.dispatch(new EchoJob(101));
    // Damage written by something else entirely: a raw INSERT through another connection.
    const raw = new Database(file);
    const now = Date.now();
    raw
      .prepare(
        `INSERT INTO jobs (id, queue_name, job_name, payload, status, priority, available_at, created_at, updated_at)
         VALUES (?, 'default', 'sqlite-test.Echo', ?, 'pending', 0, ?, ?, ?)`,
      )
      .run('01CORRUPTROW0000000000000A', '{"n": 102, oops', now, now, now);
    raw.close();
    const after = await dispatcher.dispatch(new EchoJob(103));
    await dispatcher.startWorker('default', 1);
    await waitFor(
      'corrupt row failed',
      async () => (await dispatcher.find('01CORRUPTROW0000000000000A'))?.status === 'failed',
    );
    const corrupt = (await dispatcher.find('01CORRUPTROW0000000000000A'))!;
    expect(corrupt.errorMessage).toMatch(/not valid JSON/);
    expect(corrupt.attempts).toBe(1);
    expect(corrupt.payload).toBe('{"n": 102, oops');
    await waitFor('the others completed', async () => {
      const states = await Promise.all(
        [before, after].map(async (id) => (await dispatcher.find(id))?.status),
      );
      return states.every((s) => s === 'completed');
    });
  });

  it('a worker on one connection hears jobs enqueued through another in the same process at once', async () => {
    const file = freshFile();
    const worker = track(
      new JobDispatcher(new SqliteQueueDriver(file), { jobs: [EchoJob], config: { pollIntervalMs: 5000 } }),
    );
    const producer = track(new JobDispatcher(new SqliteQueueDriver(file), { jobs: [EchoJob] }));
    await worker.startWorker('default', 1);
    // A first job proves the worker runs and is idle again; the second is the one measured.
    const first = await producer.dispatch(new EchoJob(6));
    await waitFor('the first job completed', async () => (await worker.find(first))?.status === 'completed');
    const started = Date.now();
    const id = await producer.dispatch(new EchoJob(7));
    await waitFor('completed', async () => (await worker.find(id))?.status === 'completed', 3000);
    // A poll would take 5 s: the in-process wake-up made it run well before.
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('a better-sqlite3 Database passed in is used and left open on close', async () => {
    const db = new Database(freshFile());
    const driver = new SqliteQueueDriver(db);
    const dispatcher = new JobDispatcher(driver, { jobs: [EchoJob] });
    const id = await dispatcher.dispatch(new EchoJob(3));
    await dispatcher.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT status FROM jobs WHERE id = ?').pluck().get(id)).toBe('pending');
    db.close();
  });

  it('writes of one event-loop turn commit together, and a failing one fails alone', async () => {
    const driver = track(new SqliteQueueDriver(freshFile()));
    await driver.migrate();
    const row = (id: string) => newJob({ id, jobName: 'sqlite-test.Echo', payload: '{"n":1}' });
    await driver.enqueue({ jobs: [row('01DUPLICATE000000000000000')] });
    const results = await Promise.allSettled([
      driver.enqueue({ jobs: [row('01FIRST0000000000000000000')] }),
      driver.enqueue({ jobs: [row('01DUPLICATE000000000000000')] }),
      driver.enqueue({ jobs: [row('01THIRD0000000000000000000')] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint/);
    expect((await driver.list({ limit: 10, offset: 0 })).total).toBe(3);
    await expect(driver.enqueue({ jobs: [row('01TX000000000000000000000X')], tx: {} })).rejects.toThrow(
      /cannot enqueue inside a caller transaction/,
    );
  });

  it('a writer that holds the lock past busy_timeout is a StoreError, not a hang', async () => {
    const file = freshFile();
    const driver = track(new SqliteQueueDriver(file, { busyTimeoutMs: 100 }));
    await driver.migrate();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await driver.pauseQueue({ queue: 'default' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('STORE_BUSY');
      // The hot path (enqueue, reserve, transitions) waits for the lock without blocking the
      // event loop: timers keep firing while it retries, then it gives up with STORE_BUSY.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = Date.now();
      const busy = await driver.logActivity({ entries: [activityEntry('busy-1')] }).catch((e: unknown) => e);
      clearInterval(timer);
      expect(busy).toMatchObject({ name: 'StoreError', code: 'STORE_BUSY' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await driver.pauseQueue({ queue: 'default' });
    expect(await driver.pausedQueues()).toEqual(['default']);
  });
});

function activityEntry(id: string) {
  return {
    id,
    jobId: null,
    jobName: 'sqlite-test.Echo',
    queueName: 'default',
    event: 'started' as const,
    causer: null,
    properties: '{}',
    durationMs: null,
    attempt: 1,
    error: null,
  };
}

describe('the global default', () => {
  const fixture = fileURLToPath(new URL('./fixtures/global-default.ts', import.meta.url));
  const cleanEnv = () => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(DATABASE_URL|REDIS_URL|QUEUE_CONNECTION|JOBWRIGHT_|JOB_)/.test(key))
        env[key] = value;
    }
    return env;
  };

  it('dispatch() with no settings stores jobs in ./storage/jobs.sqlite', async () => {
    const cwd = mkdtempSync(join(dir, 'app-'));
    const { stdout } = await run(process.execPath, ['--import', TSX_IMPORT, fixture], {
      cwd,
      env: cleanEnv(),
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toEqual({
      driver: 'sqlite',
      file: join(cwd, 'storage', 'jobs.sqlite'),
      defaultFileExists: true,
      status: 'completed',
    });
  });

  it('JOBWRIGHT_SQLITE_PATH moves the default store', async () => {
    const cwd = mkdtempSync(join(dir, 'app-'));
    const file = join(cwd, 'elsewhere', 'queue.db');
    const { stdout } = await run(process.execPath, ['--import', TSX_IMPORT, fixture], {
      cwd,
      env: { ...cleanEnv(), JOBWRIGHT_SQLITE_PATH: file },
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toEqual({ driver: 'sqlite', file, defaultFileExists: false, status: 'completed' });
  });
});
