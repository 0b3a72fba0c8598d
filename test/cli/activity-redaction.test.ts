import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { ActivityLoggedJob, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { waitForStatus } from '../support/wait.js';
import { cleanEnv, makeProject } from './helpers.js';

/** The card number that must never be printed. */
const CARD = '4000000000000002';

const CHARGE_JOB = `import { ActivityLoggedJob } from 'jobwright';

export class ChargeCardJob extends ActivityLoggedJob {
  static sensitive = ['cardNumber'];
  constructor(public orderId: string, public cardNumber: string, public userId: string) { super(); }
  override jobName() { return 'ChargeCardJob'; }
  override triggeredBy() { return this.userId; }
  override maxAttempts() { return 1; }
  async handle() { throw new Error('card declined: ' + this.cardNumber); }
}
`;

/** The same job, as the application that ran it defines it. */
class ChargeCardJob extends ActivityLoggedJob {
  static sensitive = ['cardNumber'];
  constructor(
    public orderId: string,
    public cardNumber: string,
    public userId: string,
  ) {
    super();
  }
  override jobName() {
    return 'ChargeCardJob';
  }
  override triggeredBy() {
    return this.userId;
  }
  override maxAttempts() {
    return 1;
  }
  async handle() {
    throw new Error(`card declined: ${this.cardNumber}`);
  }
}

const project = makeProject(`{ jobsDir: 'src/app/jobs', sqlitePath: 'storage/jobs.sqlite' }`);
afterAll(() => project.remove());

async function artisan(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd: project.dir,
    env: cleanEnv(),
    color: false,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

it('queue:activity shows the activity log; queue:failed never prints sensitive fields', async () => {
  writeFileSync(join(project.dir, 'src/app/jobs/charge-card-job.ts'), CHARGE_JOB);
  const dispatcher = new JobDispatcher(new SqliteQueueDriver(join(project.dir, 'storage/jobs.sqlite')), {
    jobs: [ChargeCardJob],
    config: { pollIntervalMs: 20 },
  });
  const id = await dispatcher.dispatch(new ChargeCardJob('order-9', CARD, 'user-42'));
  await dispatcher.startWorker('default', 1);
  await waitForStatus(dispatcher, id, ['failed']);
  await dispatcher.close();

  const activity = await artisan(['queue:activity', '--job', id]);
  expect(activity.code).toBe(0);
  expect(activity.stdout).toMatch(/failed\s+ChargeCardJob/);
  expect(activity.stdout).toMatch(/started\s+ChargeCardJob/);
  expect(activity.stdout).toContain('user-42');
  const json = await artisan(['queue:activity', '--json']);
  expect(JSON.parse(json.stdout).map((e: { event: string }) => e.event)).toEqual(['failed', 'started']);

  for (const args of [['queue:failed'], ['queue:failed', '--json'], ['queue:activity', '--json']]) {
    const out = await artisan(args);
    expect(out.code, args.join(' ')).toBe(0);
    expect(out.stdout, args.join(' ')).not.toContain(CARD);
  }
  expect((await artisan(['queue:failed', '--json'])).stdout).toContain('order-9');
});
