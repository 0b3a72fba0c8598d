import { StoreError } from '../../errors.js';
import type { PgPoolClient, PgPoolLike, PgQueryable } from './connection.js';

/** Where the driver connects, as a person would name it: never with the password. */
export interface PgTarget {
  /** `host:port/database as user` */
  address: string;
  /** Where the address came from: `DATABASE_URL`, the connectionString option, a pool. */
  source: string;
  connectTimeoutMs: number;
}

/** Describes a connection string (or a caller's pool options) without its password. */
export function pgTarget(
  connectionString: string | undefined,
  poolOptions: Record<string, unknown> | undefined,
  source: string,
  connectTimeoutMs: number,
): PgTarget {
  let host = 'localhost';
  let port = '5432';
  let database = '';
  let user = '';
  if (connectionString) {
    try {
      const url = new URL(connectionString);
      host = url.hostname || url.searchParams.get('host') || host;
      port = url.port || port;
      database = decodeURIComponent(url.pathname.replace(/^\//, ''));
      user = decodeURIComponent(url.username);
    } catch {
      // A string pg may still parse (a socket path): keep the defaults rather than echo it, password and all.
    }
  } else if (poolOptions) {
    host = String(poolOptions.host ?? host);
    port = String(poolOptions.port ?? port);
    database = String(poolOptions.database ?? '');
    user = String(poolOptions.user ?? '');
  }
  const at = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const address = `${at}${database ? `/${database}` : ''}${user ? ` as ${user}` : ''}`;
  return { address, source, connectTimeoutMs };
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running, and on this port?)',
  ENOTFOUND: 'host not found (check the host name)',
  EAI_AGAIN: 'host name lookup failed (check the host name and DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
};

/**
 * The typed error for a failure to connect or log in, or null when `error` is something else
 * (a query's own error). One message per cause, naming the server and where its address came from.
 */
export function pgConnectError(error: unknown, target: PgTarget): StoreError | null {
  if (error instanceof StoreError) return null;
  const e = error as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const where = `PostgreSQL at ${target.address} (from ${target.source})`;
  const unreachable = (why: string) =>
    new StoreError('STORE_UNREACHABLE', `Cannot reach ${where}: ${why}`, { cause: error });
  if (NETWORK[code]) return unreachable(NETWORK[code]);
  if (code === 'ETIMEDOUT' || /timeout expired|timeout exceeded|connection timeout/i.test(message)) {
    return unreachable(`no answer within ${target.connectTimeoutMs / 1000} s (connectTimeoutMs)`);
  }
  if (/Connection terminated unexpectedly/i.test(message)) {
    return unreachable(
      'the server closed the connection (is it a PostgreSQL server, and is it shutting down?)',
    );
  }
  if (code === '3D000') {
    return new StoreError(
      'STORE_DATABASE_MISSING',
      `${where} has no such database (${message}): create it (createdb) or fix the database name in the URL`,
      { cause: error },
    );
  }
  if (code === '28000' || code === '28P01' || /^SASL:|client password must be/.test(message)) {
    return new StoreError(
      'STORE_LOGIN_FAILED',
      `${where} refused the login (${message}): check the user and password in the URL, and pg_hba.conf`,
      { cause: error },
    );
  }
  if (code === '57P03' || code === '53300' || code.startsWith('08')) {
    return unreachable(message);
  }
  return null;
}

/**
 * The pool with its connection failures turned into one typed error (see pgConnectError).
 * Other errors pass through untouched for the driver's own translation.
 */
export function guardPool(pool: PgPoolLike, target: PgTarget): PgPoolLike {
  const translate = (error: unknown): never => {
    throw pgConnectError(error, target) ?? error;
  };
  const query = ((...args: Parameters<PgQueryable['query']>) =>
    (pool.query as (...a: unknown[]) => Promise<unknown>)(...args).catch(translate)) as PgQueryable['query'];
  return {
    query,
    connect: () => pool.connect().catch(translate) as Promise<PgPoolClient>,
    on: (event, listener) => pool.on(event, listener),
    end: () => pool.end(),
    get options() {
      return pool.options;
    },
  };
}
