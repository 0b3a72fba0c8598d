import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { TSX_IMPORT } from './support/fault/spawn-worker.js';

/** The README's job and dispatch examples, run exactly as written (on the SQLite default). */
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'jobwright-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function firstTsBlockAfter(readme: string, heading: string): string {
  const from = readme.indexOf(heading);
  expect(from, heading).toBeGreaterThan(-1);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(from));
  return match![1]!;
}

it("the README's examples run as written", { timeout: 60_000 }, () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = [
    firstTsBlockAfter(readme, '## A job'),
    firstTsBlockAfter(readme, '## Dispatching and running workers'),
  ]
    .join('\n')
    .replaceAll("from 'jobwright'", `from '${join(root, 'src/index.ts')}'`);
  writeFileSync(join(work, 'example.mts'), code);
  const env = {
    ...process.env,
    JOBWRIGHT_SQLITE_PATH: '',
    DATABASE_URL: '',
    REDIS_URL: '',
    QUEUE_CONNECTION: '',
  };
  const out = execFileSync(process.execPath, ['--import', TSX_IMPORT, 'example.mts'], {
    cwd: work,
    env,
    encoding: 'utf8',
  });
  expect(out).toMatch(/completedJobs: 3/);
  expect(out).toMatch(/workersCount: 10/);
  expect(out).toMatch(/status: 'completed'/);
  expect(readFileSync(join(work, 'storage/jobs.sqlite')).length).toBeGreaterThan(0);
});
