import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { startDashboard } from '../../src/dashboard/index.js';
import { JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { cleanEnv } from '../cli/helpers.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const cwd = mkdtempSync(join(tmpdir(), 'jobwright-demo-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** `npm start` as a user runs it, in a fresh folder, on the default store (SQLite). */
async function demo(): Promise<{ stdout: string; seconds: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of [
    'QUEUE_CONNECTION',
    'DATABASE_URL',
    'REDIS_URL',
    'SMTP_URL',
    'JOBWRIGHT_LOG_LEVEL',
    'EXAMPLES_DATA_DIR',
  ]) {
    delete env[key];
  }
  const started = Date.now();
  const { stdout } = await run(join(root, 'node_modules/.bin/tsx'), [join(root, 'examples/demo.ts')], {
    cwd,
    env,
    timeout: 60_000,
  });
  return { stdout, seconds: (Date.now() - started) / 1000 };
}

/**
 * After the demo, in its folder (no jobwright.config.ts, so no job class is loaded): the CLI and
 * the dashboard hide the failed payment's card number, as the demo says they do.
 */
async function expectCardHiddenFromReaders(): Promise<void> {
  let stdout = '';
  const code = await runCli(['queue:failed', '--json'], {
    cwd,
    env: cleanEnv(),
    color: false,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: () => {} },
  });
  expect(code).toBe(0);
  const failed = JSON.parse(stdout) as Array<{ jobName: string; payload: Record<string, unknown> }>;
  expect(failed.find((j) => j.jobName === 'ProcessPaymentJob')?.payload.cardNumber).toBe('[REDACTED]');
  expect(stdout).not.toContain('4000000000000002');

  const reader = new JobDispatcher(new SqliteQueueDriver(join(cwd, 'storage/jobs.sqlite')), {
    encryption: {},
  });
  const dashboard = await startDashboard({ dispatcher: reader, port: 0, token: '', log: () => {} });
  try {
    for (const path of ['/failed', '/api/failed', '/api/jobs?status=failed']) {
      const body = await (await fetch(new URL(path, dashboard.url))).text();
      expect(body, path).not.toContain('4000000000000002');
    }
    // A search for the number finds nothing: the stored payload does not hold it as text.
    const search = await (await fetch(new URL('/api/jobs?q=4000000000000002', dashboard.url))).json();
    expect((search as { total: number }).total).toBe(0);
  } finally {
    await dashboard.close();
    await reader.close();
  }
}

describe('npm start (examples/demo.ts)', () => {
  it("runs the demo to the end on SQLite, and a second run finds the first run's jobs", {
    timeout: 150_000,
  }, async () => {
    const first = await demo();
    expect(first.stdout).toContain(`store sqlite at ${join(cwd, 'storage/jobs.sqlite')}`);
    expect(first.stdout).toContain('Before this run: the store is empty (first run).');
    expect(first.stdout).toMatch(
      /↻ ProcessPaymentJob .* attempt 1\/5 failed: Gateway timed out charging card \[REDACTED\]/,
    );
    expect(first.stdout).toMatch(/✗ ProcessPaymentJob .* failed for good after 5 attempts/);
    expect(first.stdout).toContain('✓ SendReminderJob');
    expect(first.stdout).toContain('✓ GenerateReceiptJob');
    // Seven payments and the batch of three; how many schedule ticks fall in a run varies.
    expect(first.stdout).toMatch(/payments\s+0\s+0\s+0\s+10\s+1\s+10/);
    expect(first.stdout).toMatch(/batch \w+: 3\/3 processed, 0 failed, 100%, finished/);
    const firstTotal = Number(/All runs so far: (\d+) completed, 1 failed/.exec(first.stdout)?.[1]);
    expect(firstTotal).toBeGreaterThanOrEqual(22);
    expect(first.stdout).not.toContain('4000000000000002');
    expect(first.stdout).toMatch(/done\s*$/);
    expect(first.seconds).toBeLessThan(30);
    await expectCardHiddenFromReaders();

    const second = await demo();
    expect(second.stdout).toContain(
      `Before this run: ${firstTotal} completed and 1 failed jobs in the store, 10 payments in the ledger`,
    );
    const secondTotal = Number(/All runs so far: (\d+) completed, 2 failed/.exec(second.stdout)?.[1]);
    expect(secondTotal).toBeGreaterThanOrEqual(2 * 22);
  });
});
