import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueKeys } from '../../src/drivers/redis/keys.js';
import { Job, JobDispatcher, RedisQueueDriver } from '../../src/index.js';
import { clusterForFile } from '../support/cluster-for-file.js';
import { redisCli } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait.js';

/**
 * Batches and schedule ticks on Redis Cluster, where a batch (under `{prefix}`) and its jobs
 * (under `{prefix:queue}`) live in different slots: a job's outcome writes its batch event into
 * its own queue's outbox, and batch jobs, due callbacks and ticks go through the cross-queue
 * outbox `{prefix}:outbox` (src/drivers/redis/outbox.ts). A process that dies between a step and
 * the move of what it wrote loses nothing and makes nothing happen twice.
 */
const cluster = await clusterForFile('Redis Cluster batch tests', { replicas: 0 });

const ran: string[] = [];
class Step extends Job {
  constructor(
    public label: string,
    public queue: string,
  ) {
    super();
  }
  override jobName() {
    return 'cluster.Step';
  }
  override queueName() {
    return this.queue;
  }
  override maxAttempts() {
    return 1;
  }
  handle() {
    ran.push(this.label);
    if (this.label === 'fails') throw new Error('this step fails');
  }
}

/** Dies right after a job's outcome was stored, before its queue's outbox (batch events) moved on. */
class DiesBeforeBatchUpdate extends RedisQueueDriver {
  protected override async drainOutbox(_k: QueueKeys): Promise<void> {}
}

/** Dies right after a batch or a tick claim was stored, before its jobs left the cross-queue outbox. */
class DiesBeforeStoringJobs extends RedisQueueDriver {
  protected override async moveCrossEntry(_entry: string): Promise<void> {}
  protected override async drainCrossOutbox(): Promise<void> {}
}

const config = { pollIntervalMs: 20, leaseSeconds: 0.4, leaseGraceSeconds: 0.2 };
const open: JobDispatcher[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
  ran.length = 0;
});

function dispatcher(driver: RedisQueueDriver): JobDispatcher {
  const d = new JobDispatcher(driver, { jobs: [Step], config });
  open.push(d);
  return d;
}

const count = (label: string) => ran.filter((l) => l === label).length;

async function listLength(key: string): Promise<number> {
  const node = await cluster!.masterOf(key);
  return Number(await redisCli(node.port, 'LLEN', key));
}

async function listEntries(key: string): Promise<string[]> {
  const node = await cluster!.masterOf(key);
  // Piped, redis-cli prints one entry per line (the entries are JSON without newlines).
  const out = await redisCli(node.port, 'LRANGE', key, '0', '-1');
  return out.split('\n').filter((line) => line !== '');
}

/** Waits until nothing is waiting or running on `queues`. */
async function drained(d: JobDispatcher, queues: string[]): Promise<void> {
  await waitFor('the queues drained', async () => {
    for (const queue of queues) {
      const s = await d.stats(queue);
      if (s.pendingJobs + s.processingJobs + s.retryingJobs > 0) return false;
    }
    return true;
  });
}

