import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, Job, type JobContext, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { attachLogger, logLevelFromEnv } from '../../src/logging/job-logger.js';
import { waitForStatus } from '../support/wait.js';

class FlakySecretJob extends Job {
  static sensitive = ['apiKey'];
  constructor(
    public apiKey: string,
    public failures: number,
  ) {
    super();
  }
  override jobName() {
    return 'LogFlakySecretJob';
  }
  override retryDelay() {
    return 0.02;
  }
  override maxAttempts() {
    return 2;
  }
  async handle(ctx: JobContext) {
    if (ctx.attempt <= this.failures) throw new Error(`upstream rejected key ${this.apiKey}`);
  }
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, destination: { write: (s: string) => void lines.push(JSON.parse(s)) } };
}

const open: JobDispatcher[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
});

function make() {
  const d = new JobDispatcher(new MemoryQueueDriver(), { config: { pollIntervalMs: 20 } });
  open.push(d);
  return d;
}

describe('attachLogger', () => {
  it('writes one JSON line per job event with id, name, queue, attempt, duration and error', async () => {
    const d = make();
    const { lines, destination } = capture();
    attachLogger(d, { level: 'debug', destination });
    const ok = await d.dispatch(new FlakySecretJob('sk_live_abcdef', 1));
    const bad = await d.dispatch(new FlakySecretJob('sk_live_zyxwvu', 5));
    await d.startWorker('default', 2);
    await waitForStatus(d, ok, ['completed']);
    await waitForStatus(d, bad, ['failed']);
    await d.stopWorker('default');
    const of = (id: string) => lines.filter((l) => l.jobId === id).map((l) => `${l.event}#${l.attempt}`);
    expect(of(ok)).toEqual([
      'job:dispatched#0',
      'job:processing#1',
      'job:retrying#1',
      'job:processing#2',
      'job:completed#2',
    ]);
    expect(of(bad)).toEqual([
      'job:dispatched#0',
      'job:processing#1',
      'job:retrying#1',
      'job:processing#2',
      'job:failed#2',
    ]);
    const completed = lines.find((l) => l.jobId === ok && l.event === 'job:completed')!;
    expect(completed).toMatchObject({
      level: 30,
      name: 'jobwright',
      jobName: 'LogFlakySecretJob',
      queue: 'default',
      msg: 'job completed',
    });
    expect(typeof completed.durationMs).toBe('number');
    const failed = lines.find((l) => l.jobId === bad && l.event === 'job:failed')!;
    expect(failed.level).toBe(50);
    expect((failed.err as { message: string }).message).toBe('upstream rejected key [REDACTED]');
    expect(JSON.stringify(lines)).not.toMatch(/sk_live_/);
    expect(lines.some((l) => l.event === 'worker:started' && l.concurrency === 2)).toBe(true);
    expect(lines.some((l) => l.event === 'worker:stopped')).toBe(true);
  });

  it('honours the level and detaches', async () => {
    const d = make();
    const { lines, destination } = capture();
    const attached = attachLogger(d, { level: 'warn', destination });
    await d.dispatch(new FlakySecretJob('k-1', 0));
    await d.startWorker('default', 1);
    const id = await d.dispatch(new FlakySecretJob('k-2', 1));
    await waitForStatus(d, id, ['completed']);
    expect(lines.map((l) => l.event)).toEqual(['job:retrying']);
    attached.detach();
    await waitForStatus(d, await d.dispatch(new FlakySecretJob('k-3', 1)), ['completed']);
    expect(lines).toHaveLength(1);
  });

  it('reads JOBWRIGHT_LOG_LEVEL and rejects a bad value by name', () => {
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ JOBWRIGHT_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(() => logLevelFromEnv({ JOBWRIGHT_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => logLevelFromEnv({ JOBWRIGHT_LOG_LEVEL: 'loud' })).toThrow(
      /JOBWRIGHT_LOG_LEVEL="loud".*fatal, error/,
    );
    const { lines, destination } = capture();
    const { logger } = attachLogger(make(), { env: { JOBWRIGHT_LOG_LEVEL: 'error' }, destination });
    expect(logger.level).toBe('error');
    expect(lines).toEqual([]);
  });
});
