import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseQueueDriver, Job, JobDispatcher, PayloadError } from '../../../src/index.js';
import { DATABASE_URL, serviceAvailable } from '../../support/services.js';
import { dropPgSchema } from '../../support/stores.js';
import { uniqueName } from '../../support/unique.js';
import { waitFor } from '../../support/wait.js';

/**
 * Issue 12 on PostgreSQL: one bad row never sinks a batch, jobwright's tables cannot collide with
 * an application's, and due-job reservation stays an index scan behind many delayed jobs.
 */
const available = await serviceAvailable('postgres');

const runs = new Map<string, number>();
class Text extends Job {
  constructor(public text = '') {
    super();
  }
  override jobName() {
    return 'pgengine.Text';
  }
  override maxAttempts() {
    return 3;
  }
  override retryDelay() {
    return 0;
  }
  override async handle() {
    runs.set(this.text, (runs.get(this.text) ?? 0) + 1);
  }
}

describe.skipIf(!available)('PostgreSQL: per-job outcomes, table names, reservation index', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const schema = uniqueName('jw_engine');
    const driver = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 4 });
    const dispatcher = new JobDispatcher(driver, {
      jobs: [Text],
      config: { pollIntervalMs: 20, leaseSeconds: 2, leaseGraceSeconds: 0.5 },
    });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    cleanups.push(async () => {
      await dispatcher.close({ graceSeconds: 1 });
      await admin.end();
      await dropPgSchema(schema);
    });
    return { schema, driver, dispatcher, admin };
  }

  it('chain() refuses a link PostgreSQL cannot store (NUL, lone surrogate) with a typed error; nothing stored', async () => {
    const { schema, driver, dispatcher, admin } = await setup();
    // The refusal comes before any store work, so the table is made here to count its rows.
    await driver.migrate();
    for (const bad of ['a\u0000b', 'x\ud800y']) {
      const error = await dispatcher.chain([new Text('first'), new Text(bad)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadError);
      // The payload rule (src/payload-rules.ts) refuses it before PostgreSQL is asked.
      expect(error).toMatchObject({ code: 'UNSERIALIZABLE_PAYLOAD' });
      expect((error as Error).message).toMatch(/NUL character|lone UTF-16 surrogate/);
    }
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".jobs`);
    expect(rows[0].n).toBe(0);
    // Text that only looks like an escape is fine.
    await dispatcher.chain([new Text('a'), new Text('\\u0000 as text')]);
  });

  it('a chain link PostgreSQL refuses at completion fails its own job alone; the jobs grouped with it complete once', async () => {
    const { schema, dispatcher, admin } = await setup();
    const [poisoned] = await dispatcher.chain([new Text('parent'), new Text('child')]);
    // A link stored before this check existed (or by another tool): its payload holds a NUL escape.
    await admin.query(`UPDATE "${schema}".jobs SET meta = replace(meta, $1, $2) WHERE id = $3`, [
      JSON.stringify(JSON.stringify({ text: 'child' })).slice(1, -1),
      JSON.stringify(JSON.stringify({ text: 'c\u0000' })).slice(1, -1),
      poisoned,
    ]);
    const others = await dispatcher.dispatchMany(Array.from({ length: 9 }, (_, i) => new Text(`n${i}`)));
    await dispatcher.startWorker('default', 10, { prefetch: 0 });
    await waitFor('all ten settled', async () => {
      const s = await dispatcher.stats('default');
      return s.completedJobs + s.failedJobs >= 10;
    });
    const parent = await dispatcher.find(poisoned!);
    expect(parent).toMatchObject({ status: 'failed', attempts: 1 });
    expect(parent!.errorMessage).toMatch(/completion could not be stored: PostgreSQL refused the write/);
    for (const id of others)
      expect(await dispatcher.find(id)).toMatchObject({ status: 'completed', attempts: 1 });
    for (let i = 0; i < 9; i++) expect(runs.get(`n${i}`)).toBe(1);
  });

  it('jobwright keeps its own tables apart from an application table named activity_log', async () => {
    const schema = uniqueName('jw_engine');
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    cleanups.push(async () => {
      await admin.end();
      await dropPgSchema(schema);
    });
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".activity_log (id serial PRIMARY KEY, note text NOT NULL)`);
    await admin.query(`INSERT INTO "${schema}".activity_log (note) VALUES ('the app''s own row')`);
    const driver = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 2 });
    const dispatcher = new JobDispatcher(driver, { jobs: [Text] });
    cleanups.push(() => dispatcher.close({ graceSeconds: 0 }));
    await dispatcher.dispatch(new Text('with an app activity_log'));
    await driver.logActivity({
      entries: [
        {
          id: 'a1',
          jobId: null,
          jobName: 'x',
          queueName: 'default',
          event: 'started',
          causer: null,
          properties: '{}',
          durationMs: null,
          attempt: 1,
          error: null,
        },
      ],
    });
    const tables = await admin.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [schema],
    );
    const names = tables.rows.map((r) => r.table_name);
    // The app's table stays; every table of jobwright's but `jobs` carries the prefix.
    expect(names).toContain('activity_log');
    expect(names).toEqual(expect.arrayContaining(['jobs', 'jobwright_activity_log', 'jobwright_migrations']));
    expect(names.filter((n) => n !== 'activity_log' && n !== 'jobs' && !n.startsWith('jobwright_'))).toEqual(
      [],
    );
    const app = await admin.query(`SELECT note FROM "${schema}".activity_log`);
    expect(app.rows).toEqual([{ note: "the app's own row" }]);
    expect(await driver.activity({ limit: 5 })).toHaveLength(1);
  });

  it('an install that named the activity log activity_log (migration 003) is moved to jobwright_activity_log', async () => {
    const schema = uniqueName('jw_engine');
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    cleanups.push(async () => {
      await admin.end();
      await dropPgSchema(schema);
    });
    // The state 0.1.0 left: migrations 1-3 applied, jobwright's log under the name activity_log.
    const { postgresMigrations } = await import('../../../src/drivers/postgres/migrate.js');
    const [m1, m2] = postgresMigrations();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(
      `CREATE TABLE "${schema}".jobwright_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    for (const m of [m1!, m2!]) await admin.query(m.sql.replaceAll('{schema}', `"${schema}"`));
    await admin.query(`ALTER TABLE "${schema}".jobwright_activity RENAME TO activity_log`);
    await admin.query(
      `INSERT INTO "${schema}".jobwright_migrations (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
    );
    await admin.query(
      `INSERT INTO "${schema}".activity_log (id, job_name, queue_name, event, properties, attempt) VALUES ('old', 'x', 'default', 'started', '{}', 1)`,
    );
    const driver = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 2 });
    cleanups.push(() => driver.close());
    await driver.migrate();
    expect((await driver.activity({ limit: 5 })).map((e) => e.id)).toEqual(['old']);
    const left = await admin.query(`SELECT to_regclass($1) AS t`, [`"${schema}".activity_log`]);
    expect(left.rows[0].t).toBeNull();
  });

  it('reserving due jobs is an index scan on idx_jobs_queue_processing with 100,000 delayed jobs ahead', async () => {
    const { schema, driver, admin } = await setup();
    await driver.migrate();
    await admin.query(
      `INSERT INTO "${schema}".jobs (id, queue_name, job_name, payload, priority, available_at)
       SELECT lpad(g::text, 26, '0'), 'default', 'pgengine.Text', '{}', 0, now() + interval '1 day'
       FROM generate_series(1, 100000) g`,
    );
    await admin.query(
      `INSERT INTO "${schema}".jobs (id, queue_name, job_name, payload, priority) VALUES ('ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'default', 'pgengine.Text', '{}', 0)`,
    );
    await admin.query(`ANALYZE "${schema}".jobs`);
    const plan = await admin.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM "${schema}".jobs
       WHERE queue_name = 'default' AND status IN ('pending', 'retrying') AND available_at <= now()
       ORDER BY priority, available_at, id LIMIT 10 FOR UPDATE SKIP LOCKED`,
    );
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan using idx_jobs_queue_processing/);
    expect(text).not.toMatch(/Seq Scan/);
    const index = await admin.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'idx_jobs_queue_processing'`,
      [schema],
    );
    expect(index.rows[0]!.indexdef).toMatch(/available_at/);
    const [job] = await driver.reserve({ queue: 'default', limit: 1, leaseMs: 10_000, workerId: 'w' });
    expect(job!.id).toBe('ZZZZZZZZZZZZZZZZZZZZZZZZZZ');
  });
});
