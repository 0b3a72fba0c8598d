import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

/**
 * What a user gets: the packed tarball installed into an empty project, used exactly with the
 * names SPEC.md fixes, from plain JavaScript and from type-checked TypeScript.
 */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'jobwright-packed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });

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
while (seen.length < 4) await new Promise((r) => setTimeout(r, 10));
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
while ((await onDisk.find(diskId)).status !== 'completed') await new Promise((r) => setTimeout(r, 10));
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

it('the packed tarball installs into an empty project and works with the names SPEC.md fixes', {
  timeout: 300_000,
}, () => {
  run('npm', ['run', 'build'], root);
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', join(work, tarball), '--prefer-offline', '--no-audit', '--no-fund'], app);

  writeFileSync(join(app, 'main.mjs'), APP);
  const out = JSON.parse(run('node', ['main.mjs'], app).trim().split('\n').pop()!);
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
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files: ['typed.ts'],
    }),
  );
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
});
