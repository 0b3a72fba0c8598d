import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Job, type JobContext, JobDispatcher } from '../../src/index.js';
import { enableTracing, parseTraceparent } from '../../src/tracing/job-tracing.js';
import { type StoreTarget, targetsPresent } from '../support/targets.js';
import { waitForStatus } from '../support/wait.js';
import { installRecordingTracer } from './otel-test-provider.js';

const otel = await installRecordingTracer();
const { api, provider } = otel;
afterAll(() => otel.uninstall());

class TracedJob extends Job {
  static sensitive = ['secret'];
  constructor(
    public secret: string,
    public fail: boolean,
  ) {
    super();
  }
  override jobName() {
    return 'TracedJob';
  }
  override queueName() {
    return 'traced';
  }
  override maxAttempts() {
    return 1;
  }
  async handle(_ctx: JobContext) {
    const inner = api.trace.getTracer('app').startSpan('inner work');
    inner.end();
    if (this.fail) throw new Error(`bad secret ${this.secret}`);
  }
}

const open: JobDispatcher[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
  provider.finished.splice(0);
});

const stores = await targetsPresent('jw_monitoring');
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

async function make(store: StoreTarget) {
  const driver = await store.make();
  const d = new JobDispatcher(driver, { config: { pollIntervalMs: 20 } });
  open.push(d);
  await enableTracing(d);
  await enableTracing(d); // idempotent
  return { d, driver };
}

describe.each(stores)('OpenTelemetry tracing on $name', (store) => {
  it('saves the dispatch context in meta.trace and links the worker span to it', async () => {
    const { d, driver } = await make(store);
    const tracer = api.trace.getTracer('app');
    const request = tracer.startSpan('POST /checkout');
    const id = await api.context.with(api.trace.setSpan(api.context.active(), request), () =>
      d.dispatch(new TracedJob('s3cr3t-value', false)),
    );
    request.end();
    const stored = await driver.find({ id });
    const trace = JSON.parse(stored!.meta!).trace as Record<string, string>;
    const create = provider.finished.find((s) => s.name === 'create traced')!;
    expect(create.kind).toBe(api.SpanKind.PRODUCER);
    expect(create.parent?.spanId).toBe(request.spanContext().spanId);
    expect(trace.traceparent).toBe(`00-${create.spanContext().traceId}-${create.spanContext().spanId}-01`);
    expect(create.attributes).toMatchObject({
      'messaging.system': 'jobwright',
      'messaging.destination.name': 'traced',
      'messaging.operation': 'create',
      'messaging.message.id': id,
    });

    await d.startWorker('traced', 1);
    await waitForStatus(d, id, ['completed']);
    const process = provider.finished.find((s) => s.name === 'process traced')!;
    expect(process.kind).toBe(api.SpanKind.CONSUMER);
    expect(process.links.map((l) => l.context.spanId)).toEqual([create.spanContext().spanId]);
    expect(process.links[0]!.context.traceId).toBe(request.spanContext().traceId);
    expect(process.attributes).toMatchObject({
      'messaging.system': 'jobwright',
      'messaging.destination.name': 'traced',
      'messaging.operation': 'process',
      'messaging.operation.type': 'process',
      'messaging.message.id': id,
      'jobwright.job.name': 'TracedJob',
      'jobwright.job.attempt': 1,
    });
    expect(process.status.code).toBe(api.SpanStatusCode.UNSET);
    const inner = provider.finished.find((s) => s.name === 'inner work')!;
    expect(inner.parent?.spanId).toBe(process.spanContext().spanId);
  });

  it('marks a failed attempt as an error without the sensitive value, and carries context along a chain', async () => {
    const { d, driver } = await make(store);
    const [first, second] = await d.chain([new TracedJob('k-111', false), new TracedJob('k-222', true)]);
    await d.startWorker('traced', 1);
    await waitForStatus(d, second!, ['failed']);
    const processes = provider.finished.filter((s) => s.name === 'process traced');
    expect(processes).toHaveLength(2);
    const failedSpan = processes.find((s) => s.attributes['messaging.message.id'] === second)!;
    expect(failedSpan.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'bad secret [REDACTED]' });
    expect(JSON.stringify(failedSpan.events)).not.toContain('k-222');
    // The second link runs with the chain's saved dispatch context.
    expect(failedSpan.links).toHaveLength(1);
    const firstSpan = processes.find((s) => s.attributes['messaging.message.id'] === first)!;
    expect(failedSpan.links[0]!.context.spanId).toBe(firstSpan.links[0]!.context.spanId);
    expect((await driver.find({ id: second! }))?.errorMessage).not.toContain('k-222');
  });
});

describe('saved trace context', () => {
  it('ignores a malformed saved traceparent', () => {
    expect(parseTraceparent(api, 'garbage')).toBeNull();
    expect(parseTraceparent(api, `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`)).toBeNull();
    expect(
      parseTraceparent(api, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, 'k=v')?.traceState?.get('k'),
    ).toBe('v');
  });
});
