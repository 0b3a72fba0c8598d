import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Job, JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { artisanInProcess, projectsRemovedAfterEach } from './helpers.js';

const REPORT_JOB = `import { Job } from 'jobwright';

export class ReportJob extends Job {
  override jobName() {
    return 'ReportJob';
  }
  async handle() {}
}
`;

class PartJob extends Job {
  override jobName() {
    return 'PartJob';
  }
  handle() {}
}

const project = projectsRemovedAfterEach();

describe('artisan schedule:list and queue:batches', () => {
  it('schedule:list shows the config file’s schedules with their next run', async () => {
    const dir = project(`{ jobsDir: 'src/app/jobs', schedules: [
      { name: 'nightly-report', cron: '0 3 * * *', timezone: 'Europe/Paris', job: new ReportJob() },
    ] }`);
    writeFileSync(join(dir, 'src/app/jobs/report-job.ts'), REPORT_JOB);
    writeFileSync(
      join(dir, 'jobwright.config.ts'),
      `import { defineConfig } from 'jobwright';\nimport { ReportJob } from './src/app/jobs/report-job.ts';\n\nexport default defineConfig({ jobsDir: 'src/app/jobs', schedules: [\n  { name: 'nightly-report', cron: '0 3 * * *', timezone: 'Europe/Paris', job: new ReportJob() },\n] });\n`,
    );
    const json = await artisanInProcess(dir, ['schedule:list', '--json']);
    expect(json.stderr).toBe('');
    const [row] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(row).toMatchObject({
      name: 'nightly-report',
      cron: '0 3 * * *',
      jobName: 'ReportJob',
      timezone: 'Europe/Paris',
    });
    expect(typeof row!.nextTick).toBe('string');
    const text = await artisanInProcess(dir, ['schedule:list']);
    expect(text.stdout).toMatch(/nightly-report\s+0 3 \* \* \*\s+Europe\/Paris\s+ReportJob/);
  }, 60_000);

  it('a broken schedule in the config is a clear error', async () => {
    const dir = project(`{ schedules: [{ name: 'x', cron: 'every day', job: {} }] }`);
    const result = await artisanInProcess(dir, ['schedule:list']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/schedules\[0\]/);
  }, 60_000);

  it('queue:batches lists batches with their progress', async () => {
    const dir = project(`{}`);
    const dispatcher = new JobDispatcher(new SqliteQueueDriver(join(dir, 'storage/jobs.sqlite')), {
      jobs: [PartJob],
    });
    const batch = await dispatcher.batch([new PartJob(), new PartJob()], { name: 'import-42' });
    await dispatcher.close();
    const text = await artisanInProcess(dir, ['queue:batches']);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(new RegExp(`${batch.id}\\s+import-42\\s+2\\s+2\\s+0\\s+0%`));
    const json = JSON.parse((await artisanInProcess(dir, ['queue:batches', '--json'])).stdout);
    expect(json[0]).toMatchObject({ id: batch.id, totalJobs: 2, pendingJobs: 2 });
  }, 60_000);
});
