import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { toRecord } from '../../src/dispatcher.js';
import {
  DatabaseQueueDriver,
  ENCRYPTED,
  generateKey,
  Job,
  JobDispatcher,
  Keyring,
  MemoryQueueDriver,
  type QueueDriver,
  RedisQueueDriver,
  SqliteQueueDriver,
} from '../../src/index.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';
import { waitForStatus } from '../support/wait.js';

/** What must never be readable in a store. */
const SECRET = 'sk_live_9f8e7d6c5b4a39281706';
const NOTE = 'quarterly-invoice-note';

class PayInvoiceJob extends Job {
  static sensitive = ['apiKey'];
  static seen: Array<{ apiKey: string; note: string }> = [];
  constructor(
    public apiKey: string,
    public note: string,
  ) {
    super();
  }
  override jobName() {
    return 'PayInvoiceJob';
  }
  override encrypted() {
    return true;
  }
  override maxAttempts() {
    return 1;
  }
  handle() {
    PayInvoiceJob.seen.push({ apiKey: this.apiKey, note: this.note });
  }
}

/** One store shared by dispatchers holding different keys; only the test closes it. */
function shared(driver: QueueDriver): QueueDriver {
  return new Proxy(driver, {
    get(target, prop) {
      if (prop === 'close') return async () => {};
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

interface RawStore {
  name: string;
  driver: QueueDriver;
  /** Every byte the store holds, read around jobwright. */
  dump(): Promise<string>;
  cleanup(): Promise<void>;
}

async function rawStores(): Promise<RawStore[]> {
  const tag = `${process.pid}_${randomUUID().slice(0, 6)}`;
  const memory = new MemoryQueueDriver();
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-encrypted-'));
  const stores: RawStore[] = [
    {
      name: 'memory',
      driver: memory,
      dump: async () => JSON.stringify((await memory.list({ limit: 1000, offset: 0 })).jobs),
      cleanup: async () => {},
    },
    {
      name: 'sqlite',
      driver: new SqliteQueueDriver(join(dir, 'jobs.sqlite')),
      // The database file and its WAL: a plaintext page in either would be readable on disk.
      dump: async () =>
        readdirSync(dir, { withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map(({ name }) => name)
          .map((name) => readFileSync(join(dir, name), 'latin1'))
          .join('\n'),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    },
  ];
  if (await serviceAvailable('postgres')) {
    const schema = `jw_encrypted_${tag}`;
    stores.push({
      name: 'postgres',
      driver: new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 }),
      dump: async () => {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        try {
          return JSON.stringify((await client.query(`SELECT * FROM "${schema}".jobs`)).rows);
        } finally {
          await client.end();
        }
      },
      cleanup: () => dropPgSchema(schema),
    });
  }
  if (await serviceAvailable('redis')) {
    const prefix = `jwenc-${tag}`;
    stores.push({
      name: 'redis',
      driver: new RedisQueueDriver({ url: REDIS_URL, prefix }),
      dump: async () => {
        const redis = new Redis(REDIS_URL);
        try {
          const parts: string[] = [];
          for (const key of await redis.keys(`{${prefix}*`)) {
            const type = await redis.type(key);
            if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
            else if (type === 'string') parts.push((await redis.get(key)) ?? '');
            else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
            else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
            else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
            else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
          }
          return parts.join('\n');
        } finally {
          redis.disconnect();
        }
      },
      cleanup: () => dropRedisPrefix(prefix),
    });
  }
  return stores;
}

const stores = await rawStores();
afterAll(async () => {
  for (const store of stores) await store.cleanup();
});

describe.each(stores.map((s) => [s.name, s] as const))('encrypted payloads on %s', (_name, store) => {
  it('stores ciphertext only, runs with the key and its predecessors, and refuses the rest', {
    timeout: 180_000,
  }, async () => {
    const driver = store.driver;
    const oldKey = generateKey();
    const newKey = generateKey();
    const withOld = new JobDispatcher(shared(driver), { jobs: [PayInvoiceJob], encryption: { key: oldKey } });
    const id = await withOld.dispatch(new PayInvoiceJob(SECRET, NOTE));
    // A chain's later links wait in the first job's meta: they are encrypted as well.
    await withOld.chain([new PayInvoiceJob(`${SECRET}-a`, NOTE), new PayInvoiceJob(`${SECRET}-link`, NOTE)], {
      queue: 'chained',
    });

    const raw = await store.dump();
    expect(raw).toContain(id.slice(-10));
    expect(raw).not.toContain(SECRET);
    expect(raw).toContain('chained');
    expect(raw).not.toContain(NOTE);
    const stored = (await driver.find({ id }))!.payload;
    expect(JSON.parse(stored)).toMatchObject({ $jobwright: 1, sensitive: ['apikey'] });
    expect(JSON.parse(stored).encrypted).toEqual(expect.any(String));

    // Readers: without the key `[encrypted]`; with it the payload (display readers redact apiKey).
    const row = (await driver.find({ id }))!;
    expect(toRecord(row, new Keyring()).payload).toBe(ENCRYPTED);
    expect((await withOld.find(id))?.payload).toEqual({ apiKey: SECRET, note: NOTE });
    expect((await withOld.find(id))?.sensitiveFields).toEqual(['apikey']);

    // A search for the secret or the note finds nothing: the store holds neither.
    expect((await withOld.jobs({ search: SECRET })).total).toBe(0);

    // A worker whose current key is new and whose previous key is the old one runs it.
    const rotated = new JobDispatcher(shared(driver), {
      jobs: [PayInvoiceJob],
      encryption: { key: newKey, previousKeys: [oldKey] },
      config: { pollIntervalMs: 50 },
    });
    PayInvoiceJob.seen = [];
    await rotated.startWorker('default', 1);
    const done = await waitForStatus(rotated, id, ['completed', 'failed'], 45_000);
    expect(done.errorMessage).toBeNull();
    expect(PayInvoiceJob.seen).toEqual([{ apiKey: SECRET, note: NOTE }]);

    // A worker that holds neither key fails the job and says which key is missing.
    await rotated.stopWorker('default');
    const stranger = await withOld.dispatch(new PayInvoiceJob(SECRET, NOTE));
    const unknown = new JobDispatcher(shared(driver), {
      jobs: [PayInvoiceJob],
      encryption: { key: generateKey() },
      config: { pollIntervalMs: 50 },
    });
    await unknown.startWorker('default', 1);
    const failed = await waitForStatus(unknown, stranger, ['failed'], 45_000);
    expect(failed.errorMessage).toMatch(
      /UNKNOWN_ENCRYPTION_KEY|neither JOBWRIGHT_KEY nor in JOBWRIGHT_PREVIOUS_KEYS/,
    );
    expect(failed.errorMessage).not.toContain(SECRET);

    // A plaintext payload stored for the encrypted class (written around jobwright) is refused.
    const plain = `plain-${Date.now()}`;
    const plainId = ulid();
    await driver.enqueue({
      jobs: [
        {
          id: plainId,
          queueName: 'default',
          jobName: 'PayInvoiceJob',
          payload: JSON.stringify({ apiKey: plain, note: NOTE }),
          maxAttempts: 1,
          priority: 0,
          timeoutSeconds: null,
          delayMs: 0,
          availableAt: null,
          meta: null,
        },
      ],
    });
    unknown.wake('default');
    const refused = await waitForStatus(unknown, plainId, ['failed'], 45_000);
    expect(refused.errorMessage).toMatch(/encrypted\(\) is true but this job's stored payload is plaintext/);
    expect(PayInvoiceJob.seen.map((s) => s.apiKey)).not.toContain(plain);

    await unknown.stopWorker('default');
    await Promise.all([withOld.close(), rotated.close(), unknown.close()]);
    await driver.close();
  });
});

describe('keys and settings', () => {
  it('refuses a malformed key at start-up and an encrypted dispatch without a key, with typed errors', async () => {
    expect(() => new Keyring({ key: 'too-short' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ENCRYPTION_KEY',
        message: expect.stringMatching(/key:generate/),
      }),
    );
    expect(() => new Keyring({ key: generateKey(), previousKeys: ['bad'] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ENCRYPTION_KEY',
        message: expect.stringMatching(/PREVIOUS_KEYS/),
      }),
    );
    expect(() => new JobDispatcher(new MemoryQueueDriver(), { encryption: { key: '!'.repeat(44) } })).toThrow(
      expect.objectContaining({ name: 'ConfigError' }),
    );
    const dispatcher = new JobDispatcher(new MemoryQueueDriver(), {
      encryption: {},
    });
    await expect(dispatcher.dispatch(new PayInvoiceJob(SECRET, NOTE))).rejects.toMatchObject({
      name: 'ConfigError',
      code: 'ENCRYPTION_KEY_MISSING',
    });
    expect((await dispatcher.jobs()).total).toBe(0);
    await dispatcher.close();
  });

  it('JOBWRIGHT_ACCEPT_PLAINTEXT=1 runs plaintext payloads of an encrypted class while they drain', async () => {
    expect(() => Keyring.fromEnv({ JOBWRIGHT_ACCEPT_PLAINTEXT: 'yes' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ACCEPT_PLAINTEXT' }),
    );
    expect(Keyring.fromEnv({ JOBWRIGHT_ACCEPT_PLAINTEXT: '1' }).acceptPlaintext).toBe(true);
    const driver = new MemoryQueueDriver();
    const dispatcher = new JobDispatcher(driver, {
      jobs: [PayInvoiceJob],
      encryption: { key: generateKey(), acceptPlaintext: true },
      config: { pollIntervalMs: 20 },
    });
    const id = ulid();
    await driver.enqueue({
      jobs: [
        {
          id,
          queueName: 'default',
          jobName: 'PayInvoiceJob',
          payload: JSON.stringify({ apiKey: 'old-plaintext-key', note: NOTE }),
          maxAttempts: 1,
          priority: 0,
          timeoutSeconds: null,
          delayMs: 0,
          availableAt: null,
          meta: null,
        },
      ],
    });
    PayInvoiceJob.seen = [];
    await dispatcher.startWorker('default', 1);
    expect((await waitForStatus(dispatcher, id, ['completed', 'failed'], 45_000)).status).toBe('completed');
    expect(PayInvoiceJob.seen).toEqual([{ apiKey: 'old-plaintext-key', note: NOTE }]);
    await dispatcher.close();
  });

  it('a tampered ciphertext does not decrypt, and the error says so', () => {
    const keys = new Keyring({ key: generateKey() });
    const sealed = keys.encrypt('{"a":1}', 'X');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('{"a":2}').toString('base64url');
    expect(() => keys.decrypt(parts.join('.'))).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_DECRYPTION_FAILED' }),
    );
    expect(keys.decrypt(sealed)).toBe('{"a":1}');
  });
});
