import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Job, type JobContext, JobDispatcher } from '../../src/index.js';
import { createJobMetrics } from '../../src/metrics/job-metrics.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/metrics-server.js';
import { targetsPresent } from '../support/targets.js';
import { waitFor, waitForStatus } from '../support/wait.js';

class MeteredJob extends Job {
  constructor(public failures: number) {
    super();
  }
  override jobName() {
    return 'MeteredJob';
  }
  override queueName() {
    return 'metered';
  }
  override retryDelay() {
    return 0.02;
  }
  override maxAttempts() {
    return 2;
  }
  async handle(ctx: JobContext) {
    if (ctx.attempt <= this.failures) throw new Error('nope');
  }
}

/** The value of one sample line, e.g. `jobwright_jobs_processed_total{queue="metered",job_name="MeteredJob"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inner = line.slice(line.indexOf('{') + 1, line.indexOf('}'));
    const parts = inner.split(',');
    if (want.every((w) => parts.includes(w)) && parts.length === want.length)
      return Number(line.split(' ').pop());
  }
  return undefined;
}

const stores = await targetsPresent('jw_monitoring');
const open: JobDispatcher[] = [];
const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
});
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe.each(stores)('Prometheus metrics on $name', (store) => {
  it('counts processed, retried and failed jobs and serves queue depth and live workers', async () => {
    const d = new JobDispatcher(await store.make(), { config: { pollIntervalMs: 20, leaseSeconds: 5 } });
    open.push(d);
    const server = await startMetricsServer({ port: 0, dispatcher: d });
    servers.push(server);
    const ids = [
      await d.dispatch(new MeteredJob(0)),
      await d.dispatch(new MeteredJob(1)),
      await d.dispatch(new MeteredJob(5)),
    ];
    await d.dispatch(new MeteredJob(0), { delay: 3600 });
    await d.startWorker('metered', 3);
    await waitForStatus(d, ids[0]!, ['completed']);
    await waitForStatus(d, ids[1]!, ['completed']);
    await waitForStatus(d, ids[2]!, ['failed']);

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const job = { queue: 'metered', job_name: 'MeteredJob' };
    expect(sample(text, 'jobwright_jobs_dispatched_total', job)).toBe(4);
    expect(sample(text, 'jobwright_jobs_processed_total', job)).toBe(2);
    expect(sample(text, 'jobwright_jobs_retried_total', job)).toBe(2);
    expect(sample(text, 'jobwright_jobs_failed_total', job)).toBe(1);
    expect(sample(text, 'jobwright_job_duration_seconds_count', { ...job, outcome: 'completed' })).toBe(2);
    expect(sample(text, 'jobwright_job_duration_seconds_count', { ...job, outcome: 'retried' })).toBe(2);
    expect(sample(text, 'jobwright_job_duration_seconds_count', { ...job, outcome: 'failed' })).toBe(1);
    expect(sample(text, 'jobwright_job_wait_seconds_count', job)).toBe(5);
    expect(sample(text, 'jobwright_queue_depth', { queue: 'metered', state: 'pending' })).toBe(1);
    expect(sample(text, 'jobwright_queue_depth', { queue: 'metered', state: 'failed' })).toBe(1);
    expect(sample(text, 'jobwright_workers', { queue: 'metered' })).toBe(1);
    expect(sample(text, 'jobwright_worker_concurrency', { queue: 'metered' })).toBe(3);

    await d.stopWorker('metered');
    // A scrape may reuse the store snapshot of the one before for a moment: scrape until it is new.
    await waitFor('a scrape without the stopped worker', async () => {
      const after = await (await fetch(server.url)).text();
      return sample(after, 'jobwright_workers', { queue: 'metered' }) === 0;
    });
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });
});

describe('createJobMetrics', () => {
  it('takes a prefix and its own registry, and detaches', async () => {
    const d = new JobDispatcher(await stores[0]!.make(), { config: { pollIntervalMs: 20 } });
    open.push(d);
    const metrics = await createJobMetrics(d, { prefix: 'app_jobs_', collectDefaultMetrics: true });
    await d.dispatch(new MeteredJob(0));
    metrics.detach();
    await d.dispatch(new MeteredJob(0));
    const text = await metrics.metrics();
    expect(sample(text, 'app_jobs_jobs_dispatched_total', { queue: 'metered', job_name: 'MeteredJob' })).toBe(
      1,
    );
    expect(text).toContain('app_jobs_process_cpu_user_seconds_total');
  });
});
