import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

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
    expect(first.stdout).toMatch(/payments\s+0\s+0\s+0\s+7\s+1\s+10/);
    expect(first.stdout).toMatch(/All runs so far: 19 completed, 1 failed/);
    expect(first.stdout).not.toContain('4000000000000002');
    expect(first.stdout).toMatch(/done\s*$/);
    expect(first.seconds).toBeLessThan(30);

    const second = await demo();
    expect(second.stdout).toContain(
      'Before this run: 19 completed and 1 failed jobs in the store, 7 payments in the ledger',
    );
    expect(second.stdout).toMatch(/All runs so far: 38 completed, 2 failed/);
  });
});
