import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { MissingDependencyError, StoreError } from '../../errors.js';

export type SqliteDatabase = BetterSqlite3.Database;

export interface OpenOptions {
  /** How long a statement waits for another process's write lock before failing (SQLITE_BUSY). */
  busyTimeoutMs: number;
  /** `NORMAL` survives a crash of the process (the WAL is on disk); `FULL` also a power loss. */
  synchronous: 'NORMAL' | 'FULL';
}

const require = createRequire(import.meta.url);

/**
 * Loads better-sqlite3 on first use, synchronously, so that importing jobwright never loads a
 * native addon that the chosen driver does not need.
 */
function loadBetterSqlite3(): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (cause) {
    throw new MissingDependencyError(
      'MISSING_DEPENDENCY',
      'The SQLite driver needs the better-sqlite3 package (12.x): npm install better-sqlite3',
      { cause },
    );
  }
}

/** Whether `value` looks like a better-sqlite3 Database the caller opened themselves. */
export function isDatabase(value: unknown): value is SqliteDatabase {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SqliteDatabase).prepare === 'function' &&
    typeof (value as SqliteDatabase).pragma === 'function'
  );
}

/**
 * Opens the store file (creating its folder), or adopts a caller's Database, and sets the
 * pragmas a multi-process queue needs. Any problem becomes a StoreError that names the file
 * and says what to do, instead of a bare SQLITE_* code at the first dispatch.
 */
export function openDatabase(fileOrDatabase: string | SqliteDatabase, options: OpenOptions): SqliteDatabase {
  let db: SqliteDatabase;
  let file = ':memory:';
  if (isDatabase(fileOrDatabase)) {
    db = fileOrDatabase;
    file = db.name;
  } else {
    if (typeof fileOrDatabase !== 'string' || fileOrDatabase.length === 0) {
      throw new StoreError(
        'INVALID_STORE_PATH',
        'SqliteQueueDriver needs a file path or a better-sqlite3 Database',
      );
    }
    const Database = loadBetterSqlite3();
    file = fileOrDatabase === ':memory:' ? fileOrDatabase : resolve(fileOrDatabase);
    if (file !== ':memory:') {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (cause) {
        throw new StoreError(
          'STORE_NOT_WRITABLE',
          `Cannot create the folder of the SQLite store ${file}: ${(cause as Error).message}`,
          { cause },
        );
      }
    }
    try {
      db = new Database(file);
    } catch (cause) {
      throw translateOpenError(cause, file);
    }
  }
  try {
    // WAL lets readers (stats, the dashboard) run while one process writes.
    if (!db.memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') {
        throw new StoreError(
          'STORE_NO_WAL',
          `The SQLite store ${file} cannot use WAL mode (it stayed '${mode}'); use a local disk, not a network share`,
        );
      }
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs))}`);
    db.pragma(`synchronous = ${options.synchronous}`);
    // Each checkpoint fsyncs the WAL and the database: every 10,000 pages (about 40 MB of WAL)
    // instead of SQLite's 1,000 makes those syncs rarer, and a page rewritten by many commits
    // (an index leaf) is copied back once per checkpoint. Measured ~1.5x more commits per second.
    db.pragma('wal_autocheckpoint = 10000');
    // Reading the schema forces SQLite to read the file header: a file that is not a database fails here.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (cause) {
    if (!isDatabase(fileOrDatabase)) db.close();
    throw translateOpenError(cause, file);
  }
  return db;
}

/** Turns better-sqlite3's errors at start-up into StoreErrors that say what is wrong. */
export function translateOpenError(cause: unknown, file: string): Error {
  if (cause instanceof StoreError) return cause;
  const code = (cause as { code?: string }).code ?? '';
  const message = (cause as Error).message ?? String(cause);
  if (code === 'SQLITE_NOTADB' || /not a database/i.test(message)) {
    return new StoreError(
      'STORE_NOT_SQLITE',
      `${file} is not a SQLite database: point JOBWRIGHT_SQLITE_PATH (or the driver) at another file, or move this one away`,
      { cause },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new StoreError(
      'STORE_NOT_WRITABLE',
      `Cannot open the SQLite store ${file} for writing (${code}: ${message}); the file and its folder must be writable, as SQLite creates -wal and -shm files next to it`,
      { cause },
    );
  }
  if (code === 'SQLITE_CORRUPT') {
    return new StoreError('STORE_CORRUPT', `The SQLite store ${file} is damaged (${message})`, { cause });
  }
  return new StoreError('STORE_OPEN_FAILED', `Cannot open the SQLite store ${file}: ${message}`, { cause });
}
