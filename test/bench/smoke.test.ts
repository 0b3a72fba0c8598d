import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `npm run bench:smoke` (memory and SQLite, tiny sizes) so CI exercises the benchmark
 * harness end to end: every scenario must finish and print its row. No timing is asserted.
 */
describe('benchmark smoke run', () => {
  it('runs every scenario on memory and SQLite and prints the table', { timeout: 180_000 }, () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(result.stdout).toContain('| figure | jobwright memory | jobwright SQLite |');
    for (const row of [
      'enqueue, one at a time',
      'enqueue, 50 in flight',
      'enqueue, bulk of 1,000',
      'process no-op, 1 process × 10',
      'process no-op, 1 process × 50',
      'process no-op, 4 processes × 10',
      'isolated no-op, 1 process × 4, in a thread',
      'isolated no-op, 1 process × 4, in a process',
      'dispatch-to-start p99',
      'large backlog ÷ small',
    ]) {
      expect(result.stdout, output).toContain(row);
    }
    // A scenario that threw, or a run that stalled, is a broken harness (or a broken driver).
    expect(result.stdout, output).not.toMatch(/: failed \(/);
    expect(result.stdout, output).not.toContain('\\*');
    expect(result.stdout, output).not.toContain('n/a');
  });
});
