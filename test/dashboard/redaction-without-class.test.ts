import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { generateKey, Job, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { waitForStatus } from '../support/wait.js';

/**
 * The dashboard of a process that has none of the job classes loaded (the usual
 * `artisan queue:dispatch`-less ops box): the names stored with each job at dispatch are all it
 * needs to redact.
 */

const API_KEY = 'ak_0d9c8b7a6f5e4d3c2b1a';
const TOKEN_VALUE = 'tok_77aa66bb55cc44dd';
const CARD = '4111111111111111';
const KEY = generateKey();

class SyncCrmJob extends Job {
  static sensitive = ['apiKey', 'token'];
  constructor(
    public account: string,
    public apiKey: string,
    public nested: { token: string },
  ) {
    super();
  }
  override jobName() {
    return 'SyncCrmJob';
  }
  override maxAttempts() {
    return 1;
  }
  handle() {
    throw new Error(`CRM refused key ${this.apiKey}`);
  }
}

class ChargeJob extends Job {
  static sensitive = ['cardNumber'];
  constructor(
    public orderId: string,
    public cardNumber: string,
  ) {
    super();
  }
  override jobName() {
    return 'ChargeJob';
  }
  override encrypted() {
    return true;
  }
  handle() {}
}

const dir = mkdtempSync(join(tmpdir(), 'jobwright-redaction-'));
const file = join(dir, 'jobs.sqlite');
let syncId: string;
let chargeId: string;

beforeAll(async () => {
  const app = new JobDispatcher(new SqliteQueueDriver(file), {
    jobs: [SyncCrmJob, ChargeJob],
    encryption: { key: KEY },
  });
  syncId = await app.dispatch(new SyncCrmJob('acme-corp', API_KEY, { token: TOKEN_VALUE }));
  chargeId = await app.dispatch(new ChargeJob('order-913', CARD), { queue: 'payments' });
  await app.startWorker('default', 1);
  const failed = await waitForStatus(app, syncId, ['failed']);
  expect(failed.errorMessage).toContain('CRM refused key [REDACTED]');
  await app.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bodies(url: string, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths) {
    const response = await fetch(new URL(path, url), { headers: { accept: 'text/html' } });
    expect(response.status, path).toBe(200);
    out.set(path, await response.text());
  }
  return out;
}

describe('a dashboard without the job classes', () => {
  it('redacts the names stored at dispatch on every page and API answer, and search does not find them', async () => {
    const reader = new JobDispatcher(new SqliteQueueDriver(file), { encryption: {} });
    expect(reader.registry.get('SyncCrmJob')).toBeUndefined();
    const dashboard = await startDashboard({ dispatcher: reader, port: 0, token: '', log: () => {} });
    try {
      const pages = await bodies(dashboard.url, [
        `/jobs/${syncId}`,
        '/jobs',
        '/failed',
        `/api/jobs/${syncId}`,
        '/api/jobs',
        '/api/failed',
        `/jobs/${chargeId}`,
        `/api/jobs/${chargeId}`,
      ]);
      for (const [path, body] of pages) {
        for (const secret of [API_KEY, TOKEN_VALUE, CARD]) expect(body, path).not.toContain(secret);
      }
      expect(pages.get(`/jobs/${syncId}`)).toContain('acme-corp');
      expect(JSON.parse(pages.get(`/api/jobs/${syncId}`)!).job.payload).toEqual({
        account: 'acme-corp',
        apiKey: '[REDACTED]',
        nested: { token: '[REDACTED]' },
      });
      // Without JOBWRIGHT_KEY the encrypted job's payload is not shown at all.
      expect(JSON.parse(pages.get(`/api/jobs/${chargeId}`)!).job.payload).toBe('[encrypted]');

      for (const secret of [API_KEY, TOKEN_VALUE, 'ak_0d9c8b', CARD]) {
        const api = (await (await fetch(new URL(`/api/jobs?q=${secret}`, dashboard.url))).json()) as {
          total: number;
        };
        expect(api.total, secret).toBe(0);
        const page = await (await fetch(new URL(`/jobs?q=${secret}`, dashboard.url))).text();
        expect(page).not.toContain(syncId);
      }
      // The rest of the payload is still searchable.
      const found = (await (await fetch(new URL('/api/jobs?q=acme-corp', dashboard.url))).json()) as {
        jobs: Array<{ id: string }>;
      };
      expect(found.jobs.map((j) => j.id)).toEqual([syncId]);
    } finally {
      await dashboard.close();
      await reader.close();
    }
  });

  it('with the key, shows the encrypted job but still redacts its sensitive fields', async () => {
    const reader = new JobDispatcher(new SqliteQueueDriver(file), { encryption: { key: KEY } });
    const dashboard = await startDashboard({ dispatcher: reader, port: 0, token: '', log: () => {} });
    try {
      const pages = await bodies(dashboard.url, [`/jobs/${chargeId}`, `/api/jobs/${chargeId}`, '/jobs']);
      for (const [path, body] of pages) {
        expect(body, path).not.toContain(CARD);
        expect(body, path).toContain('order-913');
      }
      expect(JSON.parse(pages.get(`/api/jobs/${chargeId}`)!).job.payload).toEqual({
        orderId: 'order-913',
        cardNumber: '[REDACTED]',
      });
    } finally {
      await dashboard.close();
      await reader.close();
    }
  });
});
