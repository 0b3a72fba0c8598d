import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, Job, JobDispatcher, type NewJob, RedisQueueDriver } from '../../../src/index.js';
import { newJob } from '../../support/new-job.js';
import { REDIS_URL, serviceAvailable } from '../../support/services.js';
import { dropRedisPrefix } from '../../support/stores.js';
import { waitFor } from '../../support/wait.js';
import { PrivateRedis } from './private-redis.js';

const luaDir = join(dirname(fileURLToPath(import.meta.url)), '../../../src/drivers/redis/lua');
const available = await serviceAvailable('redis');

let started: number[] = [];
class TimedJob extends Job {
  override jobName() {
    return 'redis.Timed';
  }
  handle() {
    started.push(performance.now());
  }
}

const rawJob = (overrides: Partial<NewJob> = {}) => newJob({ jobName: 'redis.Timed', ...overrides });

describe('redis driver: options and scripts (no server needed)', () => {
  it('rejects a bad prefix, a non-redis URL and a missing connection with ConfigError', () => {
    for (const prefix of ['', 'a b', '{tag}', 'a:b', 'x'.repeat(101)]) {
      expect(() => new RedisQueueDriver({ url: REDIS_URL, prefix })).toThrow(ConfigError);
    }
    expect(() => new RedisQueueDriver('http://localhost')).toThrow(/redis:\/\//);
    expect(() => new RedisQueueDriver({})).toThrow(/URL or an ioredis client/);
  });

  it('every Lua script starts with a header naming its KEYS and ARGV', () => {
    const files = readdirSync(luaDir).filter((f) => f.endsWith('.lua'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(luaDir, file), 'utf8');
      expect(text.startsWith(`-- ${file}:`), `${file} starts with '-- ${file}:'`).toBe(true);
      const header = text.split('\n').filter((l) => l.startsWith('--'));
      const code = text.replace(/--[^\n]*/g, '');
      for (const [, kind, n] of code.matchAll(/\b(KEYS|ARGV)\[(\d+)\]/g)) {
        expect(
          header.some((l) => l.includes(`${kind}[${n}]`)),
          `${file} documents ${kind}[${n}]`,
        ).toBe(true);
      }
    }
  });
});

describe.skipIf(!available)('redis driver: keys, wake-ups, refills', () => {
  const prefixes: string[] = [];
  const open: Array<{ close(): Promise<unknown> }> = [];
  const admin = available ? new Redis(REDIS_URL) : undefined;

  const fresh = () => {
    const prefix = `jwtest-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    return prefix;
  };
  const driver = (prefix: string) => {
    const d = new RedisQueueDriver({ url: REDIS_URL, prefix });
    open.push(d);
    return d;
  };
  const keysOf = async (prefix: string) => {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await admin!.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
      out.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return out;
  };

  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    started = [];
  });
  afterAll(async () => {
    for (const prefix of prefixes) await dropRedisPrefix(prefix);
    await admin?.quit();
  });

  it("keeps each queue's keys under one hash tag and cross-queue keys under their own", async () => {
    const prefix = fresh();
    const d = new JobDispatcher(driver(prefix), { jobs: [TimedJob] });
    open.push(d);
    await d.dispatch(new TimedJob(), { queue: 'mail' });
    await d.dispatch(new TimedJob(), { queue: 'mail', delay: 60 });
    await d.dispatch(new TimedJob(), { queue: 'sms' });
    await d.startWorker('sms', 1);
    await d.pause('mail');
    const keys = await keysOf(prefix);
    const tags = new Set(keys.map((k) => /^\{([^}]*)\}/.exec(k)?.[1]));
    expect([...tags].sort()).toEqual([prefix, `${prefix}:mail`, `${prefix}:sms`]);
  });

  it('wakes an idle worker in another connection at once, though its poll interval is 10 s', async () => {
    const prefix = fresh();
    const worker = new JobDispatcher(driver(prefix), {
      jobs: [TimedJob],
      config: { pollIntervalMs: 10_000 },
    });
    const producer = new JobDispatcher(driver(prefix), { jobs: [TimedJob] });
    open.push(worker, producer);
    await worker.startWorker('default', 2);
    // A first job proves the worker listens (woken, or at the latest by its next poll); the next three are measured.
    await producer.dispatch(new TimedJob());
    await waitFor('the first job to start', () => started.length === 1, 15_000);
    started.length = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await producer.dispatch(new TimedJob());
      await waitFor(`job ${i + 1} to start`, () => started.length === i + 1, 3000);
      expect(started[i]! - t0).toBeLessThan(1000);
    }
  });

  it('starts a delayed job at its time, not at the next poll', async () => {
    const prefix = fresh();
    const d = new JobDispatcher(driver(prefix), { jobs: [TimedJob], config: { pollIntervalMs: 10_000 } });
    open.push(d);
    await d.startWorker('default', 1);
    const t0 = performance.now();
    await d.dispatch(new TimedJob(), { delay: 0.4 });
    await waitFor('the delayed job to start', () => started.length === 1, 5000);
    expect(started[0]! - t0).toBeGreaterThanOrEqual(380);
    expect(started[0]! - t0).toBeLessThan(2000);
  });

  it('works on a client the caller owns, and leaves it open', async () => {
    const prefix = fresh();
    const client = new Redis(REDIS_URL);
    const d = new RedisQueueDriver({ client, prefix });
    await d.enqueue({ jobs: [rawJob()] });
    expect((await d.counts({ queue: 'default' }))[0]!.pendingJobs).toBe(1);
    await d.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});

describe('redis driver: a server that lost its script cache', () => {
  it('falls back to EVAL after NOSCRIPT (private redis-server)', async () => {
    const redis = await PrivateRedis.start().catch(() => null);
    if (!redis) {
      console.warn('SKIPPED: NOSCRIPT test, because redis-server could not be started');
      return;
    }
    const d = new RedisQueueDriver({ url: redis.url, prefix: 'noscript' });
    const admin = new Redis(redis.url);
    try {
      const job = rawJob();
      await d.enqueue({ jobs: [job] });
      await admin.script('FLUSH');
      const [reserved] = await d.reserve({ queue: 'default', limit: 1, leaseMs: 5000, workerId: 'w' });
      expect(reserved!.id).toBe(job.id);
    } finally {
      await d.close();
      await admin.quit();
      await redis.stop();
    }
  });
});
