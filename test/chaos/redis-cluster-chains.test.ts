import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueKeys } from '../../src/drivers/redis/keys.js';
import { Job, JobDispatcher, RedisQueueDriver } from '../../src/index.js';
import { clusterForFile } from '../support/cluster-for-file.js';
import { redisCli } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait.js';

/**
 * Chain links across queues on Redis Cluster: the next job lives in another slot than the one
 * that completes, so the completion writes it to its own queue's outbox and the link is moved on
 * after (src/drivers/redis/outbox.ts). A process that dies between the two loses nothing: the next
 * sweep of the queue moves the link on.
 */
const cluster = await clusterForFile('Redis Cluster chain tests', { replicas: 0 });

const ran: string[] = [];
class Link extends Job {
  constructor(
    public label: string,
    public queue: string,
  ) {
    super();
  }
  override jobName() {
    return 'cluster.Link';
  }
  override queueName() {
    return this.queue;
  }
  handle() {
    ran.push(this.label);
  }
}

/** A process that dies right after its completion was stored, before it moved the outbox on. */
class DiesBeforeMovingOn extends RedisQueueDriver {
  protected override async drainOutbox(_k: QueueKeys): Promise<void> {}
}

const config = { pollIntervalMs: 20, leaseSeconds: 0.4, leaseGraceSeconds: 0.2 };
const open: JobDispatcher[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
  ran.length = 0;
});

function dispatcher(driver: RedisQueueDriver): JobDispatcher {
  const d = new JobDispatcher(driver, { jobs: [Link], config });
  open.push(d);
  return d;
}

describe.skipIf(!cluster)('chains across queues on Redis Cluster', () => {
  it('the two queues of the test live in different slots', async () => {
    const port = cluster!.nodes[0]!.port;
    const slot = async (q: string) => (await redisCli(port, 'CLUSTER', 'KEYSLOT', `{p:${q}}:ready`)).trim();
    expect(await slot('left')).not.toBe(await slot('right'));
  });

  it('a chain that hops between queues runs in order, every link once', async () => {
    const url = cluster!.url;
    const prefix = `jwchain-${randomUUID().slice(0, 8)}`;
    const d = dispatcher(new RedisQueueDriver({ url, prefix }));
    await d.startWorker('left', 2);
    await d.startWorker('right', 2);
    const ids = await d.chain([
      new Link('a', 'left'),
      new Link('b', 'right'),
      new Link('c', 'left'),
      new Link('d', 'right'),
    ]);
    await waitFor('the last link completed', async () => (await d.find(ids[3]!))?.status === 'completed');
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a process that dies after the completion and before moving the link on loses nothing', async () => {
    const url = cluster!.url;
    const prefix = `jwchain-${randomUUID().slice(0, 8)}`;
    const dying = dispatcher(new DiesBeforeMovingOn({ url, prefix }));
    const ids = await dying.chain([new Link('a', 'left'), new Link('b', 'right')]);
    await dying.startWorker('left', 1);
    await waitFor('a completed', async () => (await dying.find(ids[0]!))?.status === 'completed');
    // The link sits in the outbox of 'left' (its slot), not yet in 'right'.
    expect(await dying.find(ids[1]!)).toBeNull();
    const outbox = `{${prefix}:left}:outbox`;
    const node = await cluster!.masterOf(outbox);
    expect(Number(await redisCli(node.port, 'LLEN', outbox))).toBe(1);
    await dying.close({ graceSeconds: 0 });
    // Any worker of 'left' moves it on at its next sweep; a worker of 'right' then runs it.
    const survivor = dispatcher(new RedisQueueDriver({ url, prefix }));
    await survivor.startWorker('left', 1);
    await survivor.startWorker('right', 1);
    await waitFor('b completed', async () => (await survivor.find(ids[1]!))?.status === 'completed');
    expect(ran).toEqual(['a', 'b']);
    expect(Number(await redisCli(node.port, 'LLEN', outbox))).toBe(0);
  });
});
