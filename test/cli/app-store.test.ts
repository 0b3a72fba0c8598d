import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { builtPackage } from '../support/build.js';
import { TSX_IMPORT } from '../support/fault/spawn-worker.js';
import { cleanEnv, makeProject, runArtisan, statusByQueue, useBuiltCli } from './helpers.js';

/**
 * The app and `artisan` share one store: a script run from the project's src/ folder finds
 * jobwright.config.ts upward, as the CLI does, and uses the store it configures. The script
 * imports the built package, as an app would (tsx then only compiles the script itself).
 */
const app = (
  pkg: string,
) => `import { Job, dispatch, jobDispatcher } from ${JSON.stringify(join(pkg, 'dist/index.js'))};

class PingJob extends Job {
  constructor(public readonly n: number) { super(); }
  override jobName() { return 'PingJob'; }
  async handle() {}
}
const id = await dispatch(new PingJob(1));
await jobDispatcher().close();
console.log(id);
`;

function runApp(cwd: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      ['--import', TSX_IMPORT, 'app.ts'],
      { cwd, env: cleanEnv(env), timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
}

const projects: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.remove();
});

beforeAll(useBuiltCli, 240_000);

describe('jobDispatcher() and artisan', () => {
  it('a script run from src/ uses the store of jobwright.config.ts, which artisan reads too', async () => {
    const project = makeProject(`{ jobsDir: 'src/app/jobs', maxAttempts: 4 }`);
    projects.push(project);
    const src = join(project.dir, 'src');
    writeFileSync(join(project.dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(src, 'app.ts'), app(await builtPackage()));
    const ran = await runApp(src);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(existsSync(join(project.dir, 'storage/jobs.sqlite'))).toBe(true);
    expect(existsSync(join(src, 'storage'))).toBe(false);

    const status = await runArtisan(['queue:status', '--json'], project.dir, cleanEnv());
    expect(status.stderr).toBe('');
    expect(statusByQueue(status.stdout).default).toMatchObject({ pendingJobs: 1 });
    // The config's job defaults reach the app's jobs too (maxAttempts: 4 in the file).
    const reader = new JobDispatcher(new SqliteQueueDriver(join(project.dir, 'storage/jobs.sqlite')));
    try {
      expect(await reader.find(ran.stdout.trim())).toMatchObject({ status: 'pending', maxAttempts: 4 });
    } finally {
      await reader.close();
    }
  }, 90_000);

  it('a new SQLite file anywhere else than the configured place is a warning naming both paths', async () => {
    const project = makeProject(`{ sqlitePath: 'var/jobs.sqlite' }`);
    projects.push(project);
    mkdirSync(join(project.dir, 'var'));
    const src = join(project.dir, 'src');
    writeFileSync(join(project.dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(src, 'app.ts'), app(await builtPackage()));
    const ran = await runApp(src, { JOBWRIGHT_SQLITE_PATH: './stray.sqlite' });
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain(`Creating a new SQLite store at ${join(src, 'stray.sqlite')}`);
    expect(ran.stderr).toContain(`puts the store at ${join(project.dir, 'var/jobs.sqlite')}`);
    // Once the file exists it was chosen knowingly: no second warning.
    const again = await runApp(src, { JOBWRIGHT_SQLITE_PATH: './stray.sqlite' });
    expect(again.stderr).toBe('');

    const cli = await runArtisan(
      ['queue:status'],
      project.dir,
      cleanEnv({ JOBWRIGHT_SQLITE_PATH: 'other.sqlite' }),
    );
    expect(cli.stderr).toMatch(
      /warning: Creating a new SQLite store at .*other\.sqlite, but .*jobwright\.config\.ts puts the store at .*var\/jobs\.sqlite/,
    );
  }, 90_000);
});
