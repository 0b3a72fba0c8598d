import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDriver, loadConfig } from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';

const postgresUp = await serviceAvailable('postgres');
const redisUp = await serviceAvailable('redis');

/** The environment alone picks the store, and its schema or key prefix, for the global dispatcher and the CLI. */
describe('createDriver from the environment', () => {
  it.skipIf(!postgresUp)(
    'DATABASE_URL with JOBWRIGHT_DB_SCHEMA puts the jobs table in that schema',
    async () => {
      const schema = `factory_${randomUUID().slice(0, 8)}`;
      const driver = await createDriver(loadConfig({ DATABASE_URL, JOBWRIGHT_DB_SCHEMA: schema }));
      expect(driver.name).toMatch(/database|postgres/);
      await driver.migrate();
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query(
          'select 1 from information_schema.tables where table_schema = $1 and table_name = $2',
          [schema, 'jobs'],
        );
        expect(rows).toHaveLength(1);
      } finally {
        await driver.close();
        await client.query(`drop schema "${schema}" cascade`);
        await client.end();
      }
    },
  );

  it.skipIf(!redisUp)('REDIS_URL with JOBWRIGHT_REDIS_PREFIX keeps every key under that prefix', async () => {
    const prefix = `factory-${randomUUID().slice(0, 8)}`;
    const driver = await createDriver(loadConfig({ REDIS_URL, JOBWRIGHT_REDIS_PREFIX: prefix }));
    expect(driver.name).toBe('redis');
    await driver.enqueue({
      jobs: [
        {
          id: '01JFACTORY0000000000000001',
          queueName: 'q',
          jobName: 'X',
          payload: '{}',
          maxAttempts: 1,
          priority: 0,
          timeoutSeconds: 5,
          delayMs: 0,
          availableAt: null,
          meta: null,
        },
      ],
    });
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`*${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.includes(`{${prefix}`))).toBe(true);
      if (keys.length) await redis.del(...keys);
    } finally {
      await driver.close();
      redis.disconnect();
    }
  });
});
