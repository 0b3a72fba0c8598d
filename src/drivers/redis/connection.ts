import { ConfigError } from '../../errors.js';
import { CLUSTER_URL, clusterTarget, connectCluster } from './cluster.js';
import { type RedisTarget, redisTarget } from './connect-errors.js';
import { assertPrefix, DEFAULT_PREFIX } from './keys.js';
import { connectWithin, loadIoredis } from './open-client.js';

/**
 * The part of an ioredis client (a `Redis` or a `Cluster`) the driver uses. Typed structurally so
 * that jobwright's own types never need ioredis installed.
 */
export interface RedisClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: ioredis' overloads vary between versions
  call(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  evalsha(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  duplicate(...args: any[]): unknown;
}

/** What the driver calls on a client; an ioredis client has all of it. */
export interface RedisClient {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(source: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  duplicate(): RedisClient;
  /** ioredis pipelines (used for writes followed by WAIT). */
  pipeline?(): RedisPipeline;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  quit(): Promise<unknown>;
  /** With `true`, ioredis closes the connection and opens it again (resubscribing). */
  disconnect(reconnect?: boolean): void;
  readonly isCluster?: boolean;
}

export interface RedisPipeline {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): RedisPipeline;
  eval(source: string, numKeys: number, ...args: Array<string | number>): RedisPipeline;
  call(command: string, ...args: Array<string | number>): RedisPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

export interface RedisQueueDriverOptions {
  /**
   * `redis://` or `rediss://` URL, or `redis+cluster://host:port,host:port` for Redis Cluster; the
   * driver opens and closes its own connection.
   */
  url?: string;
  /** An ioredis `Redis` or `Cluster` the caller owns: the driver never closes it. */
  client?: RedisClientLike;
  /** Start of every key; lets several apps or test runs share one Redis. Default 'jobwright'. */
  prefix?: string;
  /** How many activity log entries are kept (a capped list). Default 10,000. */
  activityLimit?: number;
  /** Wake idle workers through pub/sub when work arrives (default true); polling is the safety net. */
  wakeups?: boolean;
  /** Where the URL came from, named in connection errors (e.g. 'REDIS_URL'). */
  urlSource?: string;
  /** How long the first connection may take before it fails as unreachable (ms; default 10,000; 100 to 600,000). */
  connectTimeoutMs?: number;
  /**
   * Acknowledge a write (dispatch, attempt, outcome, recovery) only once this many replicas have
   * it (`WAIT`), so that a failover loses no acknowledged write. Default 0 (Redis' own
   * asynchronous replication); 0 to 16. Costs a replica round trip per write (docs/reliability.md).
   */
  waitReplicas?: number;
  /**
   * How long a command may go unanswered before it fails and the connection is dropped and
   * opened again (ms; default 30,000; 100 to 600,000): this finds half-open connections (a dead
   * NAT entry, a partitioned network) that TCP may not notice for hours. The wake-up subscription
   * is pinged as often. Keep it below the lease (JOB_LEASE_SECONDS).
   */
  commandTimeoutMs?: number;
  /** How long a write waits for its replicas before it fails with REDIS_NOT_REPLICATED (ms; default 1,000; 10 to 60,000). */
  waitTimeoutMs?: number;
  /** Record attempt history and metrics in the settle and recover scripts (default true). */
  history?: boolean;
}

export interface ResolvedOptions {
  history: boolean;
  url: string | null;
  client: RedisClient | null;
  prefix: string;
  activityLimit: number;
  wakeups: boolean;
  /** Where `url` points, for connection errors (null with a caller's client). */
  target: RedisTarget | null;
  replication: { replicas: number; timeoutMs: number };
  commandTimeoutMs: number;
}

function isClient(value: unknown): value is RedisClientLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RedisClientLike).evalsha === 'function' &&
    typeof (value as RedisClientLike).duplicate === 'function'
  );
}

