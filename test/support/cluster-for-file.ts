import { existsSync } from 'node:fs';
import { afterAll } from 'vitest';
import { PrivateRedisCluster, type RedisClusterOptions } from './redis-cluster.js';
import { servicesRequired } from './services.js';

/** True when this machine can start private Redis servers (the cluster tests need redis-server). */
export function redisServerInstalled(what: string): boolean {
  if (['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p))) return true;
  const message = `${what}, because redis-server is not installed (apt-get install redis-server)`;
  if (servicesRequired) throw new Error(`Cannot run ${message}, and CI or REQUIRE_SERVICES=1 requires it`);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

/**
 * A private Redis Cluster for one test file, stopped after it; undefined (its tests skip, with a
 * message) where redis-server is missing, except under CI, where that fails.
 */
export async function clusterForFile(
  what: string,
  options?: RedisClusterOptions,
): Promise<PrivateRedisCluster | undefined> {
  if (!redisServerInstalled(what)) return undefined;
  const cluster = await PrivateRedisCluster.start(options);
  afterAll(() => cluster.stop());
  return cluster;
}
