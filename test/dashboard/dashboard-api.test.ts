import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import type { JobDispatcher, JobRecord } from '../../src/index.js';
import { serviceAvailable } from '../support/services.js';
import {
  memoryTarget,
  postgresTarget,
  redisTarget,
  type StoreTarget,
  sqliteTarget,
} from '../support/targets.js';
import { FlakyJob, HostileJob, makeDispatcher, type Seeded, seed, waitFor } from './fixture.js';
import { DashboardClient } from './http-client.js';

const TOKEN = 'api-test-token-8d2b41f07c3e-m5x9q2';

/** A GET with headers fetch() will not forge (Host), as a DNS-rebinding page effectively sends. */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, base), { headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}
const postgresUp = await serviceAvailable('postgres');
const redisUp = await serviceAvailable('redis');

interface JobListBody {
  jobs: JobRecord[];
  total: number;
  limit: number;
  offset: number;
  page: number;
}

function apiSuite(target: StoreTarget, options: { skip?: boolean } = {}) {
  describe.skipIf(options.skip)(`dashboard JSON API, ${target.name} driver`, () => {
    let dispatcher: JobDispatcher;
    let open: RunningDashboard;
    let locked: RunningDashboard;
    let seeded: Seeded;
    let script: DashboardClient;

    beforeAll(async () => {
      dispatcher = makeDispatcher(await target.make());
      seeded = await seed(dispatcher);
      open = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
      locked = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
      script = new DashboardClient(locked.url, TOKEN);
    }, 60_000);

    afterAll(async () => {
      await open?.close();
      await locked?.close();
      await dispatcher?.close({ graceSeconds: 1 });
      await target.cleanup();
    }, 60_000);

    test('overview: counts per queue equal the store, throughput over the last hour', async () => {
      const { status, body } = await script.json<{
        queues: Array<Record<string, unknown>>;
        throughput: Array<{ completed: number; failed: number }>;
        pauseSupported: boolean;
        totals: Record<string, number>;
      }>('api/overview');
      expect(status).toBe(200);
      const stats = await dispatcher.allStats();
      // Oldest wait moves with the clock; every count must match the store exactly.
      const withoutAge = ({ oldestPendingMs: _age, ...rest }: Record<string, unknown>) => rest;
      expect(body.queues.map(withoutAge)).toEqual(
        stats.map((s) => ({ ...withoutAge({ ...s }), paused: false })),
      );
      expect(body.totals.failedJobs).toBe(2);
      expect(body.throughput).toHaveLength(60);
      expect(body.throughput.reduce((n, b) => n + b.completed, 0)).toBe(4);
      expect(body.throughput.reduce((n, b) => n + b.failed, 0)).toBe(2);
      expect(body.pauseSupported).toBe(true);
      const minutes = await script.json<{ buckets: unknown[] }>('api/throughput?minutes=15&queue=default');
      expect(minutes.body.buckets).toHaveLength(15);
    });

    test('jobs: filters, search by id, name and payload text, paging', async () => {
      const all = await script.json<JobListBody>('api/jobs');
      expect(all.body.total).toBe(10);
      const failed = await script.json<JobListBody>('api/jobs?status=failed');
      expect(failed.body.jobs.map((j) => j.jobName).sort()).toEqual(['FlakyJob', 'HostileJob']);
      const byId = await script.json<JobListBody>(`api/jobs?q=${seeded.okIds[2]}`);
      expect(byId.body.jobs.map((j) => j.id)).toEqual([seeded.okIds[2]]);
      const byName = await script.json<JobListBody>('api/jobs?q=ReportJob&queue=reports');
      expect(byName.body.total).toBe(4);
      const byPayload = await script.json<JobListBody>('api/jobs?search=2026-09');
      expect(byPayload.body.jobs.map((j) => j.id)).toEqual([seeded.reportIds[1]]);
      const page2 = await script.json<JobListBody>('api/jobs?queue=default&limit=4&page=2&order=oldest');
      expect(page2.body.jobs).toHaveLength(2);
      expect(page2.body.offset).toBe(4);
      expect(page2.body.total).toBe(6);
      const oldestFirst = await script.json<JobListBody>('api/jobs?queue=default&order=oldest&limit=1');
      expect(oldestFirst.body.jobs[0]!.id).toBe(seeded.okIds[0]);
    });

    test('list parameters are whitelisted and clamped', async () => {
      const huge = await script.json<JobListBody>('api/jobs?limit=100000&offset=0');
      expect(huge.status).toBe(200);
      expect(huge.body.limit).toBe(100);
      const zero = await script.json<JobListBody>('api/jobs?limit=0&page=0');
      expect(zero.body.limit).toBe(1);
      expect(zero.body.page).toBe(1);
      for (const bad of [
        'api/jobs?status=deleted',
        'api/jobs?order=random',
        'api/jobs?sort=id;drop',
        'api/jobs?limit=ten',
        'api/jobs?limit=-5',
        "api/jobs?queue=x'%3B%20DROP%20TABLE%20jobs%3B--",
        'api/throughput?minutes=abc',
      ]) {
        const response = await script.json<{ error: { code: string } }>(bad);
        expect(response.status, bad).toBe(400);
        expect(response.body.error.code).toBe('BAD_PARAM');
      }
      const long = await script.json<JobListBody>(`api/jobs?q=${'x'.repeat(5000)}`);
      expect(long.status).toBe(200);
      expect(long.body.total).toBe(0);
    });

    test('one job with its activity; unknown and malformed ids', async () => {
      const { status, body } = await script.json<{ job: JobRecord; activity: unknown[] }>(
        `api/jobs/${seeded.hostileId}`,
      );
      expect(status).toBe(200);
      expect(body.job.status).toBe('failed');
      expect(body.job.errorMessage).toContain('<svg onload=');
      expect(Array.isArray(body.activity)).toBe(true);
      expect((await script.json('api/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ')).status).toBe(404);
      expect((await script.json('api/jobs/..%2F..%2Fetc%2Fpasswd')).status).toBe(400);
      expect((await script.json(`api/jobs/${'a'.repeat(65)}`)).status).toBe(400);
    });

    test('failed jobs and live workers', async () => {
      const failed = await script.json<JobListBody & { queues: unknown[] }>('api/failed');
      expect(failed.body.total).toBe(2);
      expect(failed.body.queues).toEqual([{ queueName: 'default', failedJobs: 2 }]);
      const workers = await script.json<{
        workers: Array<{ queues: string[]; concurrency: number; pid: number }>;
      }>('api/workers');
      expect(workers.body.workers).toHaveLength(1);
      expect(workers.body.workers[0]).toMatchObject({
        queues: ['default'],
        concurrency: 2,
        pid: process.pid,
      });
    });

    test('actions with the Bearer token: pause, resume, retry one, retry all, clear', async () => {
      const post = (path: string, body?: unknown) =>
        script.request(path, {
          method: 'POST',
          headers: body ? { 'content-type': 'application/json' } : {},
          body: body ? JSON.stringify(body) : undefined,
        });
      expect((await post('api/queues/reports/pause')).status).toBe(200);
      expect(await dispatcher.pausedQueues()).toEqual(['reports']);
      const paused = await script.json<{ queues: Array<{ queueName: string; paused: boolean }> }>(
        'api/queues',
      );
      expect(paused.body.queues.find((q) => q.queueName === 'reports')?.paused).toBe(true);
      expect((await post('api/queues/reports/resume')).status).toBe(200);
      expect(await dispatcher.pausedQueues()).toEqual([]);

      const notFailed = await post(`api/jobs/${seeded.okIds[0]}/retry`);
      expect(notFailed.status).toBe(409);

      FlakyJob.failing = false;
      const one = await post(`api/jobs/${seeded.flakyId}/retry`);
      expect(await one.json()).toEqual({ retried: 1 });
      await waitFor('the retried job to complete', async () => {
        return (await dispatcher.find(seeded.flakyId))?.status === 'completed';
      });

      const all = await post('api/failed/retry-all', { queue: 'default' });
      expect(await all.json()).toEqual({ queue: 'default', retried: 1 });
      await waitFor('the hostile job to fail again', async () => {
        const job = await dispatcher.find(seeded.hostileId);
        return job?.status === 'failed' && job.attempts === 1;
      });
      const cleared = await post('api/failed/clear?queue=default');
      expect(await cleared.json()).toEqual({ queue: 'default', cleared: 1 });
      expect(await dispatcher.find(seeded.hostileId)).toBeNull();
    });

    test('delete one failed job with the Bearer token; the other failed jobs stay', async () => {
      const post = (path: string) => script.request(path, { method: 'POST' });
      const index = await script.json<{ endpoints: Record<string, string> }>('api');
      expect(index.body.endpoints['POST /api/jobs/:id/delete']).toBe('delete one failed job');
      const doomed = await dispatcher.dispatch(new HostileJob('delete me'));
      const kept = await dispatcher.dispatch(new HostileJob('keep me'));
      await waitFor('both to fail', async () => {
        const jobs = await Promise.all([dispatcher.find(doomed), dispatcher.find(kept)]);
        return jobs.every((job) => job?.status === 'failed');
      });
      const notFailed = await post(`api/jobs/${seeded.okIds[0]}/delete`);
      expect(notFailed.status).toBe(409);
      expect((await dispatcher.find(seeded.okIds[0]!))?.status).toBe('completed');

      const deleted = await post(`api/jobs/${doomed}/delete`);
      expect(deleted.status).toBe(200);
      expect(await deleted.json()).toEqual({ deleted: 1 });
      expect(await dispatcher.find(doomed)).toBeNull();
      expect((await dispatcher.find(kept))?.status).toBe('failed');
      expect((await post(`api/jobs/${doomed}/delete`)).status).toBe(409);
      // Leave the failed set as the seed made it for the tests that follow.
      expect(await dispatcher.forgetFailed(kept)).toBe(true);
    });

    test('no token: a page of the dashboard can act; other origins, stale forms and foreign Host names cannot', async () => {
      const tab = new DashboardClient(open.url);
      const overview = await tab.page('');
      expect(overview.status).toBe(200);
      expect(tab.csrf).not.toBe('');
      const ok = await tab.form('actions/pause', { queue: 'reports', back: '/' });
      expect(ok.status).toBe(303);
      expect(ok.headers.get('location')).toBe('/?notice=paused&nq=reports');
      expect(await dispatcher.pausedQueues()).toEqual(['reports']);

      const refusals: Array<[string, Record<string, string>, Record<string, string>]> = [
        ['no CSRF token', { _csrf: '' }, {}],
        ['a guessed CSRF token', { _csrf: 'x'.repeat(43) }, {}],
        ['another origin', {}, { origin: 'http://127.0.0.1:1' }],
        ['a cross-site fetch', {}, { 'sec-fetch-site': 'cross-site' }],
        ['a same-site page on another port', {}, { 'sec-fetch-site': 'same-site' }],
        ['an opaque origin', {}, { origin: 'null' }],
      ];
      for (const [why, fields, headers] of refusals) {
        const response = await tab.form('actions/resume', { queue: 'reports', ...fields }, headers);
        expect(response.status, why).toBe(403);
      }
      expect(await dispatcher.pausedQueues()).toEqual(['reports']);
      // A DNS-rebinding page reaches 127.0.0.1 under its own name: the Host header gives it away.
      const rebound = await rawGet(open.url, '/api/overview', { host: 'attacker.example:4747' });
      expect(rebound.status).toBe(403);
      expect(rebound.body).toContain('LOOPBACK_ONLY');

      const resumed = await tab.form('actions/resume', { queue: 'reports' });
      expect(resumed.status).toBe(303);
      expect(await dispatcher.pausedQueues()).toEqual([]);
    });
  });
}

apiSuite(memoryTarget());
apiSuite(sqliteTarget('jw_dash'));
apiSuite(postgresTarget('jw_dash'), { skip: !postgresUp });
apiSuite(redisTarget('jw_dash'), { skip: !redisUp });
