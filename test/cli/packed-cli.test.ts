import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanEnv, ROOT } from './helpers.js';

/**
 * `artisan` as a user gets it: the packed tarball installed into an empty project, the bin run
 * through npx, with a TypeScript config and a job written by make:job, on the default SQLite store.
 */
const work = mkdtempSync(join(tmpdir(), 'jobwright-packed-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = cleanEnv({ npm_config_loglevel: 'error', npm_config_update_notifier: 'false' });
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });

it('the installed tarball runs npx artisan: help, make:job, dispatch, work, status', {
  timeout: 300_000,
}, () => {
  run('npm', ['run', 'build'], ROOT);
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // --ignore-scripts: compiling better-sqlite3 from source takes minutes here (and prebuilt
  // binaries need the network), so the app gets the binary this repo's own install built for the
  // same version and Node. Everything else is what npm installs from the tarball.
  run(
    'npm',
    ['install', join(work, tarball), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
    app,
  );
  const binary = 'node_modules/better-sqlite3/build/Release';
  mkdirSync(join(app, binary), { recursive: true });
  copyFileSync(join(ROOT, binary, 'better_sqlite3.node'), join(app, binary, 'better_sqlite3.node'));

  expect(run('npx', ['artisan', '--help'], app)).toMatch(/queue:work \[options\]/);
  writeFileSync(
    join(app, 'jobwright.config.ts'),
    "import { defineConfig } from 'jobwright';\n\nexport default defineConfig({ jobsDir: 'src/app/jobs', pollIntervalMs: 50 });\n",
  );
  mkdirSync(join(app, 'src/app/jobs'), { recursive: true });
  expect(run('npx', ['artisan', 'make:job', 'HelloJob'], app)).toMatch(/Registered/);
  expect(run('npx', ['artisan', 'migrate'], app)).toMatch(/Migrated sqlite \(.*storage\/jobs\.sqlite\)/);
  const { id } = JSON.parse(
    run('npx', ['artisan', 'queue:dispatch', 'HelloJob', '--payload', '{"data":{"n":1}}', '--json'], app),
  ) as { id: string };
  const worked = run('npx', ['artisan', 'queue:work', '--max-jobs', '1'], app);
  expect(worked).toMatch(new RegExp(`DONE +HelloJob ${id} \\[default\\] attempt 1/3`));
  expect(worked).toMatch(/recycling: processed 1 jobs/);
  const [stats] = JSON.parse(run('npx', ['artisan', 'queue:status', '--json'], app)) as Array<
    Record<string, unknown>
  >;
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
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  expect(readFileSync(join(app, 'src/app/jobs/hello-job.ts'), 'utf8')).toMatch(/class HelloJob extends Job/);
});
