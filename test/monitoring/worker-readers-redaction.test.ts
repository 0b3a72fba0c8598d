import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityLoggedJob, type JobContext, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { attachLogger } from '../../src/logging/job-logger.js';
import { jobMetrics } from '../../src/metrics/job-metrics.js';
import { enableTracing } from '../../src/tracing/job-tracing.js';
import { waitForStatus } from '../support/wait.js';
import { installRecordingTracer } from './otel-test-provider.js';

/**
 * A rolling deploy: the application dispatches with a class that marks `apiKey` sensitive, and a
 * worker still runs the previous version of the class, which does not. The names stored with
 * the job at dispatch are what every worker-side reader redacts by.
 */

const SECRET = 'rk_live_5e4d3c2b1a0f9e8d';

class RotateKeyJobV2 extends ActivityLoggedJob {
  static sensitive = ['apiKey'];
  constructor(
    public tenant: string,
    public apiKey: string,
  ) {
    super();
  }
  override jobName() {
    return 'RotateKeyJob';
  }
  handle() {}
}

/** The worker's older version: same name, no sensitive list, and an error that quotes the key. */
class RotateKeyJobV1 extends ActivityLoggedJob {
  tenant = '';
  apiKey = '';
  override jobName() {
    return 'RotateKeyJob';
  }
  override retryDelay() {
    return 0;
  }
  handle(ctx: JobContext) {
    throw new Error(`vault refused ${this.apiKey} on attempt ${ctx.attempt}`);
  }
}

const otel = await installRecordingTracer();
const dir = mkdtempSync(join(tmpdir(), 'jobwright-worker-readers-'));
const file = join(dir, 'jobs.sqlite');
const lines: string[] = [];
const events: string[] = [];
let metricsText = '';
let id: string;
let worker: JobDispatcher;

beforeAll(async () => {
  const app = new JobDispatcher(new SqliteQueueDriver(file), { jobs: [RotateKeyJobV2] });
  id = await app.dispatch(new RotateKeyJobV2('tenant-3', SECRET));
  await app.close();

  worker = new JobDispatcher(new SqliteQueueDriver(file), {
    jobs: [RotateKeyJobV1],
    config: { pollIntervalMs: 20 },
  });
  attachLogger(worker, { level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  for (const name of ['job:retrying', 'job:failed'] as const) {
    worker.on(name, (e) => events.push(`${name} ${e.error.message} ${e.error.stack ?? ''}`));
  }
  await enableTracing(worker);
  const metrics = await jobMetrics(worker);
  await worker.startWorker('default', 1);
  await waitForStatus(worker, id, ['failed']);
  await worker.stopWorker('default');
  metricsText = await metrics.metrics();
}, 60_000);

afterAll(async () => {
  await worker.close();
  otel.uninstall();
  rmSync(dir, { recursive: true, force: true });
});

describe('worker-side readers redact the names stored at dispatch', () => {
  it('the stored error message', async () => {
    const record = await worker.find(id);
    expect(record?.errorMessage).toMatch(/vault refused \[REDACTED\] on attempt \d/);
    expect(record?.errorMessage).not.toContain(SECRET);
  });

  it('events', () => {
    // Retrying after each attempt but the last (maxAttempts was stored at dispatch), then failed.
    expect(events.filter((e) => e.startsWith('job:failed'))).toHaveLength(1);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const e of events) expect(e).not.toContain(SECRET);
    expect(events[0]).toContain('vault refused [REDACTED]');
  });

  it('logs', () => {
    expect(lines.some((l) => l.includes('vault refused [REDACTED]'))).toBe(true);
    for (const line of lines) expect(line).not.toContain(SECRET);
  });

  it('activity', async () => {
    const entries = await worker.activity({ jobId: id });
    expect(entries.map((e) => e.event)).toContain('failed');
    expect(JSON.stringify(entries)).not.toContain(SECRET);
    const started = entries.find((e) => e.event === 'started');
    expect(JSON.parse(started!.properties)).toMatchObject({ tenant: 'tenant-3', apiKey: '[REDACTED]' });
  });

  it('traces', () => {
    const spans = otel.provider.finished;
    expect(spans.length).toBeGreaterThan(0);
    const text = JSON.stringify(
      spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(SECRET);
  });

  it('metrics labels', () => {
    expect(metricsText).toContain('RotateKeyJob');
    expect(metricsText).not.toContain(SECRET);
  });

  it('the dashboard and CLI view of the record', async () => {
    const record = await worker.find(id);
    expect(record?.sensitiveFields).toEqual(['apikey']);
  });
});