export function resolveOptions(input: string | RedisClientLike | RedisQueueDriverOptions): ResolvedOptions {
  const options: RedisQueueDriverOptions =
    typeof input === 'string' ? { url: input } : isClient(input) ? { client: input } : (input ?? {});
  const url = options.url ?? null;
  const client = options.client ?? null;
  if (url === null && client === null) {
    throw new ConfigError(
      'REDIS_CONNECTION_MISSING',
      'RedisQueueDriver needs a redis:// URL or an ioredis client: new RedisQueueDriver(process.env.REDIS_URL)',
    );
  }
  if (url !== null && !/^rediss?(\+cluster)?:\/\//.test(url)) {
    throw new ConfigError(
      'INVALID_REDIS_URL',
      'The Redis URL must start with redis://, rediss:// or (for Redis Cluster) redis+cluster://',
    );
  }
  if (client !== null && !isClient(client)) {
    throw new ConfigError('INVALID_REDIS_CLIENT', 'The Redis client must be an ioredis Redis or Cluster');
  }
  const activityLimit = options.activityLimit ?? 10_000;
  if (!Number.isSafeInteger(activityLimit) || activityLimit < 1) {
    throw new ConfigError('INVALID_ACTIVITY_LIMIT', 'activityLimit must be a whole number from 1');
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(connectTimeoutMs) || connectTimeoutMs < 100 || connectTimeoutMs > 600_000) {
    throw new ConfigError(
      'INVALID_CONNECT_TIMEOUT',
      `Invalid connectTimeoutMs ${String(connectTimeoutMs)}: use a whole number of milliseconds from 100 to 600000`,
    );
  }
  const replicas = options.waitReplicas ?? 0;
  const waitTimeoutMs = options.waitTimeoutMs ?? 1000;
  if (!Number.isSafeInteger(replicas) || replicas < 0 || replicas > 16) {
    throw new ConfigError(
      'INVALID_WAIT_REPLICAS',
      `Invalid waitReplicas ${String(replicas)}: use a whole number of replicas from 0 to 16`,
    );
  }
  if (!Number.isSafeInteger(waitTimeoutMs) || waitTimeoutMs < 10 || waitTimeoutMs > 60_000) {
    throw new ConfigError(
      'INVALID_WAIT_TIMEOUT',
      `Invalid waitTimeoutMs ${String(waitTimeoutMs)}: use a whole number of milliseconds from 10 to 60000`,
    );
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
  if (!Number.isSafeInteger(commandTimeoutMs) || commandTimeoutMs < 100 || commandTimeoutMs > 600_000) {
    throw new ConfigError(
      'INVALID_COMMAND_TIMEOUT',
      `Invalid commandTimeoutMs ${String(commandTimeoutMs)}: use a whole number of milliseconds from 100 to 600000`,
    );
  }
  return {
    url,
    commandTimeoutMs,
    replication: { replicas, timeoutMs: waitTimeoutMs },
    target:
      url === null
        ? null
        : (CLUSTER_URL.test(url) ? clusterTarget : redisTarget)(
            url,
            options.urlSource ?? 'the url given to the driver',
            connectTimeoutMs,
          ),
    client: client as unknown as RedisClient | null,
    prefix: assertPrefix(options.prefix ?? DEFAULT_PREFIX),
    activityLimit,
    wakeups: options.wakeups ?? true,
    history: options.history !== false,
  };
}

/**
 * Opens a connection to `url` with ioredis, imported only now: it is an optional peer dependency.
 * The first connection is not retried: a wrong address, a refused port or a bad password is
 * reported at once as one typed error (connect-errors.ts); once a connection has worked, a lost
 * one is retried as ioredis does.
 */
export async function connect(
  url: string,
  target: RedisTarget,
  commandTimeoutMs = 30_000,
): Promise<RedisClient> {
  if (CLUSTER_URL.test(url)) return connectCluster(url, target, commandTimeoutMs);
  const mod = await loadIoredis<{ default: new (url: string, options: object) => RedisClient }>();
  let connected = false;
  const client = new mod.default(url, {
    connectionName: 'jobwright',
    // Commands issued while Redis is away wait for the reconnect (up to ~20 tries, ~30 s) and
    // then fail; the worker backs off and tries again, so it resumes by itself.
    maxRetriesPerRequest: 20,
    commandTimeout: commandTimeoutMs,
    lazyConnect: true,
    connectTimeout: target.connectTimeoutMs,
    // ioredis' own delays, but only after a first connection worked.
    retryStrategy: (times: number) => (connected ? Math.min(times * 50, 2000) : null),
  });
  // ioredis only reports a failed SELECT as an 'error' event and goes on in database 0.
  await connectWithin(client, target, target.db > 0 ? () => client.call('select', target.db) : undefined);
  connected = true;
  return client;
}

/** Closes a connection the driver opened, without hanging on a server that is away. */
export async function closeClient(client: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
  } catch {
    // Already closed or unreachable: disconnect below.
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The error ioredis gives a command that got no answer within `commandTimeout`. */
export function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && /Command timed out/i.test(error.message);
}
