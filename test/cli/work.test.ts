import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artisanInProcess,
  Background,
  cleanEnv,
  makeProject,
  runArtisan,
  statusByQueue,
  useBuiltCli,
} from './helpers.js';

/** A job that takes `ms` milliseconds and gives up early only when its signal aborts. */
const SLOW_JOB = `import { Job, type JobContext } from 'jobwright';

export class SlowJob extends Job {
  constructor(
    public readonly ms: number,
    public readonly untilSigterm = false,
  ) {
    super();
  }
  override jobName() {
    return 'SlowJob';
  }
  async handle(ctx: JobContext) {
    // Runs until the worker is told to stop: the stop lands mid-job however slow the machine is.
    if (this.untilSigterm) {
      await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
  }
}
`;

// Child processes throughout: a generous bound for a loaded machine (see flows.ts).
describe('artisan queue:work', { timeout: 300_000 }, () => {
  let dir = '';
  let remove = () => {};
  const env = cleanEnv({ QUEUE_CONNECTION: 'sqlite' });
  const artisan = (...args: string[]) => runArtisan(args, dir, env);
  const dispatch = async (ms: number, queue: string, extra: Record<string, unknown> = {}) => {
    const r = await artisan(
      'queue:dispatch',
      'SlowJob',
      '--payload',
      JSON.stringify({ ms, ...extra }),
      '--queue',
      queue,
      '--json',
    );
    expect(r.stderr).toBe('');
    return (JSON.parse(r.stdout) as { id: string }).id;
  };
  // The state read back in this process: what is tested here is queue:work, in its own process.
  const status = async () =>
    statusByQueue(
      (await artisanInProcess(dir, ['queue:status', '--json'], env as Record<string, string>)).stdout,
    );

  beforeAll(async () => {
    await useBuiltCli();
    const project = makeProject(`{ jobsDir: 'src/app/jobs', pollIntervalMs: 50 }`);
    dir = project.dir;
    remove = project.remove;
    writeFileSync(join(dir, 'src/app/jobs/slow-job.ts'), SLOW_JOB);
  }, 240_000);
  afterAll(() => {
    Background.killAll();
    remove();
  });

  it('on SIGTERM lets a running job finish, then exits 0', async () => {
    const id = await dispatch(0, 'graceful', { untilSigterm: true });
    const worker = new Background(['queue:work', '--queue', 'graceful'], dir, env);
    await worker.waitFor(new RegExp(`RUNNING +SlowJob ${id}`));
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.stdout).toMatch(/Stopping \(received SIGTERM\)/);
    expect(worker.stdout).toMatch(new RegExp(`DONE +SlowJob ${id} \\[graceful\\] attempt 1/3`));
    expect((await status()).graceful).toMatchObject({ completedJobs: 1, processingJobs: 0 });
  });

  it('puts back a job that outlives --grace, without counting its attempt; a second signal exits 130', async () => {
    const id = await dispatch(20_000, 'slow');
    const worker = new Background(['queue:work', '--queue', 'slow', '--grace', '0.5'], dir, env);
    await worker.waitFor(new RegExp(`RUNNING +SlowJob ${id}`));
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect((await status()).slow).toMatchObject({ pendingJobs: 1, processingJobs: 0, failedJobs: 0 });
    const failed = await artisan('queue:failed', '--json');
    expect(JSON.parse(failed.stdout)).toEqual([]);

    const again = new Background(['queue:work', '--queue', 'slow', '--grace', '60'], dir, env);
    // attempt 1/3 again: the attempt cut short by the stop was not counted.
    await again.waitFor(new RegExp(`RUNNING +SlowJob ${id} \\[slow\\] attempt 1/3`));
    again.child.kill('SIGINT');
    await again.waitFor(/Stopping \(received SIGINT\)/);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(130);
    expect(again.stderr).toMatch(/SIGINT again: exiting now/);
  });

  it('recycles with exit 0 at --max-time and at --memory', async () => {
    const timed = await artisan('queue:work', '--queue', 'idle', '--max-time', '1');
    expect(timed.code).toBe(0);
    expect(timed.stdout).toMatch(/recycling: ran 1 s \(--max-time\)/);
    const memory = await artisan('queue:work', '--queue', 'idle', '--memory', '1');
    expect(memory.code).toBe(0);
    expect(memory.stdout).toMatch(/recycling: memory \d+ MB is over --memory 1/);
  });

  it('exits 1 on a fatal error: a store it cannot open or reach', async () => {
    const r = await runArtisan(['queue:work'], dir, {
      ...env,
      JOBWRIGHT_SQLITE_PATH: '/dev/null/no-such/jobs.sqlite',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /m);
    // A refused connection is reported at once, naming the server and the variable, never retried into silence.
    const away = await runArtisan(['queue:work'], dir, {
      ...cleanEnv({ REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }),
    });
    expect(away.code).toBe(1);
    expect(away.stderr).toContain('Cannot reach Redis at 127.0.0.1:1 (from REDIS_URL): connection refused');
    expect(away.stderr).not.toContain('hunter2');
    expect(away.stdout).not.toMatch(/Working/);
  });

  it('serves Prometheus metrics with --metrics-port', async () => {
    const id = await dispatch(10, 'metered');
    const worker = new Background(
      ['queue:work', '--queue', 'metered', '--metrics-port', '0', '--json-logs'],
      dir,
      env,
    );
    try {
      await worker.waitFor(new RegExp(`"event":"job:done","jobId":"${id}"`));
      await worker.waitFor(/"event":"metrics:ready"/);
      const url = /"url":"([^"]+)"/.exec(
        worker.stdout.split('\n').find((l) => l.includes('metrics:ready'))!,
      )![1]!;
      const body = await (await fetch(url)).text();
      expect(body).toMatch(/jobwright_jobs_processed_total\{[^}]*queue="metered"[^}]*\} 1/);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});
