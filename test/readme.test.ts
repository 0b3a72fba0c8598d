import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { Background, cleanEnv, runArtisan, useBuiltCli } from './cli/helpers.js';
import { builtPackage } from './support/build.js';
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

/** The ts blocks of one section, in order (up to the next `## ` heading). */
function tsBlocksOf(readme: string, heading: string): string[] {
  const from = readme.indexOf(heading);
  expect(from, heading).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', from + heading.length);
  const section = readme.slice(from, end === -1 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

it("the README's 'Your app' path works as written: config, make:job, the app, queue:work, the dashboard", {
  timeout: 240_000,
}, async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const [config, job, app] = tsBlocksOf(readme, '## Your app');
  expect(readme).toMatch(/npx artisan make:job SendWelcomeEmail/);
  // A project as `npm install jobwright` leaves it: the run's shared build as node_modules/jobwright.
  const project = join(work, 'your-app');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(await builtPackage(), join(project, 'node_modules/jobwright'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'your-app', type: 'module' }));
  writeFileSync(join(project, 'jobwright.config.ts'), config!);
  await useBuiltCli();
  const env = cleanEnv();

  const made = await runArtisan(['make:job', 'SendWelcomeEmail'], project, env);
  expect(made.stderr).toBe('');
  expect(made.stdout).toMatch(/Created src\/app\/jobs\/send-welcome-email\.ts/);
  writeFileSync(join(project, 'src/app/jobs/send-welcome-email.ts'), job!);
  writeFileSync(join(project, 'src/signup.ts'), app!);

  // The app runs from src/: it must reach the store the config names, at the project's root.
  const ran = await promisify(execFile)(process.execPath, ['--import', TSX_IMPORT, 'signup.ts'], {
    cwd: join(project, 'src'),
    env,
  });
  expect(ran.stderr).toBe('');
  const id = /queued ([0-9A-Z]{26})/.exec(ran.stdout)![1]!;

  const worked = await runArtisan(['queue:work', '--max-jobs', '1'], project, env);
  expect(worked.stderr).toBe('');
  expect(worked.stdout).toContain('welcome mail to ada@example.com for user_42');
  expect(worked.stdout).toMatch(new RegExp(`DONE +SendWelcomeEmail ${id} \\[default\\] attempt 1/5`));

  const dashboard = new Background(['queue:dashboard', '--port', '0'], project, env);
  try {
    await dashboard.waitFor(/dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/);
    const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(dashboard.stdout)![1]!;
    const { queues } = (await (await fetch(`${url}api/queues`)).json()) as { queues: unknown[] };
    expect(queues).toEqual([expect.objectContaining({ queueName: 'default', completedJobs: 1 })]);
  } finally {
    await dashboard.stop();
  }
});
