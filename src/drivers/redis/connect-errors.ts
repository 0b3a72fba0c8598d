import { StoreError } from '../../errors.js';

/** Where the driver connects, as a person would name it: never with the password. */
export interface RedisTarget {
  /** `host:port/db` (and `as user` when the URL names one). */
  address: string;
  /** Where the URL came from: `REDIS_URL`, the url option. */
  source: string;
  connectTimeoutMs: number;
  /** The database number the URL names (0 when none). */
  db: number;
}

export function redisTarget(url: string, source: string, connectTimeoutMs: number): RedisTarget {
  let address = 'the Redis server';
  let db = 0;
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.replace(/^\//, '');
    db = /^\d+$/.test(path) ? Number(path) : 0;
    const user = decodeURIComponent(parsed.username);
    address = `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}${path ? `/${path}` : ''}${user ? ` as ${user}` : ''}`;
  } catch {
    // Not a URL ioredis would take either; keep the neutral name rather than echo a password.
  }
  return { address, source, connectTimeoutMs, db };
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is Redis running, and on this port?)',
  ENOTFOUND: 'host not found (check the host name)',
  EAI_AGAIN: 'host name lookup failed (check the host name and DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'the connection was reset (is it a Redis server? does it want TLS, rediss://?)',
  ETIMEDOUT: 'no answer within the connect timeout',
};

/** The typed error for a failed first connection; `error` is the last error ioredis reported. */
export function redisConnectError(error: unknown, target: RedisTarget): StoreError {
  if (error instanceof StoreError) return error;
  const e = error as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const where = `Redis at ${target.address} (from ${target.source})`;
  if (/^(WRONGPASS|NOAUTH)|invalid (username-password|password)/i.test(message)) {
    return new StoreError(
      'STORE_LOGIN_FAILED',
      `${where} refused the login (${message}): check the user and password in the URL`,
      { cause: error },
    );
  }
  if (/DB index is out of range/i.test(message)) {
    return new StoreError(
      'STORE_DATABASE_MISSING',
      `${where} has no such database number (${message}): use a number below the server's 'databases' setting`,
      { cause: error },
    );
  }
  const why =
    code === 'ETIMEDOUT'
      ? `no answer within ${target.connectTimeoutMs / 1000} s (connectTimeoutMs)`
      : (NETWORK[code] ?? message);
  return new StoreError('STORE_UNREACHABLE', `Cannot reach ${where}: ${why}`, { cause: error });
}

/** The error for a server that accepted the connection but never answered. */
export function redisTimeoutError(target: RedisTarget): StoreError {
  return redisConnectError(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), target);
}
