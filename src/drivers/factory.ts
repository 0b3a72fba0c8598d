import type { JobConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { QueueDriver } from './contract.js';
import { MemoryQueueDriver } from './memory/memory-driver.js';

/**
 * Makes the driver a config names. Store clients are imported only here, on demand, so that
 * importing jobwright never needs an optional peer dependency.
 */
export async function createDriver(config: JobConfig): Promise<QueueDriver> {
  switch (config.connection) {
    case 'memory':
      return new MemoryQueueDriver({ history: config.history !== 'off' });
    case 'redis': {
      const { RedisQueueDriver } = await import('./redis/redis-driver.js');
      return new RedisQueueDriver({
        url: config.redisUrl!,
        prefix: config.redisPrefix,
        urlSource: urlSource(config.redisUrl, 'REDIS_URL', 'redisUrl'),
        history: config.history !== 'off',
      });
    }
    case 'sqlite': {
      const { SqliteQueueDriver } = await import('./sqlite/sqlite-driver.js');
      return new SqliteQueueDriver(config.sqlitePath, { history: config.history !== 'off' });
    }
    case 'database': {
      const { DatabaseQueueDriver } = await import('./postgres/postgres-driver.js');
      if (!config.databaseUrl) {
        throw new ConfigError(
          'INVALID_CONFIG',
          'QUEUE_CONNECTION=database needs DATABASE_URL=postgres://...',
        );
      }
      return new DatabaseQueueDriver({
        connectionString: config.databaseUrl,
        schema: config.databaseSchema,
        urlSource: urlSource(config.databaseUrl, 'DATABASE_URL', 'databaseUrl'),
        history: config.history !== 'off',
      });
    }
    default:
      throw new ConfigError(
        'UNKNOWN_CONNECTION',
        `The '${config.connection}' connection is not available in this build`,
      );
  }
}

/** Names where a store URL came from, for connection errors: the variable that set it, or the setting. */
function urlSource(url: string | null, variable: string, setting: string): string {
  return process.env[variable]?.trim() === url ? variable : `the ${setting} setting`;
}