describe.skipIf(!cluster)('batches and schedules on Redis Cluster', () => {
  it('the batch, its jobs and its callbacks live in three different slots', async () => {
    const port = cluster!.nodes[0]!.port;
    const slot = async (key: string) => (await redisCli(port, 'CLUSTER', 'KEYSLOT', key)).trim();
    const slots = new Set([
      await slot('{p}:batch:x'),
      await slot('{p:left}:ready'),
      await slot('{p:right}:ready'),
    ]);
    expect(slots.size).toBe(3);
  });

  it('a process that dies between the outcomes of its jobs and the batch update: the batch finishes, each callback once', async () => {
    const url = cluster!.url;
    const prefix = `jwbatch-${randomUUID().slice(0, 8)}`;
    const dying = dispatcher(new DiesBeforeBatchUpdate({ url, prefix }));
    const batch = await dying.batch([new Step('a', 'left'), new Step('fails', 'left')], {
      allowFailures: true,
      // biome-ignore lint/suspicious/noThenProperty: SPEC names the callback then (Laravel's)
      then: new Step('then', 'right'),
      catch: new Step('catch', 'right'),
      finally: new Step('finally', 'right'),
    });
    await dying.startWorker('left', 1);
    await waitFor('both jobs ran', () => ran.length === 2);
    await drained(dying, ['left']);
    // Both outcomes are stored; their batch events wait in the outbox of 'left' (its slot).
    const outbox = `{${prefix}:left}:outbox`;
    expect(await listLength(outbox)).toBe(2);
    expect(await dying.findBatch(batch.id)).toMatchObject({ pendingJobs: 2, finishedAt: null });
    const events = await listEntries(outbox);
    await dying.close({ graceSeconds: 0 });

    // Any worker of 'left' moves the events on at its next sweep; the callbacks become due once.
    const survivor = dispatcher(new RedisQueueDriver({ url, prefix }));
    await survivor.startWorker('left', 1);
    await survivor.startWorker('right', 1);
    await waitFor('catch and finally ran', () => count('catch') + count('finally') === 2);
    await drained(survivor, ['left', 'right']);
    const done = await survivor.findBatch(batch.id);
    expect(done).toMatchObject({ pendingJobs: 0, processedJobs: 2, failedJobs: 1, progress: 100 });
    expect(done!.finishedAt).toBeInstanceOf(Date);
    expect(await listLength(outbox)).toBe(0);

    // A move replayed (a process that died after applying, before removing the entry): the
    // events carry the jobs' sequence numbers, so the batch counts nothing twice.
    const node = await cluster!.masterOf(outbox);
    await redisCli(node.port, 'RPUSH', outbox, ...events);
    await waitFor('the replayed events were moved', async () => (await listLength(outbox)) === 0);
    await drained(survivor, ['left', 'right']);
    expect(await survivor.findBatch(batch.id)).toMatchObject({ pendingJobs: 0, failedJobs: 1 });
    expect(ran.sort()).toEqual(['a', 'catch', 'fails', 'finally']);
  });

  it('a process that dies after storing a batch, before its jobs reached their queue: they run once', async () => {
    const url = cluster!.url;
    const prefix = `jwbatch-${randomUUID().slice(0, 8)}`;
    const dying = dispatcher(new DiesBeforeStoringJobs({ url, prefix }));
    const batch = await dying.batch([new Step('a', 'left'), new Step('b', 'left')], {
      finally: new Step('finally', 'right'),
    });
    const cross = `{${prefix}}:outbox`;
    expect(await listLength(cross)).toBe(1);
    expect((await dying.stats('left')).pendingJobs).toBe(0);
    await dying.close({ graceSeconds: 0 });

    const survivor = dispatcher(new RedisQueueDriver({ url, prefix }));
    await survivor.startWorker('left', 1);
    await survivor.startWorker('right', 1);
    await waitFor('finally ran', () => count('finally') === 1);
    await drained(survivor, ['left', 'right']);
    expect(ran.sort()).toEqual(['a', 'b', 'finally']);
    expect(await survivor.findBatch(batch.id)).toMatchObject({ pendingJobs: 0, totalJobs: 2 });
    expect(await listLength(cross)).toBe(0);
  });

  it('a process that dies after claiming a tick, before storing its job: the tick runs once', async () => {
    const url = cluster!.url;
    const prefix = `jwtick-${randomUUID().slice(0, 8)}`;
    const driver = new DiesBeforeStoringJobs({ url, prefix });
    const dying = dispatcher(driver);
    await dying.schedule('nightly', '0 3 * * *', new Step('tick', 'right'));
    const [stored] = await driver.schedules();
    const spec = JSON.parse(stored!.job);
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    const job = { ...spec, id: '01HAAAAAAAAAAAAAAAAAAAAAT1', delayMs: 0, availableAt: null, meta: null };
    expect(await driver.claimTick({ name: 'nightly', tick, job })).toBe(true);
    // The claim is stored (a second claim of the tick loses); the job waits in the cross-queue outbox.
    expect(
      await driver.claimTick({ name: 'nightly', tick, job: { ...job, id: '01HAAAAAAAAAAAAAAAAAAAAAT2' } }),
    ).toBe(false);
    expect(await dying.find(job.id)).toBeNull();
    expect(await listLength(`{${prefix}}:outbox`)).toBe(1);
    await dying.close({ graceSeconds: 0 });

    const survivor = dispatcher(new RedisQueueDriver({ url, prefix }));
    await survivor.startWorker('right', 1);
    await waitFor('the tick ran', () => count('tick') === 1);
    await drained(survivor, ['right']);
    expect(ran).toEqual(['tick']);
    expect((await survivor.find(job.id))?.status).toBe('completed');
  });
});
