import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { ActivityLoggedJob, generateKey, Job, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { waitForStatus } from '../support/wait.js';
import { cleanEnv } from './helpers.js';

/**
 * `artisan` in a folder without jobwright.config.ts (as after `npm start`): it loads no job
 * class, so only the names stored with each job at dispatch tell it what to hide.
 */

const CARD = '5500005555555559';
const IBAN = 'DE89370400440532013000';
const KEY = generateKey();

class RefundJob extends ActivityLoggedJob {
  static sensitive = ['cardNumber'];
  constructor(
    public orderId: string,
    public cardNumber: string,
  ) {
    super();
  }
  override jobName() {
    return 'RefundJob';
  }
  override maxAttempts() {
    return 1;
  }
  handle() {
    throw new Error(`refund to ${this.cardNumber} declined`);
  }
}

class PayoutJob extends Job {
  static sensitive = ['iban'];
  constructor(
    public payee: string,
    public iban: string,
  ) {
    super();
  }
  override jobName() {
    return 'PayoutJob';
  }
  override encrypted() {
    return true;
  }
  override maxAttempts() {
    return 1;
  }
  handle() {
    throw new Error(`bank refused ${this.iban}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'jobwright-noconfig-'));
let refundId: string;
let payoutId: string;

beforeAll(async () => {
  mkdirSync(join(dir, 'storage'));
  const app = new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')), {
    jobs: [RefundJob, PayoutJob],
    encryption: { key: KEY },
  });
  refundId = await app.dispatch(new RefundJob('order-55', CARD));
  payoutId = await app.dispatch(new PayoutJob('payee-12', IBAN));
  await app.startWorker('default', 1);
  await waitForStatus(app, refundId, ['failed']);
  await waitForStatus(app, payoutId, ['failed']);
  await app.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function artisan(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd: dir,
    env: cleanEnv(env),
    color: false,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

it('no read command prints a sensitive value, with or without the key', async () => {
  const readers = [
    ['queue:failed'],
    ['queue:failed', '--json'],
    ['queue:status'],
    ['queue:status', '--json'],
    ['queue:activity'],
    ['queue:activity', '--json'],
    ['queue:activity', '--job', refundId],
    ['queue:workers', '--json'],
    ['queue:show', refundId],
    ['queue:show', refundId, '--json'],
  ];
  for (const env of [{}, { JOBWRIGHT_KEY: KEY }] as Array<Record<string, string>>) {
    for (const args of readers) {
      const out = await artisan(args, env);
      const label = `${args.join(' ')} ${Object.keys(env).join('')}`;
      expect(out.code, `${label}: ${out.stderr}`).toBe(0);
      expect(out.stdout + out.stderr, label).not.toContain(CARD);
      expect(out.stdout + out.stderr, label).not.toContain(IBAN);
    }
  }
  expect((await artisan(['queue:activity', '--job', refundId])).stdout).toContain('RefundJob');
});

it('queue:show prints the job and each attempt (worker, duration, outcome, scrubbed error) without its class', async () => {
  const out = await artisan(['queue:show', refundId]);
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout).toContain('RefundJob');
  expect(out.stdout).toMatch(/WORKER\s+WAITED\s+RAN\s+OUTCOME/);
  expect(out.stdout).toMatch(/\n1\s+\S+ \S+\s+\S+.*failed\s+Error: refund to \[REDACTED\] declined/);
  const json = JSON.parse((await artisan(['queue:show', refundId, '--json'])).stdout) as {
    attempts: Array<{ attempt: number; outcome: string; workerId: string | null; error: string }>;
  };
  expect(json.attempts).toHaveLength(1);
  expect(json.attempts[0]).toMatchObject({ attempt: 1, outcome: 'failed' });
  expect(json.attempts[0]!.workerId).toBeTruthy();
  expect(json.attempts[0]!.error).toContain('[REDACTED]');
  const missing = await artisan(['queue:show', '01JD3Q4S5V6W7X8Y9Z0A1B2C3D']);
  expect(missing.code).toBe(1);
  expect(missing.stdout).toContain('No job with id');
});

it('queue:failed --json redacts by the stored names, and shows [encrypted] without the key', async () => {
  const byId = async (env: Record<string, string>) => {
    const out = await artisan(['queue:failed', '--json'], env);
    return new Map((JSON.parse(out.stdout) as Array<{ id: string; payload: unknown }>).map((j) => [j.id, j]));
  };
  const plain = await byId({});
  expect(plain.get(refundId)?.payload).toEqual({ orderId: 'order-55', cardNumber: '[REDACTED]' });
  expect(plain.get(payoutId)?.payload).toBe('[encrypted]');
  const keyed = await byId({ JOBWRIGHT_KEY: KEY });
  expect(keyed.get(payoutId)?.payload).toEqual({ payee: 'payee-12', iban: '[REDACTED]' });
});

it('key:generate prints a key JOBWRIGHT_KEY accepts, and a malformed key is refused with how to fix it', async () => {
  const out = await artisan(['key:generate']);
  const key = out.stdout.trim();
  expect(Buffer.from(key, 'base64')).toHaveLength(32);
  expect((await artisan(['queue:status'], { JOBWRIGHT_KEY: key })).code).toBe(0);
  const bad = await artisan(['queue:status'], { JOBWRIGHT_KEY: 'not-a-key' });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/JOBWRIGHT_KEY must be 32 random bytes in base64.*key:generate/);
});
