import { MissingDependencyError, StoreError } from '../../errors.js';
import { type RedisTarget, redisConnectError, redisTimeoutError } from './connect-errors.js';
import type { RedisClient } from './connection.js';

/** ioredis, loaded when a Redis driver first connects (it is an optional peer). */
export async function loadIoredis<T>(): Promise<T> {
  try {
    return (await import('ioredis')) as unknown as T;
  } catch (cause) {
    throw new MissingDependencyError(
      'MISSING_DEPENDENCY',
      "The Redis driver needs the 'ioredis' package: npm install ioredis",
      { cause },
    );
  }
}

/**
 * Connects a lazily created client (one server or a cluster) within the target's connect
 * timeout, then runs `then` (e.g. a SELECT). A failure disconnects it and throws one typed
 * StoreError naming the store, from the last error ioredis reported (it rejects with "Connection
 * is closed."). The 'error' listener stays for the client's lifetime: an 'error' event with no
 * listener would crash the process.
 */
export async function connectWithin(
  client: RedisClient,
  target: RedisTarget,
  then?: () => Promise<unknown>,
): Promise<void> {
  let lastError: unknown;
  client.on('error', ((error: unknown) => {
    lastError = error;
  }) as (...args: never[]) => void);
  let timer: NodeJS.Timeout | undefined;
  try {
    // connectTimeout covers the TCP connect only: a server that accepts and never answers is caught here.
    await Promise.race([
      (client as unknown as { connect(): Promise<void> }).connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(redisTimeoutError(target)), target.connectTimeoutMs);
      }),
    ]);
    await then?.();
  } catch (error) {
    client.disconnect();
    throw redisConnectError(error instanceof StoreError ? error : (lastError ?? error), target);
  } finally {
    clearTimeout(timer);
  }
}
