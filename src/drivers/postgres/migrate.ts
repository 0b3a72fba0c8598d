import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../../errors.js';
import type { PgPoolLike } from './connection.js';

export interface Migration {
  version: number;
  name: string;
  /** SQL with `{schema}` standing for the quoted schema name. */
  sql: string;
}

/**
 * The numbered migrations of `migrations/` (`001_jobs_table.sql`, ...), read next to this module
 * so the same code runs from `src/` and from `dist/` (the build copies the .sql files).
 * Append only: an applied migration is never edited.
 */
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;
let cached: Migration[] | undefined;

export function postgresMigrations(): Migration[] {
  if (cached) return cached;
  if (!existsSync(MIGRATIONS_DIR)) {
    throw new StoreError(
      'MIGRATIONS_MISSING',
      `The PostgreSQL migrations folder ${MIGRATIONS_DIR} is missing: the build must copy src/drivers/postgres/migrations/*.sql next to the compiled driver`,
    );
  }
  const list: Migration[] = [];
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    list.push({
      version: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(`${MIGRATIONS_DIR}${file}`, 'utf8'),
    });
  }
  list.forEach((m, i) => {
    // Numbers rise without repeats; a gap is allowed (helpers reserve numbers: 007 may land before 005).
    if (i > 0 ? m.version <= (list[i - 1]?.version ?? 0) : m.version < 1) {
      throw new StoreError(
        'MIGRATIONS_MISSING',
        `PostgreSQL migration ${m.version}_${m.name}.sql is out of sequence`,
      );
    }
  });
  cached = list;
  return list;
}

/**
 * Applies the migrations that are missing, in one transaction under an advisory lock, so that
 * many processes starting at once neither race nor half-apply. Applied versions are recorded
 * in `jobwright_migrations`. Returns the versions applied now.
 */
export async function runMigrations(
  pool: PgPoolLike,
  quotedSchema: string,
  schema: string,
): Promise<number[]> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    // One lock per schema: two apps with different schemas do not wait for each other.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jobwright:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quotedSchema}.jobwright_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${quotedSchema}.jobwright_migrations`,
    );
    const done = new Set(rows.map((r) => r.version));
    if (!done.has(1)) await refuseForeignJobsTable(client, schema);
    const applied: number[] = [];
    for (const migration of postgresMigrations()) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql.replaceAll('{schema}', quotedSchema));
      await client.query(`INSERT INTO ${quotedSchema}.jobwright_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    failed = error as Error;
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release(failed);
  }
}

/** Columns only jobwright's `jobs` table has together: another app's `jobs` lacks some of them. */
const JOBS_COLUMNS = [
  'id',
  'queue_name',
  'job_name',
  'payload',
  'attempts',
  'max_attempts',
  'status',
  'available_at',
];

/**
 * Before the first migration: a `jobs` table that is already in the schema and is not
 * jobwright's (another app's) is refused, instead of being altered or mixed with.
 */
async function refuseForeignJobsTable(client: { query: PgPoolLike['query'] }, schema: string): Promise<void> {
  const { rows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'jobs'`,
    [schema],
  );
  if (rows.length === 0) return;
  const have = new Set(rows.map((r) => r.column_name));
  const missing = JOBS_COLUMNS.filter((c) => !have.has(c));
  if (missing.length === 0) return;
  throw new StoreError(
    'FOREIGN_JOBS_TABLE',
    `The schema "${schema}" already has a jobs table that is not jobwright's (it has no ${missing.join(', ')} column): set JOBWRIGHT_DB_SCHEMA to a schema of jobwright's own (e.g. jobwright)`,
  );
}
