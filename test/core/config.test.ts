import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, exponentialBackoff, loadConfig } from '../../src/index.js';

describe('loadConfig', () => {
  it("has the seed's defaults and picks SQLite when nothing is set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      connection: 'sqlite',
      sqlitePath: './storage/jobs.sqlite',
      defaultQueue: 'default',
      maxAttempts: 3,
      retryDelay: 60,
      timeout: 300,
      workerConcurrency: 5,
      maxPayloadBytes: 1024 * 1024,
    });
    expect(DEFAULT_CONFIG.workerConcurrency).toBe(5);
  });

  it("reads the seed's variables", () => {
    const config = loadConfig({
      JOB_WORKER_CONCURRENCY: '12',
      JOB_MAX_RETRY_ATTEMPTS: '7',
      JOB_RETRY_DELAY: '2.5',
      JOB_DEFAULT_TIMEOUT: '90',
      JOB_RETRY_BACKOFF: 'exponential',
    });
    expect(config).toMatchObject({
      workerConcurrency: 12,
      maxAttempts: 7,
      retryDelay: 2.5,
      timeout: 90,
      retryBackoff: 'exponential',
    });
  });

  it('picks the store from DATABASE_URL, REDIS_URL or QUEUE_CONNECTION', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/db' }).connection).toBe('database');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).connection).toBe('redis');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_CONNECTION: 'memory' }).connection).toBe(
      'memory',
    );
  });

  it.each([
    [
      'JOB_WORKER_CONCURRENCY',
      'five',
      /JOB_WORKER_CONCURRENCY="five" is not valid: use a whole number from 1 to 10000/,
    ],
    ['JOB_WORKER_CONCURRENCY', '0', /JOB_WORKER_CONCURRENCY/],
    ['JOB_MAX_RETRY_ATTEMPTS', '-1', /JOB_MAX_RETRY_ATTEMPTS="-1" is not valid/],
    ['JOB_RETRY_DELAY', 'soon', /JOB_RETRY_DELAY="soon" is not valid: use seconds, 0 or more/],
    ['JOB_DEFAULT_TIMEOUT', '0', /JOB_DEFAULT_TIMEOUT="0" is not valid: use seconds above 0/],
    ['JOB_RETRY_BACKOFF', 'linear', /'fixed' or 'exponential'/],
    [
      'QUEUE_CONNECTION',
      'mongodb',
      /QUEUE_CONNECTION="mongodb" is not valid: use one of sqlite, database, redis, memory/,
    ],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a postgres:\/\//],
  ])('a bad %s (%s) is a ConfigError naming the variable and what it accepts', (name, value, message) => {
    const error = (() => {
      try {
        loadConfig({ [name]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('reads the PostgreSQL schema and the Redis key prefix, and refuses unsafe ones', () => {
    expect(loadConfig({ JOBWRIGHT_DB_SCHEMA: 'jobs_app', JOBWRIGHT_REDIS_PREFIX: 'app-1' })).toMatchObject({
      databaseSchema: 'jobs_app',
      redisPrefix: 'app-1',
    });
    expect(loadConfig({})).toMatchObject({ databaseSchema: 'public', redisPrefix: 'jobwright' });
    expect(() => loadConfig({ JOBWRIGHT_DB_SCHEMA: 'x"; drop schema public;--' })).toThrow(
      /JOBWRIGHT_DB_SCHEMA/,
    );
    expect(() => loadConfig({ JOBWRIGHT_REDIS_PREFIX: 'a:b' })).toThrow(
      /JOBWRIGHT_REDIS_PREFIX="a:b" is not valid/,
    );
  });

  it('QUEUE_CONNECTION=database without DATABASE_URL says what to set', () => {
    expect(() => loadConfig({ QUEUE_CONNECTION: 'database' })).toThrow(/needs DATABASE_URL/);
  });

  it('exponential backoff grows per attempt, with jitter, capped', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const step = 10 * 2 ** (attempt - 1);
      const delay = exponentialBackoff(attempt, 10);
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThanOrEqual(step);
    }
    expect(exponentialBackoff(30, 10, 600)).toBeLessThanOrEqual(600);
  });
});
