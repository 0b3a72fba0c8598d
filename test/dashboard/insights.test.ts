import { describe, expect, test } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { summarizeDurations } from '../../src/drivers/insights.js';
import { Job, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { groupFailures, maskError } from '../../src/insights/error-groups.js';
import { waitFor } from '../support/wait.js';

describe('error groups', () => {
  test('mask what varies between jobs: numbers, ids, hex, e-mails, quoted values, query strings', () => {
    expect(maskError('Error: SMTP 421 for user 17\n    at send (mail.ts:3:9)')).toBe(
      'Error: SMTP <n> for user <n>',
    );
    expect(maskError('Job 01JD3Q4S5V6W7X8Y9Z0A1B2C3D timed out after 30.5s')).toBe(
      'Job <id> timed out after <n>s',
    );
    expect(maskError('request 3f2b8c1e-0a4d-4b6e-9c2a-1d2e3f4a5b6c failed')).toBe('request <id> failed');
    expect(maskError('Mailbox full for ann.lee+x@example.co.uk')).toBe('Mailbox full for <email>');
    expect(maskError('GET https://api.test/v1/items?id=5&x=y returned 503')).toBe(
      'GET https://api.test/v<n>/items?<query> returned <n>',
    );
    expect(maskError('duplicate key "orders_pkey" on deadbeefcafe01')).toBe('duplicate key "<s>" on <hex>');
    expect(maskError(null)).toBe('(no error text)');
    expect(maskError('x'.repeat(1000))).toHaveLength(300);
  });

  test('group failures by masked message, largest group first, with counts and first/last seen', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const job = (id: string, error: string, s: number, jobName = 'MailJob') => ({
      id,
      queueName: 'mail',
      jobName,
      errorMessage: error,
      failedAt: at(s),
      updatedAt: at(s),
    });
    const groups = groupFailures([
      job('a', 'Error: SMTP 421 for user 1', 30),
      job('b', 'Error: timeout', 20),
      job('c', 'Error: SMTP 421 for user 2\n  at x', 10, 'OtherJob'),
      job('d', 'Error: SMTP 550 for user 3', 5),
    ]);
    expect(groups.map((g) => [g.pattern, g.count])).toEqual([
      ['Error: SMTP <n> for user <n>', 3],
      ['Error: timeout', 1],
    ]);
    const [smtp] = groups;
    expect(smtp!.ids).toEqual(['a', 'c', 'd']);
    expect(smtp!.firstSeen).toEqual(at(5));
    expect(smtp!.lastSeen).toEqual(at(30));
    expect(smtp!.sample).toBe('Error: SMTP 421 for user 1');
    expect(smtp!.jobNames).toEqual(['MailJob', 'OtherJob']);
    expect(smtp!.fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('duration summaries', () => {
  test('percentiles from buckets stay within the bucket and never pass the max', () => {
    // 90 runs of 3-5 ms (bucket 2: ≤ 5 ms), 10 runs near 400 ms (bucket 8: ≤ 500 ms), max 420 ms.
    const s = summarizeDurations([
      { bucket: 2, count: 90, sumMs: 360, maxMs: 5 },
      { bucket: 8, count: 10, sumMs: 4000, maxMs: 420 },
    ]);
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeGreaterThan(2);
    expect(s.p50Ms).toBeLessThanOrEqual(5);
    expect(s.p95Ms).toBeGreaterThan(200);
    expect(s.p95Ms).toBeLessThanOrEqual(420);
    expect(s.maxMs).toBe(420);
    expect(s.meanMs).toBeCloseTo(43.6);
    expect(summarizeDurations([]).p50Ms).toBeNull();
  });
});

class Idle extends Job {
  async handle() {}
}

describe('workers page', () => {
  test('a worker whose heartbeat is late is marked stale', async () => {
    // The store's clock runs a minute behind: the worker's last heartbeat reads as a minute old.
    const driver = new MemoryQueueDriver({ clock: () => Date.now() - 60_000 });
    const dispatcher = new JobDispatcher(driver, { jobs: [Idle] });
    await driver.registerWorker({
      workerId: 'frozen-1',
      host: 'h',
      pid: 1,
      queues: ['default'],
      concurrency: 2,
      ttlMs: 600_000,
      jobsDone: 0,
    });
    const server = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
    try {
      const response = await fetch(`${server.url}workers`, { headers: { accept: 'text/html' } });
      const page = await response.text();
      expect(response.status).toBe(200);
      expect(page).toContain('data-stale="1"');
      expect(page).toContain('missed heartbeats');
      const api = await fetch(`${server.url}api/workers`);
      const body = (await api.json()) as {
        workers: Array<{ workerId: string; stale: boolean; running: unknown[] }>;
      };
      expect(body.workers).toMatchObject([{ workerId: 'frozen-1', stale: true, running: [] }]);
    } finally {
      await server.close();
    }
    await dispatcher.close();
  });
});

class Failing extends Job {
  constructor(public n: number) {
    super();
  }
  override maxAttempts() {
    return 1;
  }
  async handle() {
    throw new Error(`quota exceeded for tenant ${this.n}`);
  }
}

describe('JSON API of the insights', () => {
  test('attempts, metrics, a class, error groups, and a group deleted by Bearer request', async () => {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver(), {
      jobs: [Failing],
      config: { pollIntervalMs: 20 },
    });
    const ids = await dispatcher.dispatchMany([1, 2, 3].map((n) => new Failing(n)));
    await dispatcher.startWorker('default', 1);
    await waitFor('three failures', async () => (await dispatcher.stats('default')).failedJobs === 3);
    const token = 'insights-api-token-3k9q7w2m5x8z1c4v6b0n';
    const server = await startDashboard({ dispatcher, port: 0, token, log: () => {} });
    const get = async (path: string) =>
      (
        await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
      ).json() as Promise<Record<string, unknown>>;
    try {
      const detail = (await get(`api/jobs/${ids[0]}`)) as {
        attempts: Array<{ outcome: string; error: string }>;
      };
      expect(detail.attempts).toMatchObject([{ outcome: 'failed' }]);
      expect(detail.attempts[0]!.error).toContain('quota exceeded for tenant 1');
      const metrics = (await get('api/metrics?window=day')) as {
        window: string;
        byClass: Array<{ jobName: string; failed: number }>;
      };
      expect(metrics.window).toBe('day');
      expect(metrics.byClass).toMatchObject([{ jobName: 'Failing', failed: 3 }]);
      const cls = (await get('api/classes/Failing')) as { recent: unknown[]; hour: { failed: number } };
      expect(cls.recent).toHaveLength(3);
      expect(cls.hour.failed).toBe(3);
      const grouped = (await get('api/failed/groups')) as {
        groups: Array<{ fingerprint: string; count: number; pattern: string }>;
      };
      expect(grouped.groups).toMatchObject([{ count: 3, pattern: 'Error: quota exceeded for tenant <n>' }]);
      const removed = await fetch(`${server.url}api/failed/groups/${grouped.groups[0]!.fingerprint}/delete`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await removed.json()).toMatchObject({ deleted: 3 });
      expect((await dispatcher.stats('default')).failedJobs).toBe(0);
      const bad = await fetch(`${server.url}api/failed/groups/not-a-group/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bad.status).toBe(400);
    } finally {
      await server.close();
      await dispatcher.close();
    }
  });
});
