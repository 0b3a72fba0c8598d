import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../../errors.js';
import type { SqliteDatabase } from './open-database.js';

export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The numbered migrations of this folder's `migrations/` (`001_jobs.sql`, ...), read at run time
 * next to this module, so the same code works from `src/` (tsx, vitest) and from `dist/` once
 * the build has copied the .sql files there.
 */
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

let cached: SqliteMigration[] | undefined;

export function sqliteMigrations(): SqliteMigration[] {
  if (cached) return cached;
  if (!existsSync(MIGRATIONS_DIR)) {
    throw new StoreError(
      'MIGRATIONS_MISSING',
      `The SQLite migrations folder ${MIGRATIONS_DIR} is missing: the build must copy src/drivers/sqlite/migrations/*.sql next to the compiled driver`,
    );
  }
  const migrations: SqliteMigration[] = [];
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(`${MIGRATIONS_DIR}${file}`, 'utf8'),
    });
  }
  migrations.forEach((m, i) => {
    // A gap or a duplicate number means a file was lost or misnamed: refuse rather than skip it.
    // Numbers rise without repeats; a gap is allowed (helpers reserve numbers: 007 may land before 005).
    if (i > 0 ? m.version <= (migrations[i - 1]?.version ?? 0) : m.version < 1) {
      throw new StoreError(
        'MIGRATIONS_INVALID',
        `SQLite migration ${String(m.version).padStart(3, '0')}_${m.name}.sql is out of sequence (numbers must rise)`,
      );
    }
  });
  cached = migrations;
  return migrations;
}

/**
 * Applies the migrations the file has not seen yet, each in its own BEGIN IMMEDIATE
 * transaction: several processes starting at once serialize on the write lock, and the one
 * that comes second finds the version recorded and skips it. Returns the versions applied.
 */
export function runMigrations(db: SqliteDatabase, now: () => number): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS jobwright_migrations (
    version    INTEGER PRIMARY KEY NOT NULL,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = db.prepare('SELECT 1 FROM jobwright_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO jobwright_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const migration of sqliteMigrations()) {
    if (applied.get(migration.version)) continue;
    db.transaction(() => {
      if (applied.get(migration.version)) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now());
      done.push(migration.version);
    }).immediate();
  }
  return done;
}

/** Versions recorded in the file, for `artisan migrate` to report. */
export function appliedMigrations(
  db: SqliteDatabase,
): Array<{ version: number; name: string; appliedAt: Date }> {
  const rows = db
    .prepare('SELECT version, name, applied_at FROM jobwright_migrations ORDER BY version')
    .all() as Array<{ version: number; name: string; applied_at: number }>;
  return rows.map((r) => ({ version: r.version, name: r.name, appliedAt: new Date(r.applied_at) }));
}
