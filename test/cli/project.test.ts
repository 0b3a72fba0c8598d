import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendToJobsList, classNameOf } from '../../src/cli/commands/make-job.js';
import { formatDuration, parseAge } from '../../src/cli/format.js';
import { fileNameOf } from '../../src/cli/job-template.js';
import { Job, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { builtPackage } from '../support/build.js';
import { waitFor } from '../support/wait.js';
import { artisanInProcess, makeProject, ROOT } from './helpers.js';

const artisan = artisanInProcess;

const projects: Array<{ remove(): void }> = [];
function project(configBody: string) {
  const p = makeProject(configBody);
  projects.push(p);
  return p.dir;
}
afterEach(() => {
  for (const p of projects.splice(0)) p.remove();
});

describe('jobwright.config.ts', () => {
  it('a missing config is an error that shows what to write (for queue:work, which needs the jobs)', async () => {
    const dir = project('{}');
    const cwd = join(dir, 'src');
    writeFileSync(join(dir, 'jobwright.config.ts'), '');
    const empty = await artisan(cwd, ['queue:work']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/has no default export: export default defineConfig/);
    const other = project('{}');
    writeFileSync(join(other, 'jobwright.config.ts'), 'export default [];');
    const list = await artisan(other, ['queue:work']);
    expect(list.stderr).toMatch(/default export must be an object/);

    const nowhere = await artisan('/', ['queue:work']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/No jobwright.config.ts found in \/ or any folder above it/);
    expect(nowhere.stderr).toMatch(/export default defineConfig\(\{\n {2}jobsDir: 'src\/app\/jobs'/);
  });

  it('a broken config names the file and the problem', async () => {
    const cases: Array<[string, RegExp]> = [
      ["{ jobsDir: 'src/app/jobs', ", /Cannot load .*jobwright\.config\.ts/],
      ["{ conection: 'sqlite' }", /unknown setting 'conection'; known settings: .*connection/],
      ["{ connection: 'mysql' }", /connection must be one of sqlite, database, redis, memory/],
      ['{ jobs: [42] }', /jobs\[0\] is not a class that extends Job \(got 42\)/],
      ["{ maxAttempts: '3' }", /maxAttempts must be a number \(got "3"\)/],
      ["{ jobsDir: 'nowhere' }", /jobsDir points at .*nowhere, which is not a folder/],
    ];
    for (const [body, message] of cases) {
      const dir = project(body);
      const r = await artisan(dir, ['queue:work']);
      expect(r.code, body).toBe(1);
      expect(r.stderr, body).toMatch(message);
    }
    const dir = project("{ jobsDir: 'src/app/jobs' }");
    writeFileSync(join(dir, 'src/app/jobs/bad.ts'), 'export const x = ;');
    const bad = await artisan(dir, ['queue:dispatch', 'X']);
    expect(bad.stderr).toMatch(/Cannot load job file .*bad\.ts/);
  });

  it('is found from a subfolder; its relative SQLite path means the project folder; env overrides it', async () => {
    const dir = project("{ sqlitePath: 'var/from-file.sqlite' }");
    mkdirSync(join(dir, 'var'));
    const deep = join(dir, 'src/app');
    const fromFile = await artisan(deep, ['queue:status']);
    expect(fromFile.stderr).toBe('');
    expect(fromFile.stdout).toContain(`sqlite (${join(dir, 'var/from-file.sqlite')})`);
    const fromEnv = await artisan(deep, ['queue:status'], { JOBWRIGHT_SQLITE_PATH: join(dir, 'env.sqlite') });
    expect(fromEnv.stdout).toContain(`sqlite (${join(dir, 'env.sqlite')})`);
    const explicit = await artisan('/', [
      '--config',
      join(dir, 'jobwright.config.ts'),
      'queue:status',
      '--json',
    ]);
    expect(explicit.code).toBe(0);
    expect(JSON.parse(explicit.stdout)).toEqual([]);
    const bad = await artisan(deep, ['queue:status'], { JOB_MAX_RETRY_ATTEMPTS: 'lots' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/JOB_MAX_RETRY_ATTEMPTS="lots" is not valid/);
  });
});

describe('make:job', () => {
  it('writes a job that type-checks under strict settings; --sync runs inline at dispatch', async () => {
    const dir = project("{ jobsDir: 'src/app/jobs' }");
    expect((await artisan(dir, ['make:job', 'ProcessPaymentJob'])).code).toBe(0);
    const sync = await artisan(dir, ['make', 'job', 'resize-image', '--sync']);
    expect(sync.stdout).toMatch(/Created src\/app\/jobs\/resize-image\.ts \(ResizeImage, runs inline\)/);
    const source = readFileSync(join(dir, 'src/app/jobs/process-payment-job.ts'), 'utf8');
    for (const method of ['jobName', 'handle', 'failed']) {
      expect(source, method).toMatch(new RegExp(`  // .+\\n  override (async )?${method}\\(`));
    }
    // Settings with a configured default are offered commented out, so they follow the config.
    for (const method of ['maxAttempts', 'retryDelay', 'timeout', 'queueName', 'priority', 'availableAt']) {
      expect(source, method).toMatch(new RegExp(`  // .+\\n  // override ${method}\\(`));
    }
    // The default serialize() stores the constructor's fields: nothing overrides it to drop them.
    expect(source).not.toMatch(/serialize\(/);
    expect(source).toMatch(/constructor\(\n {4}public readonly recordId: string,/);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          strict: true,
          noImplicitOverride: true,
          noUncheckedIndexedAccess: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          // The types users get: the run's shared build (declarations only, so tsc judges just
          // the generated files, in a second rather than re-checking the library's sources).
          paths: { jobwright: [join(await builtPackage(), 'dist/index.d.ts')] },
        },
        include: ['src/app/jobs'],
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
        cwd: dir,
        encoding: 'utf8',
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output.split('\n').filter((line) => line.startsWith('src/app/jobs'))).toEqual([]);
    expect(output).not.toMatch(/Cannot find module 'jobwright'/);

    const inline = await artisan(dir, ['queue:dispatch', 'ResizeImage', '--json']);
    expect(inline.stderr).toBe('');
    expect(JSON.parse(inline.stdout).id).toMatch(/^[0-9A-Z]{26}$/);
    const stats = await artisan(dir, ['queue:status', '--json']);
    expect(JSON.parse(stats.stdout)).toEqual([]);
  }, 180_000);

  it('a class both imported by the config and found in jobsDir is registered once', async () => {
    const dir = project('{}');
    await artisan(dir, ['make:job', 'BothJob']);
    writeFileSync(
      join(dir, 'jobwright.config.ts'),
      "import { defineConfig } from 'jobwright';\nimport { BothJob } from './src/app/jobs/both-job.js';\n\n" +
        "export default defineConfig({ jobsDir: 'src/app/jobs', jobs: [BothJob] });\n",
    );
    const sent = await artisan(dir, ['queue:dispatch', 'BothJob', '--delay', '60']);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
  });

  it('adds the class to a plain jobs list, or prints how to register it', async () => {
    const dir = project('{ jobs: [] }');
    const made = await artisan(dir, ['make:job', 'FirstJob']);
    expect(made.stdout).toMatch(/Registered: added FirstJob to the jobs list of jobwright\.config\.ts/);
    await artisan(dir, ['make:job', 'SecondJob']);
    const config = readFileSync(join(dir, 'jobwright.config.ts'), 'utf8');
    expect(config).toMatch(/import \{ SecondJob \} from '\.\/src\/app\/jobs\/second-job\.js';/);
    expect(config).toMatch(/jobs: \[FirstJob, SecondJob\]/);
    const sent = await artisan(dir, ['queue:dispatch', 'SecondJob', '--delay', '60']);
    expect(sent.stderr).toBe('');
    expect(sent.stdout).toMatch(/Dispatched SecondJob/);

    const plain = project('{}');
    const printed = await artisan(plain, ['make:job', 'ThirdJob', '--dir', 'lib/jobs']);
    expect(printed.stdout).toMatch(/Created lib\/jobs\/third-job\.ts/);
    expect(printed.stdout).toMatch(/jobsDir: 'lib\/jobs',/);
    expect(printed.stdout).toMatch(/import \{ ThirdJob \} from '\.\/lib\/jobs\/third-job\.js';/);

    const bad = await artisan(plain, ['make:job', '9lives']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot be a class name/);
    const kind = await artisan(plain, ['make', 'model', 'User']);
    expect(kind.stderr).toMatch(/only 'make job <Name>' exists/);
  });

  it('edits a jobs list only when it is plain names', () => {
    const multi =
      "import { A } from './a.js';\nexport default defineConfig({\n  jobs: [\n    A,\n  ],\n});\n";
    expect(appendToJobsList(multi, 'B', './b.js')).toBe(
      "import { A } from './a.js';\nimport { B } from './b.js';\nexport default defineConfig({\n  jobs: [\n    A,\n    B,\n  ],\n});\n",
    );
    expect(appendToJobsList('jobs: [...others]', 'B', './b.js')).toBeNull();
    expect(appendToJobsList('jobs: [A /* x */]', 'B', './b.js')).toBeNull();
    expect(appendToJobsList('jobs: [A], jobs: [C]', 'B', './b.js')).toBeNull();
    expect(appendToJobsList('jobs: [B]', 'B', './b.js')).toBeNull();
  });

  it('names: classes, files, ages, durations', () => {
    expect(classNameOf('send-email_job')).toBe('SendEmailJob');
    expect(() => classNameOf('Job')).toThrow(/base class/);
    expect(fileNameOf('HTTPRequestJob')).toBe('http-request-job');
    expect(parseAge('7d')).toBe(604_800);
    expect(parseAge('90s')).toBe(90);
    expect(parseAge('2')).toBe(7200);
    expect(() => parseAge('soon')).toThrow(/90s, 15m/);
    expect(formatDuration(125_000)).toBe('2 m 5 s');
    expect(formatDuration(null)).toBe('-');
  });
});

/** Always fails on its first and only attempt. */
class DoomedJob extends Job {
  constructor(public n: number) {
    super();
  }
  override jobName() {
    return 'DoomedJob';
  }
  override maxAttempts() {
    return 1;
  }
  async handle(): Promise<void> {
    throw new Error(`doomed ${this.n}`);
  }
}

describe('queue:forget and queue:clear-failed with ids', () => {
  it('delete only the named failed jobs, and exit 1 naming an id that was not one', async () => {
    const dir = project(`{ sqlitePath: 'storage/jobs.sqlite' }`);
    const dispatcher = new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')), {
      jobs: [DoomedJob],
      config: { pollIntervalMs: 20 },
    });
    const [a, b, c] = await dispatcher.dispatchMany([new DoomedJob(1), new DoomedJob(2), new DoomedJob(3)]);
    const pending = await dispatcher.dispatch(new DoomedJob(4), { queue: 'idle' });
    await dispatcher.startWorker('default', 3);
    await waitFor('three failed jobs', async () => (await dispatcher.failedJobs()).length === 3);
    await dispatcher.close();

    const one = await artisan(dir, ['queue:forget', a!]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/Deleted 1 failed job\./);
    const again = await artisan(dir, ['queue:forget', a!, pending, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ deleted: 0, notFound: [a, pending] });
    const missing = await artisan(dir, ['queue:forget', pending]);
    expect(missing.stderr).toContain(`No failed job has the id ${pending}`);

    const wrongQueue = await artisan(dir, ['queue:clear-failed', b!, '--queue', 'idle']);
    expect(wrongQueue.code).toBe(1);
    expect(wrongQueue.stderr).toMatch(/1 of the 1 ids were not failed jobs of queue 'idle'/);
    const byId = await artisan(dir, ['queue:clear-failed', b!, '--json']);
    expect(JSON.parse(byId.stdout)).toEqual({ deleted: 1 });

    const failed = JSON.parse((await artisan(dir, ['queue:failed', '--json'])).stdout) as Array<{
      id: string;
    }>;
    expect(failed.map((j) => j.id)).toEqual([c]);
    const status = JSON.parse((await artisan(dir, ['queue:status', '--json'])).stdout) as Array<{
      queueName: string;
      pendingJobs: number;
    }>;
    expect(status.find((q) => q.queueName === 'idle')?.pendingJobs).toBe(1);
    expect((await artisan(dir, ['queue:forget'])).code).toBe(1);
  });
});

describe('the program', () => {
  it('has --help with examples on every command, and reports usage errors with exit 1', async () => {
    const help = await artisan('/', ['--help']);
    const names = [...help.stdout.matchAll(/^ {2}((?:make|migrate|queue)\S*)/gm)].map(
      (m) => m[1]!.split('|')[0],
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'make:job',
        'make',
        'migrate',
        'queue:work',
        'queue:status',
        'queue:workers',
        'queue:failed',
        'queue:retry-failed',
        'queue:clear-failed',
        'queue:forget',
        'queue:prune',
        'queue:pause',
        'queue:resume',
      ]),
    );
    for (const name of names) {
      const r = await artisan('/', [name!, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(/Examples:\n {2}\$ artisan /);
    }
    expect((await artisan('/', ['queue:retry', '--help'])).stdout).toMatch(
      /Usage: artisan queue:retry-failed/,
    );
    const unknown = await artisan('/', ['queue:wrok']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'queue:wrok'/);
    const badOption = await artisan('/', ['queue:work', '--concurrency', 'many']);
    expect(badOption.code).toBe(1);
    expect(badOption.stderr).toMatch(/--concurrency must be a whole number from 1/);
  });
});
