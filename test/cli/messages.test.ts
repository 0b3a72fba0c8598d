import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { Job, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { waitFor } from '../support/wait.js';
import { artisanInProcess, cleanEnv, projectsRemovedAfterEach } from './helpers.js';

const artisan = artisanInProcess;

const project = projectsRemovedAfterEach();

class StrayJob extends Job {
  override jobName() {
    return 'StrayJob';
  }
  async handle() {}
}

async function storeOne(dir: string, queue = 'default'): Promise<string> {
  const d = new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')), { jobs: [StrayJob] });
  try {
    return await d.dispatch(new StrayJob(), { queue });
  } finally {
    await d.close();
  }
}

describe('artisan messages', () => {
  it('queue:pause of a queue with no jobs pauses it and says so, with the nearest known name', async () => {
    const dir = project('{}');
    await storeOne(dir, 'emails');
    const typo = await artisan(dir, ['queue:pause', 'emials']);
    expect(typo.code).toBe(0);
    expect(typo.stdout).toMatch(/Paused queue 'emials'/);
    expect(typo.stderr).toMatch(
      /no queue 'emials' has jobs or workers yet: it is paused all the same.*\(did you mean 'emails'\?\)\. Known queues: emails\./,
    );
    const known = await artisan(dir, ['queue:pause', 'emails', '--json']);
    expect(known.stderr).toBe('');
    expect(JSON.parse(known.stdout)).toEqual({ queue: 'emails', paused: true, knownQueue: true });
  });

  it('queue:retry-failed names each id it could not retry and why', async () => {
    const dir = project('{}');
    const pending = await storeOne(dir);
    const r = await artisan(dir, ['queue:retry-failed', '01NOTANID', pending]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('01NOTANID: no job has this id');
    expect(r.stderr).toContain(`${pending}: pending, not failed`);
  });

  it('queue:work without job classes warns that every job will fail as unknown', async () => {
    const dir = project('{ pollIntervalMs: 20 }');
    await storeOne(dir);
    let stdout = '';
    let stderr = '';
    let stop: ((signal: string) => void) | undefined;
    const running = runCli(['queue:work'], {
      cwd: dir,
      env: cleanEnv(),
      color: false,
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      overrides: {
        onShutdownSignal: (handler) => {
          stop = handler;
          return () => {};
        },
      },
    });
    await waitFor('the stray job to fail', () => /FAILED/.test(stdout));
    stop!('SIGTERM');
    expect(await running).toBe(0);
    expect(stderr).toMatch(
      /No job classes are registered \(.*jobwright\.config\.ts\): every job this worker takes will fail/,
    );
    expect(stdout).toMatch(/FAILED +StrayJob .*No job class is registered as 'StrayJob'/);
  });

  it('queue:dispatch of a misspelt job offers the registered name', async () => {
    const dir = project("{ jobsDir: 'src/app/jobs' }");
    expect((await artisan(dir, ['make:job', 'SendWelcomeEmail'])).code).toBe(0);
    const r = await artisan(dir, ['queue:dispatch', 'SendWelcomEmail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /No job class is registered as 'SendWelcomEmail' \(did you mean 'SendWelcomeEmail'\?\)/,
    );
  });

  it("connection: 'database' in the config is named as such when DATABASE_URL is missing", async () => {
    const dir = project("{ connection: 'database' }");
    const r = await artisan(dir, ['queue:status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /connection: 'database' \(jobwright\.config\.ts or configure\(\)\) needs DATABASE_URL/,
    );
    expect(r.stderr).not.toMatch(/QUEUE_CONNECTION/);
    const fromEnv = await artisan(dir, ['queue:status'], { QUEUE_CONNECTION: 'redis' });
    expect(fromEnv.stderr).toMatch(/QUEUE_CONNECTION=redis needs REDIS_URL/);
  });

  it('migrate names the SQLite file it migrated', async () => {
    const dir = project('{}');
    const r = await artisan(dir, ['migrate', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ migrated: true, file: join(dir, 'storage/jobs.sqlite') });
    expect((await artisan(dir, ['migrate'])).stdout).toContain(
      `Migrated sqlite (${join(dir, 'storage/jobs.sqlite')})`,
    );
  });
});
