import { ConfigError, InvalidJobError, MissingDependencyError } from '../../errors.js';

/** The parts of a pg result this driver reads. */
export interface PgResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number | null;
}

/** What the driver needs of a pg client: a pooled client, a `pg.Client`, or a transaction's client. */
/** A statement for node-postgres; with a `name`, it is prepared once per connection. */
export interface PgQueryConfig {
  name?: string;
  text: string;
  values?: unknown[];
  /** Client-side: fail the query (and drop its connection) when no answer came in this many ms. */
  query_timeout?: number;
}

export interface PgQueryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  query<R = Record<string, unknown>>(config: PgQueryConfig): Promise<PgResult<R>>;
}

export interface PgPoolClient extends PgQueryable {
  release(error?: Error | boolean): void;
}

/** A `pg.Pool`, described structurally so that the typings never require `@types/pg`. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
  options?: Record<string, unknown>;
}

export interface DatabaseQueueDriverOptions {
  /** postgres://user:password@host:port/database */
  connectionString?: string;
  /** An existing pg.Pool; the driver uses it and never ends it. */
  pool?: PgPoolLike;
  /** Schema holding the tables (default `public`): lowercase letters, digits and _, up to 63. */
  schema?: string;
  /** Connections the driver's own pool may open (default 10). */
  max?: number;
  /** `application_name` of the driver's connections, so DBAs can tell them apart (default `jobwright`). */
  applicationName?: string;
  /**
   * Which worker statements commit without waiting for the WAL flush (`synchronous_commit = off`).
   * - 'reservations' (default): reserve, start and heartbeat. A database crash may forget one, which
   *   only puts the job back; its run's completion is then refused by the lease token.
   * - 'all': also complete, retry and fail. Faster; a database crash may then forget an
   *   accepted completion, and that job runs once more.
   * - 'none': every statement waits for the flush.
   * Enqueue and the admin verbs always wait for the flush: a dispatched job is never lost.
   */
  asyncCommit?: 'none' | 'reservations' | 'all';
  /**
   * Send the hot statements (reserve, complete, retry, fail, release, heartbeat, enqueue) as
   * named prepared statements (default true): planning them cost more than running them. Turn
   * off behind a pooler in transaction mode (PgBouncer), which cannot keep them.
   */
  preparedStatements?: boolean;
  /** Send NOTIFY wake-ups on enqueue (default true). */
  notify?: boolean;
  /** Where the connection string came from, named in connection errors (e.g. 'DATABASE_URL'). */
  urlSource?: string;
  /** How long opening a connection may take before it fails as unreachable (ms; default 10,000; 100 to 600,000). */
  connectTimeoutMs?: number;
  /**
   * How long a worker statement (reserve, start, heartbeat, outcomes, enqueue, worker registry)
   * may go unanswered before its connection is dropped and a new one opened (ms; default 30,000;
   * 100 to 600,000). This is what finds a half-open connection (a dead NAT entry, a partitioned
   * network): TCP itself may not notice for hours. The LISTEN connection is checked as often.
   * Keep it below the lease (JOB_LEASE_SECONDS) so that a worker notices before its jobs expire.
   */
  queryTimeoutMs?: number;
  /**
   * Record attempt history and metrics (default true; migration 007's trigger). false sets
   * `jobwright.history = off` on the driver's own connections; with your own pool, set it on the
   * role instead (`ALTER ROLE ... SET jobwright.history = 'off'`).
   */
  history?: boolean;
}

const MAX_CONNECT_TIMEOUT_MS = 600_000;

/** The worker statements' answer timeout, bounded: a typed error past the bounds. */
export function queryTimeoutOf(ms: number | undefined): number {
  if (ms === undefined) return 30_000;
  if (!Number.isSafeInteger(ms) || ms < 100 || ms > 600_000) {
    throw new ConfigError(
      'INVALID_QUERY_TIMEOUT',
      `Invalid queryTimeoutMs ${String(ms)}: use a whole number of milliseconds from 100 to 600000`,
    );
  }
  return ms;
}

/** The connect timeout, bounded: a typed error past the bounds. */
export function connectTimeoutOf(ms: number | undefined): number {
  if (ms === undefined) return 10_000;
  if (!Number.isSafeInteger(ms) || ms < 100 || ms > MAX_CONNECT_TIMEOUT_MS) {
    throw new ConfigError(
      'INVALID_CONNECT_TIMEOUT',
      `Invalid connectTimeoutMs ${String(ms)}: use a whole number of milliseconds from 100 to ${MAX_CONNECT_TIMEOUT_MS}`,
    );
  }
  return ms;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates a schema name against a strict allowlist and returns it double-quoted. */
export function quoteSchema(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new InvalidJobError(
      'INVALID_SCHEMA_NAME',
      `Invalid PostgreSQL schema name ${JSON.stringify(String(schema)).slice(0, 80)}: use 1 to 63 lowercase letters, digits or _, starting with a letter or _ (not pg_)`,
    );
  }
  return `"${schema}"`;
}

type PgModule = {
  Pool: new (config: Record<string, unknown>) => PgPoolLike;
  Client: new (config: Record<string, unknown>) => PgListenClient;
};

/** A dedicated client for LISTEN. */
export interface PgListenClient extends PgQueryable {
  connect(): Promise<void>;
  end(): Promise<void>;
  on(event: 'notification', listener: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(): unknown;
}

let pgModule: Promise<PgModule> | undefined;

/** Loads `pg` on first use: it is an optional peer dependency. */
export function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then(
    (mod) => ((mod as unknown as { default?: PgModule }).default ?? mod) as unknown as PgModule,
    (cause: unknown) => {
      pgModule = undefined;
      throw new MissingDependencyError(
        'MISSING_DEPENDENCY',
        "The PostgreSQL driver needs the 'pg' package: run `npm install pg`",
        { cause },
      );
    },
  );
  return pgModule;
}

/** Normalizes the constructor argument: a URL, a pool, or options. */
export function normalizeOptions(
  input: string | PgPoolLike | DatabaseQueueDriverOptions,
): DatabaseQueueDriverOptions {
  if (typeof input === 'string') return { connectionString: input };
  if (
    input &&
    typeof (input as PgPoolLike).connect === 'function' &&
    typeof (input as PgPoolLike).query === 'function'
  ) {
    return { pool: input as PgPoolLike };
  }
  const options = input as DatabaseQueueDriverOptions;
  if (!options || (!options.connectionString && !options.pool)) {
    throw new ConfigError(
      'INVALID_CONFIG',
      'DatabaseQueueDriver needs a connection string (postgres://...), a pg.Pool, or { connectionString | pool }',
    );
  }
  if (options.connectionString && !/^postgres(ql)?:\/\//.test(options.connectionString)) {
    throw new ConfigError(
      'INVALID_CONFIG',
      'The connection string must start with postgres:// or postgresql://',
    );
  }
  return options;
}
