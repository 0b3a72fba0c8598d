import { ConfigError } from '../../errors.js';
import type { RedisTarget } from './connect-errors.js';
import type { RedisClient } from './connection.js';
import { connectWithin, loadIoredis } from './open-client.js';

/**
 * Redis Cluster by URL: `redis+cluster://[user:password@]host:port[,host:port...]` (or
 * `rediss+cluster://` for TLS). The hosts are seed nodes: the client learns the rest of the
 * cluster from any of them, so two or three are enough. One variable, REDIS_URL, stays the only
 * setting a deployment needs.
 */
export const CLUSTER_URL = /^rediss?\+cluster:\/\//;

export interface ClusterUrl {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
}

const MAX_SEEDS = 100;

export function parseClusterUrl(url: string): ClusterUrl {
  const bad = (why: string) =>
    new ConfigError(
      'INVALID_REDIS_URL',
      `Invalid Redis Cluster URL: ${why}. Use redis+cluster://[user:password@]host:port[,host:port...]`,
    );
  const tls = url.startsWith('rediss+');
  const rest = url.replace(CLUSTER_URL, '');
  const [authority = '', ...after] = rest.split(/[/?#]/);
  if (after.some((part) => part !== '' && part !== '0')) {
    throw bad('a cluster has no database number or options in the URL');
  }
  const at = authority.lastIndexOf('@');
  const credentials = at >= 0 ? authority.slice(0, at) : '';
  const hosts = at >= 0 ? authority.slice(at + 1) : authority;
  const nodes = hosts.split(',').map((hostPort) => {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(hostPort);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) throw bad(`'${hostPort}' is not host:port`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length > MAX_SEEDS) throw bad(`more than ${MAX_SEEDS} seed nodes`);
  const parsed: ClusterUrl = { nodes, tls };
  if (credentials) {
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
    const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : undefined;
    if (colon < 0) parsed.password = user;
    else {
      if (user) parsed.username = user;
      if (password) parsed.password = password;
    }
  }
  return parsed;
}

/** Where a cluster URL points, for connection errors (never with the password). */
export function clusterTarget(url: string, source: string, connectTimeoutMs: number): RedisTarget {
  const { nodes, username } = parseClusterUrl(url);
  const seeds = nodes.map((n) => `${n.host}:${n.port}`).join(',');
  return { address: `cluster ${seeds}${username ? ` as ${username}` : ''}`, source, connectTimeoutMs, db: 0 };
}

/**
 * Opens an ioredis `Cluster`. As with one server, the first connection is not retried (a wrong
 * address fails at once, typed); afterwards a lost node, a failover (MOVED, CLUSTERDOWN, TRYAGAIN)
 * is retried by the client for up to ~10 s, and the worker's own backoff covers longer outages.
 */
export async function connectCluster(
  url: string,
  target: RedisTarget,
  commandTimeoutMs: number,
): Promise<RedisClient> {
  const mod = await loadIoredis<{ Cluster: new (nodes: object[], options: object) => RedisClient }>();
  const parsed = parseClusterUrl(url);
  let connected = false;
  const client = new mod.Cluster(parsed.nodes, {
    lazyConnect: true,
    // During a failover the slots of the dead master answer CLUSTERDOWN until a replica is
    // promoted (cluster-node-timeout + an election): keep retrying for that long.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 50,
    clusterRetryStrategy: (times: number) => (connected ? Math.min(100 + times * 100, 2000) : null),
    redisOptions: {
      connectionName: 'jobwright',
      connectTimeout: target.connectTimeoutMs,
      maxRetriesPerRequest: 20,
      commandTimeout: commandTimeoutMs,
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
    },
  });
  await connectWithin(client, target);
  connected = true;
  return client;
}
