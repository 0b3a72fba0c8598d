import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../cli/helpers.js';
import { builtPackage } from '../support/build.js';

/**
 * What a user gets: the packed tarball installed into an empty project. One build (the run's
 * shared one), one `npm pack`, one `npm install` serve both checks: the API with the names
 * SPEC.md fixes, and `npx artisan` with a job written by make:job.
 */
const execFileAsync = promisify(execFile);
const env = cleanEnv({ npm_config_loglevel: 'error', npm_config_update_notifier: 'false' });
const run = async (cmd: string, args: string[], cwd: string) =>
  (await execFileAsync(cmd, args, { cwd, encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 })).stdout;

let app = '';
beforeAll(async () => {
  const pkg = await builtPackage();
  const work = join(pkg, '..', 'packed');
  mkdirSync(work, { recursive: true });
  // --ignore-scripts: prepack would build again; the shared build is already in the package.
  await run('npm', ['pack', pkg, '--ignore-scripts', '--pack-destination', work], work);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // --ignore-scripts: compiling better-sqlite3 from source takes minutes here (and prebuilt
  // binaries need the network), so the app gets the binary this repo's own install built for the
  // same version and Node. Everything else is what npm installs from the tarball.
  await run(
    'npm',
    ['install', join(work, tarball), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
    app,
  );
  const binary = 'node_modules/better-sqlite3/build/Release';
  mkdirSync(join(app, binary), { recursive: true });
  copyFileSync(join(ROOT, binary, 'better_sqlite3.node'), join(app, binary, 'better_sqlite3.node'));
}, 300_000);

const APP = `
import { Job, JobDispatcher, MemoryQueueDriver, registerJobs, dispatch, dispatchJob, jobDispatcher, chain,
  loadConfig, setJobDispatcher } from 'jobwright';
import { fakeQueue } from 'jobwright/testing';
import { createDashboard } from 'jobwright/dashboard';
import { SqliteQueueDriver } from 'jobwright';

const seen = [];
class ProcessPaymentJob extends Job {
  constructor(paymentId, amount) { super(); this.paymentId = paymentId; this.amount = amount; }
  jobName() { return 'ProcessPaymentJob'; }
  async handle(ctx) { seen.push(this.paymentId + ':' + ctx.attempt + ':' + ctx.jobId.length); }
  maxAttempts() { return 5; }
  retryDelay() { return 120; }
  queueName() { return 'payments'; }
  priority() { return -5; }
  timeout() { return 600; }
}
registerJobs([ProcessPaymentJob]);
const config = loadConfig({ JOB_WORKER_CONCURRENCY: '4' });
const dispatcher = new JobDispatcher(new MemoryQueueDriver(), { config: { ...config, pollIntervalMs: 10 } });
setJobDispatcher(dispatcher);
const id = await dispatch(new ProcessPaymentJob('pay_1', 99.99));
await dispatchJob(new ProcessPaymentJob('pay_2', 5));
await chain([new ProcessPaymentJob('pay_3', 1), new ProcessPaymentJob('pay_4', 2)]);
if (jobDispatcher() !== dispatcher) throw new Error('global dispatcher');
await dispatcher.startWorker('payments', config.workerConcurrency);
// Wait for the stored outcomes, not for handle(): the outcome is written after handle returns.
while ((await dispatcher.stats('payments')).completedJobs < 4) await new Promise((r) => setTimeout(r, 10));
const stats = await dispatcher.stats('payments');
const record = await dispatcher.find(id);
await dispatcher.stopWorker('payments');
await dispatcher.close();
const fake = fakeQueue();
await dispatch(new ProcessPaymentJob('pay_5', 1));
fake.assertDispatched(ProcessPaymentJob);
fake.restore();
// The default store from the installed package: its migrations ship in the tarball.
const onDisk = new JobDispatcher(new SqliteQueueDriver('./storage/app.sqlite'), { config: { pollIntervalMs: 10 } });
const diskId = await onDisk.dispatch(new ProcessPaymentJob('pay_6', 1));
await onDisk.startWorker('payments', 2);
await onDisk.waitFor(diskId, { timeout: 60 });
await onDisk.close();
if (typeof createDashboard({ dispatcher: onDisk }).handler !== 'function') throw new Error('dashboard handler');
console.log(JSON.stringify({ seen: seen.sort(), completed: stats.completedJobs, workers: stats.workersCount,
  status: record.status, priority: record.priority, maxAttempts: record.maxAttempts }));
`;

const TYPED = `
import { Job, type JobContext, type JobRecord, type JobStatus, type QueueStats, type JobConfig, JobDispatcher,
  MemoryQueueDriver } from 'jobwright';
export class SendEmailJob extends Job {
  constructor(public to: string) { super(); }
  override jobName() { return 'SendEmailJob'; }
  async handle(ctx: JobContext): Promise<void> { ctx.signal.throwIfAborted(); }
}
const d = new JobDispatcher(new MemoryQueueDriver());
const id: Promise<string> = d.dispatch(new SendEmailJob('a@b.c'), { delay: 5, queue: 'emails', priority: 1 });
const s: Promise<QueueStats> = d.stats('emails');
const r: Promise<JobRecord | null> = d.find('x');
const st: JobStatus = 'retrying';
const c: Partial<JobConfig> = { maxAttempts: 2 };
void [id, s, r, st, c];
`;

describe('the packed tarball in an empty project', { timeout: 120_000 }, () => {
  it('works with the names SPEC.md fixes, from JavaScript and type-checked TypeScript', async () => {
    writeFileSync(join(app, 'main.mjs'), APP);
    const out = JSON.parse((await run('node', ['main.mjs'], app)).trim().split('\n').pop()!);
    expect(out).toEqual({
      seen: ['pay_1:1:26', 'pay_2:1:26', 'pay_3:1:26', 'pay_4:1:26', 'pay_6:1:26'],
      completed: 4,
      workers: 4,
      status: 'completed',
      priority: -5,
      maxAttempts: 5,
    });

    writeFileSync(join(app, 'typed.ts'), TYPED);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['typed.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  });

  it('runs npx artisan: help, make:job, dispatch, work, status; the job type-checks', async () => {
    const artisan = (...args: string[]) => run('npx', ['artisan', ...args], app);
    expect(await artisan('--help')).toMatch(/queue:work \[options\]/);
    writeFileSync(
      join(app, 'jobwright.config.ts'),
      "import { defineConfig } from 'jobwright';\n\nexport default defineConfig({ jobsDir: 'src/app/jobs', pollIntervalMs: 50 });\n",
    );
    mkdirSync(join(app, 'src/app/jobs'), { recursive: true });
    expect(await artisan('make:job', 'HelloJob')).toMatch(/Registered/);
    expect(await artisan('migrate')).toMatch(/Migrated sqlite \(.*storage\/jobs\.sqlite\)/);
    const sent = await artisan('queue:dispatch', 'HelloJob', '--payload', '{"recordId":"r1"}', '--json');
    const { id } = JSON.parse(sent) as { id: string };
    const worked = await artisan('queue:work', '--max-jobs', '1');
    expect(worked).toMatch(new RegExp(`DONE +HelloJob ${id} \\[default\\] attempt 1/3`));
    expect(worked).toMatch(/recycling: processed 1 job \(/);
    const [stats] = JSON.parse(await artisan('queue:status', '--json')) as Array<Record<string, unknown>>;
    expect(stats).toMatchObject({ queueName: 'default', completedJobs: 1, pendingJobs: 0 });

    // The generated job type-checks against the installed typings under the strictest settings.
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          strict: true,
          noImplicitOverride: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        include: ['src/app/jobs', 'jobwright.config.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    expect(readFileSync(join(app, 'src/app/jobs/hello-job.ts'), 'utf8')).toMatch(
      /class HelloJob extends Job/,
    );
  });
});
