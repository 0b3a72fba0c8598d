import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/cli/project.js';
import { JOBWRIGHT_TYPE_EXPORTS, reservedNameClash } from '../../src/cli/reserved-names.js';
import { JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { artisanInProcess, projectsRemovedAfterEach, ROOT } from './helpers.js';

const artisan = artisanInProcess;

const project = projectsRemovedAfterEach();

describe('make:job', () => {
  it('a job dispatched from app code reaches the worker with every constructor field, defaults included', async () => {
    const dir = project("{ jobsDir: 'src/app/jobs', pollIntervalMs: 20 }");
    expect((await artisan(dir, ['make:job', 'WelcomeJob'])).code).toBe(0);
    const file = join(dir, 'src/app/jobs/welcome-job.ts');
    const seen = join(dir, 'seen.json');
    // What the user did: one more constructor field with a default, and a handle() that uses them.
    const edited = readFileSync(file, 'utf8')
      .replace(
        "public readonly note: string = '',",
        "public readonly note: string = '',\n    public userId = 'nobody',",
      )
      .replace(
        '    ctx.signal.throwIfAborted();',
        `    ctx.signal.throwIfAborted();\n    (await import('node:fs')).writeFileSync(${JSON.stringify(seen)}, JSON.stringify(this));`,
      );
    writeFileSync(file, edited);

    const loaded = await loadProject({ cwd: dir });
    const WelcomeJob = loaded.jobs.find((c) => c.name === 'WelcomeJob') as unknown as new (
      ...args: unknown[]
    ) => import('../../src/index.js').Job;
    const app = new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')), {
      jobs: loaded.jobs,
    });
    await app.dispatch(new WelcomeJob('user-7', 'hello'));
    await app.close();

    const worked = await artisan(dir, ['queue:work', '--max-jobs', '1']);
    expect(worked.stderr).toBe('');
    expect(worked.stdout).toMatch(/DONE +WelcomeJob/);
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({
      recordId: 'user-7',
      note: 'hello',
      userId: 'nobody',
    });
  }, 60_000);

  it('its settings follow the config: a job left as generated gets JOB_MAX_RETRY_ATTEMPTS and the config timeout', async () => {
    const dir = project("{ jobsDir: 'src/app/jobs', timeout: 42 }");
    expect((await artisan(dir, ['make:job', 'ReportJob'])).code).toBe(0);
    const sent = await artisan(
      dir,
      ['queue:dispatch', 'ReportJob', '--payload', '{"recordId":"r1"}', '--json'],
      {
        JOB_MAX_RETRY_ATTEMPTS: '7',
      },
    );
    expect(sent.stderr).toBe('');
    const { id } = JSON.parse(sent.stdout) as { id: string };
    const reader = new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')));
    try {
      expect(await reader.find(id)).toMatchObject({
        maxAttempts: 7,
        timeoutSeconds: 42,
        queueName: 'default',
      });
    } finally {
      await reader.close();
    }
  });

  it('refuses a name that would hide a global or a jobwright export, and writes nothing', async () => {
    const dir = project("{ jobsDir: 'src/app/jobs' }");
    for (const name of ['Error', 'Promise', 'JobContext', 'JobDispatcher', 'Record', 'Map']) {
      const r = await artisan(dir, ['make:job', name]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(
        new RegExp(`'${name}' is taken by .*${name}.*Pick another name, e.g. ${name}Job`),
      );
    }
    expect((await artisan(dir, ['make:job', 'ErrorJob'])).code).toBe(0);
    expect(reservedNameClash('SendWelcomeEmail')).toBeNull();
  });

  it('knows every type-only export of jobwright (the list in reserved-names.ts is complete)', () => {
    const sources = ['src/index.ts', 'src/drivers/contract.ts', 'src/events.ts'].map((f) =>
      readFileSync(join(ROOT, f), 'utf8'),
    );
    const index = sources[0]!;
    const typeNames = new Set<string>();
    for (const m of index.matchAll(/\btype ([A-Z]\w*)/g)) typeNames.add(m[1]!);
    for (const m of index.matchAll(/export type \{([^}]*)\}/g)) {
      for (const name of m[1]!.split(',')) if (name.trim()) typeNames.add(name.trim());
    }
    // `export type * from './drivers/contract.js'`: every exported type and interface of it.
    for (const m of sources[1]!.matchAll(/^export (?:interface|type) (\w+)/gm)) typeNames.add(m[1]!);
    const missing = [...typeNames].filter((name) => !JOBWRIGHT_TYPE_EXPORTS.includes(name));
    expect(missing).toEqual([]);
  });
});
