import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DatabaseQueueDriver,
  InvalidJobError,
  Job,
  type JobContext,
  JobDispatcher,
  PayloadError,
  type PgPoolLike,
} from '../../../src/index.js';
import { newJob } from '../../support/new-job.js';
import { DATABASE_URL, serviceAvailable } from '../../support/services.js';
import { dropPgSchema } from '../../support/stores.js';
import { uniqueName } from '../../support/unique.js';
import { waitFor } from '../../support/wait.js';

const available = await serviceAvailable('postgres');

const ran: number[] = [];
class CountJob extends Job {
  constructor(public n = 0) {
    super();
  }
  override jobName() {
    return 'pgtest.Count';
  }
  override async handle() {
    ran.push(this.n);
  }
}

/** A job that checks its payload and refuses one it cannot use. */
class StrictJob extends Job {
  constructor(public email = '') {
    super();
  }
  override jobName() {
    return 'pgtest.Strict';
  }
  static deserialize(payload: unknown): StrictJob {
    const email = (payload as { email?: unknown } | null)?.email;
    if (typeof email !== 'string')
      throw new Error(`pgtest.Strict needs an email string, got ${JSON.stringify(payload)}`);
    return new StrictJob(email);
  }
  override async handle(_ctx: JobContext) {}
}

describe.skipIf(!available)('DatabaseQueueDriver on PostgreSQL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    ran.length = 0;
  });

  /** A fresh schema; dropped after the test. */
  function freshSchema(): string {
    const schema = uniqueName('jw_drv');
    cleanups.push(() => dropPgSchema(schema));
    return schema;
  }

  function open(schema: string, extra: Record<string, unknown> = {}) {
    const driver = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3, ...extra });
    const dispatcher = new JobDispatcher(driver, {
      jobs: [CountJob, StrictJob],
      config: { pollIntervalMs: 20, leaseSeconds: 2, leaseGraceSeconds: 0.5 },
    });
    cleanups.push(() => dispatcher.close({ graceSeconds: 0 }));
    return { driver, dispatcher };
  }

  it('creates exactly the seed table, its named indexes and the extras, once, under concurrent starts', async () => {
    const schema = freshSchema();
    const drivers = [1, 2, 3].map(() => open(schema).driver);
    await Promise.all(drivers.map((d) => d.migrate()));
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const cols = await client.query(
        `SELECT column_name, data_type, character_maximum_length AS len, column_default, is_nullable
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'jobs' ORDER BY ordinal_position`,
        [schema],
      );
      const seed = cols.rows
        .slice(0, 16)
        .map((c) => `${c.column_name} ${c.data_type}${c.len ? `(${c.len})` : ''}`);
      expect(seed).toEqual([
        'id character(26)',
        'queue_name character varying(255)',
        'job_name character varying(255)',
        'payload jsonb',
        'attempts integer',
        'max_attempts integer',
        'status character varying(50)',
        'priority integer',
        'available_at timestamp with time zone',
        'reserved_at timestamp with time zone',
        'processed_at timestamp with time zone',
        'failed_at timestamp with time zone',
        'error_message text',
        'timeout_seconds integer',
        'created_at timestamp with time zone',
        'updated_at timestamp with time zone',
      ]);
      const defaults = Object.fromEntries(cols.rows.map((c) => [c.column_name, c.column_default]));
      expect(defaults).toMatchObject({
        queue_name: "'default'::character varying",
        attempts: '0',
        max_attempts: '3',
        status: "'pending'::character varying",
        priority: '0',
        available_at: 'now()',
        timeout_seconds: '300',
      });
      const indexes = await client.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1`, [schema]);
      expect(indexes.rows.map((r) => r.indexname)).toEqual(
        expect.arrayContaining([
          'idx_jobs_queue_processing',
          'idx_jobs_failed',
          'idx_jobs_retry',
          'idx_jobs_status',
          'idx_jobs_queue_name',
          'idx_jobs_queue_order',
        ]),
      );
      const migrations = await client.query(
        `SELECT version FROM "${schema}".jobwright_migrations ORDER BY 1`,
      );
      expect(migrations.rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const tables = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [schema]);
      expect(tables.rows.map((r) => r.tablename)).toEqual(
        expect.arrayContaining([
          'jobs',
          'jobwright_activity_log',
          'jobwright_workers',
          'jobwright_paused_queues',
        ]),
      );
    } finally {
      await client.end();
    }
  });

  it('rejects hostile schema names with a typed error before any SQL runs', () => {
    for (const schema of [
      'x"; DROP TABLE jobs;--',
      'Public',
      '',
      'a'.repeat(64),
      'pg_catalog',
      'a b',
      '1abc',
    ]) {
      let error: unknown;
      try {
        new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidJobError);
      expect((error as InvalidJobError).code).toBe('INVALID_SCHEMA_NAME');
    }
  });

  it("refuses a schema whose jobs table is another app's, naming JOBWRIGHT_DB_SCHEMA, and leaves it alone", async () => {
    const schema = freshSchema();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA "${schema}"`);
      await admin.query(`CREATE TABLE "${schema}".jobs (id serial PRIMARY KEY, title text)`);
      await admin.query(`INSERT INTO "${schema}".jobs (title) VALUES ('keep me')`);
      const { driver } = open(schema);
      await expect(driver.migrate()).rejects.toMatchObject({
        code: 'FOREIGN_JOBS_TABLE',
        message: expect.stringMatching(/not jobwright's.*JOBWRIGHT_DB_SCHEMA/),
      });
      const { rows } = await admin.query(`SELECT title FROM "${schema}".jobs`);
      expect(rows).toEqual([{ title: 'keep me' }]);
    } finally {
      await admin.end();
    }
  });

  it('a hostile queue name is rejected by dispatch and is only ever a bound value in SQL', async () => {
    const { driver, dispatcher } = open(freshSchema());
    await expect(
      dispatcher.dispatch(new CountJob(1), { queue: "x'; DROP TABLE jobs;--" }),
    ).rejects.toBeInstanceOf(InvalidJobError);
    // Straight to the driver, past the dispatcher's check: a value, not SQL.
    expect(
      await driver.reserve({ queue: "x'; DROP TABLE jobs;--", limit: 5, leaseMs: 1000, workerId: 'w' }),
    ).toEqual([]);
    expect(await driver.counts({})).toEqual([]);
  });

  it('transactional enqueue: visible to workers only after COMMIT, never after ROLLBACK', async () => {
    const schema = freshSchema();
    const { dispatcher } = open(schema);
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    cleanups.push(() => pool.end());
    await dispatcher.startWorker('default', 2);

    const committed = await pool.connect();
    await committed.query('BEGIN');
    const id = await dispatcher.dispatch(new CountJob(1), { tx: committed });
    // A job committed after it runs, while the uncommitted one, before it in the queue, does not.
    await dispatcher.dispatch(new CountJob(100));
    await waitFor('a job committed after it ran', () => ran.includes(100));
    expect(ran).toEqual([100]);
    expect(await dispatcher.find(id)).toBeNull();
    await committed.query('COMMIT');
    committed.release();
    await waitFor('committed job ran', () => ran.includes(1));

    const rolledBack = await pool.connect();
    await rolledBack.query('BEGIN');
    const gone = await dispatcher.dispatch(new CountJob(2), { tx: rolledBack });
    await rolledBack.query('ROLLBACK');
    rolledBack.release();
    await dispatcher.dispatch(new CountJob(101));
    await waitFor('a job dispatched after the rollback ran', () => ran.includes(101));
    expect(ran).not.toContain(2);
    expect(await dispatcher.find(gone)).toBeNull();

    await expect(dispatcher.dispatch(new CountJob(3), { tx: {} })).rejects.toBeInstanceOf(InvalidJobError);
  });

  it('groups concurrent single enqueues into shared INSERTs (group commit)', async () => {
    const schema = freshSchema();
    const real = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    cleanups.push(() => real.end());
    let inserts = 0;
    // The caller's own pool, counted: the driver accepts any pg.Pool.
    const counting: PgPoolLike = {
      query: ((text: string | { text: string }, values?: unknown[]) => {
        const sql = typeof text === 'string' ? text : text.text;
        if (sql.includes('INSERT INTO') && sql.includes('.jobs ')) inserts++;
        return real.query(text as never, values);
      }) as PgPoolLike['query'],
      connect: () => real.connect() as never,
      on: (event, listener) => real.on(event, listener),
      end: () => real.end(),
    };
    const driver = new DatabaseQueueDriver({ pool: counting, schema });
    const dispatcher = new JobDispatcher(driver, { jobs: [CountJob] });
    cleanups.push(() => dispatcher.close());
    await driver.migrate();
    inserts = 0;
    const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => dispatcher.dispatch(new CountJob(n))));
    expect(new Set(ids).size).toBe(50);
    expect((await dispatcher.stats('default')).pendingJobs).toBe(50);
    console.info(`postgres: 50 concurrent dispatches took ${inserts} INSERT statements`);
    expect(inserts).toBeLessThanOrEqual(10);
  });

  it('one bad job in a grouped enqueue fails only its own dispatch', async () => {
    const { driver, dispatcher } = open(freshSchema());
    const job = (id: string, payload: string) => newJob({ id, jobName: 'pgtest.Count', payload });
    const results = await Promise.allSettled([
      driver.enqueue({ jobs: [job('01AAAAAAAAAAAAAAAAAAAAAAA1', '{"n":1}')] }),
      driver.enqueue({ jobs: [job('01AAAAAAAAAAAAAAAAAAAAAAA2', '{"n": oops')] }),
      driver.enqueue({ jobs: [job('01AAAAAAAAAAAAAAAAAAAAAAA3', '{"n":3}')] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toMatch(
      /PostgreSQL refused the job payload/,
    );
    expect((await driver.counts({}))[0]!.pendingJobs).toBe(2);
    // JSONB cannot hold a NUL character: the payload rule refuses it at dispatch, nothing stored.
    const nul = Object.assign(new CountJob(9), { note: 'a\u0000b' });
    const error = await dispatcher.dispatch(nul).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadError);
    expect((error as PayloadError).code).toBe('UNSERIALIZABLE_PAYLOAD');
    expect((error as Error).message).toMatch(/payload\.note is a string with a NUL character/);
    expect((await driver.counts({}))[0]!.pendingJobs).toBe(2);
  });

  it('a payload the job cannot use, an unknown job name and an unknown status: failed with the reason, queue flows', async () => {
    const schema = freshSchema();
    const { driver, dispatcher } = open(schema);
    await driver.migrate();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    // Rows written by something else: valid JSONB the job refuses, a name no class has, a status no code knows.
    await client.query(
      `INSERT INTO "${schema}".jobs (id, job_name, payload) VALUES
         ('01BAD0000000000000000000A1', 'pgtest.Strict', '[1, 2, 3]'),
         ('01BAD0000000000000000000A2', '../../etc/passwd', '{}'),
         ('01BAD0000000000000000000A3', 'pgtest.Count', '"just text"')`,
    );
    await client.query(
      `INSERT INTO "${schema}".jobs (id, job_name, payload, status) VALUES ('01BAD0000000000000000000A4', 'pgtest.Count', '{}', 'exploded')`,
    );
    await client.end();
    const good = await dispatcher.dispatch(new CountJob(7));
    await dispatcher.startWorker('default', 2);
    await waitFor('good job ran', async () => (await dispatcher.find(good))?.status === 'completed');
    await waitFor('bad rows failed', async () => (await dispatcher.failedJobs()).length === 2);
    const strict = (await dispatcher.find('01BAD0000000000000000000A1'))!;
    expect(strict.status).toBe('failed');
    expect(strict.errorMessage).toMatch(/pgtest.Strict needs an email string, got \[1,2,3\]/);
    const unknown = (await dispatcher.find('01BAD0000000000000000000A2'))!;
    expect(unknown.errorMessage).toMatch(/No job class is registered as '..\/..\/etc\/passwd'/);
    // A bare string payload restores no fields; the job still runs (CountJob has a default).
    expect((await dispatcher.find('01BAD0000000000000000000A3'))!.status).toBe('completed');
    expect((await dispatcher.find('01BAD0000000000000000000A4'))!.status).toBe('exploded');
    expect(ran).toContain(7);
  });

  it('LISTEN/NOTIFY wakes an idle worker in another driver long before its poll', async () => {
    const schema = freshSchema();
    const worker = open(schema);
    const producer = open(schema);
    await worker.driver.migrate();
    // Five seconds between polls: only a wake-up can start the job quickly.
    const slow = new JobDispatcher(worker.driver, { jobs: [CountJob], config: { pollIntervalMs: 5000 } });
    cleanups.push(() => slow.close({ graceSeconds: 0 }));
    await slow.startWorker('default', 1);
    // A first job run proves the worker is up and idle again (woken, or at the latest by its
    // second poll, once its listener surely listens); the second is the one measured.
    await producer.dispatcher.dispatch(new CountJob(41));
    await waitFor('the first job ran', () => ran.includes(41), 15_000);
    const t0 = performance.now();
    await producer.dispatcher.dispatch(new CountJob(42));
    await waitFor('woken', () => ran.includes(42), 3000);
    const ms = performance.now() - t0;
    console.info(`postgres: dispatch to start through NOTIFY in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1500);
  });

  it('the listener reconnects by itself after its connection is killed', async () => {
    const schema = freshSchema();
    const app = uniqueName('jw_listen_test');
    const worker = open(schema, { applicationName: app });
    const producer = open(schema);
    const slow = new JobDispatcher(worker.driver, { jobs: [CountJob], config: { pollIntervalMs: 10_000 } });
    cleanups.push(() => slow.close({ graceSeconds: 0 }));
    await slow.startWorker('default', 1);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const listening = async () =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
          [`${app}-listen`],
        )
      ).rows.map((r) => r.pid);
    await waitFor('listening', async () => (await listening()).length === 1);
    const [old] = await listening();
    await admin.query('SELECT pg_terminate_backend($1)', [old]);
    await waitFor('listener back on a new connection', async () => {
      const pids = await listening();
      return pids.length === 1 && pids[0] !== old;
    });
    await admin.end();
    await producer.dispatcher.dispatch(new CountJob(43));
    await waitFor('woken after reconnect', () => ran.includes(43), 3000);
  });

  it('uses a caller pool without ending it, and times come from the database clock', async () => {
    const schema = freshSchema();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const driver = new DatabaseQueueDriver(pool as unknown as PgPoolLike);
    expect(driver.schema).toBe('public');
    const own = new DatabaseQueueDriver({ pool: pool as unknown as PgPoolLike, schema });
    await own.enqueue({
      jobs: [
        {
          id: '01CLK0000000000000000000A1',
          queueName: 'default',
          jobName: 'pgtest.Count',
          payload: '{}',
          maxAttempts: 3,
          priority: 0,
          timeoutSeconds: 0.25,
          delayMs: 250,
          availableAt: null,
          meta: null,
        },
      ],
    });
    const row = (await own.find({ id: '01CLK0000000000000000000A1' }))!;
    expect(row.timeoutSeconds).toBe(0.25);
    const { rows } = await pool.query('SELECT now() AS now');
    expect(row.availableAt.getTime() - row.createdAt.getTime()).toBe(250);
    expect(Math.abs(row.createdAt.getTime() - (rows[0].now as Date).getTime())).toBeLessThan(5000);
    await own.close();
    await driver.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await pool.end();
  });
});
