import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DatabaseQueueDriver,
  JobDispatcher,
  type QueueDriver,
  RedisQueueDriver,
  SqliteQueueDriver,
} from '../../src/index.js';
import { TSX_IMPORT } from '../support/fault/spawn-worker.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';
import { dropPgSchema, dropRedisPrefix } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';

/**
 * Fifty dispatches of one unique id from five processes at once store exactly one job, and
 * every caller gets its id (issue 17).
 */
const CHILD = fileURLToPath(new URL('./unique-child.ts', import.meta.url));
const [pg, redis] = await Promise.all([serviceAvailable('postgres'), serviceAvailable('redis')]);

async function raceFromProcesses(driverName: string, spec: Record<string, string>, reader: QueueDriver) {
  const children = Array.from({ length: 5 }, () =>
    fork(CHILD, [], {
      execArgv: ['--import', TSX_IMPORT],
      env: { ...process.env, FLOW_DRIVER: driverName, FLOW_SPEC: JSON.stringify(spec), FLOW_COUNT: '10' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const message = (child: (typeof children)[number]) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Record<string, unknown>));
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
  try {
    await Promise.all(children.map(message));
    const replies = children.map(message);
    // Every process starts its ten dispatches together, once all are ready.
    for (const child of children) child.send('go');
    const ids = (await Promise.all(replies)).flatMap((r) => r.ids as string[]);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(1);
    const d = new JobDispatcher(reader);
    const { jobs, total } = await d.jobs({ limit: 10 });
    expect(total).toBe(1);
    expect(jobs[0]!.id).toBe(ids[0]);
    await d.close();
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

describe('unique jobs across processes', () => {
  it('sqlite: 5 processes x 10 dispatches of one unique id store one job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobwright-unique-'));
    const file = join(dir, 'jobs.sqlite');
    try {
      await raceFromProcesses('sqlite', { file }, new SqliteQueueDriver(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(!pg)(
    'postgres: 5 processes x 10 dispatches of one unique id store one job',
    async () => {
      const schema = uniqueName('jw_unique');
      try {
        await raceFromProcesses(
          'postgres',
          { url: DATABASE_URL, schema },
          new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 2 }),
        );
      } finally {
        await dropPgSchema(schema);
      }
    },
    60_000,
  );

  it.skipIf(!redis)(
    'redis: 5 processes x 10 dispatches of one unique id store one job',
    async () => {
      const prefix = `jwunique-${uniqueName('u').replace(/[^A-Za-z0-9_.-]/g, '')}`;
      try {
        await raceFromProcesses(
          'redis',
          { url: REDIS_URL, prefix },
          new RedisQueueDriver({ url: REDIS_URL, prefix }),
        );
      } finally {
        await dropRedisPrefix(prefix);
      }
    },
    60_000,
  );
});
