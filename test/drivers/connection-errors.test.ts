/**
 * Connection errors of PostgreSQL and Redis (connect-errors.ts of each driver): one typed
 * StoreError per cause, naming the server and where its URL came from, never the password;
 * refused connections reported at once, silent servers within the connect timeout. Traffic goes
 * to 127.0.0.1 only: free ports, a local server that never answers, and the real services.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createDriver,
  DatabaseQueueDriver,
  loadConfig,
  type QueueDriver,
  RedisQueueDriver,
  StoreError,
} from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';

const pgUp = await serviceAvailable('postgres');
const redisUp = await serviceAvailable('redis');

/** A port on 127.0.0.1 that nobody listens on: bound by us, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A server on 127.0.0.1 that accepts connections and never says a word. */
let silent: net.Server;
let silentPort: number;
const sockets = new Set<net.Socket>();
beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** The error of the driver's first store call; the driver is closed after. */
async function firstError(driver: QueueDriver): Promise<StoreError> {
  try {
    await driver.counts({});
  } finally {
    await driver.close();
  }
  throw new Error('the store call succeeded');
}

async function errorOf(driver: QueueDriver): Promise<StoreError> {
  const error = await firstError(driver).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('PostgreSQL', () => {
  const pg = (url: string, extra: object = {}) =>
    new DatabaseQueueDriver({ connectionString: url, urlSource: 'DATABASE_URL', ...extra });

  it('a refused port: STORE_UNREACHABLE naming the address and DATABASE_URL, without the password', async () => {
    const port = await freePort();
    const error = await errorOf(pg(`postgres://postgres:hunter2@127.0.0.1:${port}/test`));
    expect(error.code).toBe('STORE_UNREACHABLE');
    expect(error.message).toBe(
      `Cannot reach PostgreSQL at 127.0.0.1:${port}/test as postgres (from DATABASE_URL): connection refused (is PostgreSQL running, and on this port?)`,
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('a server that never answers: STORE_UNREACHABLE once connectTimeoutMs has passed', async () => {
    const error = await errorOf(
      pg(`postgres://postgres@127.0.0.1:${silentPort}/test`, { connectTimeoutMs: 300 }),
    );
    expect(error.code).toBe('STORE_UNREACHABLE');
    expect(error.message).toContain('no answer within 0.3 s (connectTimeoutMs)');
  });

  it.runIf(pgUp)('a database that does not exist: STORE_DATABASE_MISSING', async () => {
    const url = new URL(DATABASE_URL);
    url.pathname = `/jw_missing_${process.pid}`;
    const error = await errorOf(pg(url.href));
    expect(error.code).toBe('STORE_DATABASE_MISSING');
    expect(error.message).toContain(`database "jw_missing_${process.pid}" does not exist`);
    expect(error.message).toContain('(from DATABASE_URL)');
  });

  it.runIf(pgUp)('a user that does not exist: STORE_LOGIN_FAILED, without the password', async () => {
    const url = new URL(DATABASE_URL);
    url.username = `jw_nobody_${process.pid}`;
    url.password = 'hunter2';
    const error = await errorOf(pg(url.href));
    expect(error.code).toBe('STORE_LOGIN_FAILED');
    expect(error.message).toContain(`as jw_nobody_${process.pid} (from DATABASE_URL) refused the login`);
    expect(error.message).not.toContain('hunter2');
  });

  it('names the setting when the URL came from the config rather than DATABASE_URL', async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/test`;
    const driver = await createDriver(loadConfig({}, { databaseUrl: url }));
    const error = await errorOf(driver);
    expect(error.message).toContain('(from the databaseUrl setting)');
  });

  it('refuses a connect timeout out of bounds with a typed error', () => {
    for (const connectTimeoutMs of [0, 99, 600_001, 1.5]) {
      expect(() => pg(DATABASE_URL, { connectTimeoutMs })).toThrow(ConfigError);
    }
  });
});

describe('Redis', () => {
  const prefix = `jw-connerr-${process.pid}`;
  const redis = (url: string, extra: object = {}) =>
    new RedisQueueDriver({ url, prefix, urlSource: 'REDIS_URL', ...extra });

  it('a refused port: STORE_UNREACHABLE at once, not after ioredis retries', async () => {
    const port = await freePort();
    const error = await errorOf(redis(`redis://:hunter2@127.0.0.1:${port}`));
    expect(error.code).toBe('STORE_UNREACHABLE');
    expect(error.message).toBe(
      `Cannot reach Redis at 127.0.0.1:${port} (from REDIS_URL): connection refused (is Redis running, and on this port?)`,
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('a server that never answers: STORE_UNREACHABLE once connectTimeoutMs has passed', async () => {
    const error = await errorOf(redis(`redis://127.0.0.1:${silentPort}`, { connectTimeoutMs: 300 }));
    expect(error.code).toBe('STORE_UNREACHABLE');
    expect(error.message).toContain('no answer within 0.3 s (connectTimeoutMs)');
  });

  it.runIf(redisUp)('a database number the server does not have: STORE_DATABASE_MISSING', async () => {
    const url = new URL(REDIS_URL);
    url.pathname = '/9999';
    const error = await errorOf(redis(url.href));
    expect(error.code).toBe('STORE_DATABASE_MISSING');
    expect(error.message).toContain('/9999 (from REDIS_URL)');
  });

  it.runIf(redisUp)('a user that does not exist: STORE_LOGIN_FAILED, without the password', async () => {
    const url = new URL(REDIS_URL);
    url.username = `jw_nobody_${process.pid}`;
    url.password = 'hunter2';
    const error = await errorOf(redis(url.href));
    expect(error.code).toBe('STORE_LOGIN_FAILED');
    expect(error.message).not.toContain('hunter2');
  });

  it.runIf(redisUp)('after a connection that worked, a dropped one is reconnected', async () => {
    const driver = redis(REDIS_URL);
    try {
      await driver.counts({});
      const client = (driver as unknown as { client: { call(...args: unknown[]): Promise<unknown> } }).client;
      const id = await client.call('client', 'id');
      // Kill this one connection (by its id, no one else's) from a second connection.
      const other = redis(REDIS_URL);
      try {
        await (other as unknown as { command(...a: unknown[]): Promise<unknown> }).command(
          'client',
          'kill',
          'id',
          id as number,
        );
      } finally {
        await other.close();
      }
      expect(await driver.counts({})).toEqual([]);
    } finally {
      await driver.close();
    }
  });
});
