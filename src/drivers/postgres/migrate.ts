import type { PgPoolLike } from './connection.js';
import { MIGRATIONS } from './migrations/index.js';

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
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
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
