import { afterEach, expect, test } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { Job, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';

class ResultJob extends Job {
  override jobName() {
    return 'ResultJob';
  }
  async handle(ctx: import('../../src/index.js').JobContext) {
    await ctx.progress(75);
    return { rows: 12, file: 'report-<b>.csv' };
  }
}

const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

test('the dashboard lists batches and shows a job’s progress and result (escaped)', async () => {
  const dispatcher = new JobDispatcher(new MemoryQueueDriver(), {
    jobs: [ResultJob],
    config: { pollIntervalMs: 20 },
  });
  closing.push(() => dispatcher.close({ graceSeconds: 0 }));
  const batch = await dispatcher.batch([new ResultJob()], { name: 'nightly-import' });
  const [job] = (await dispatcher.jobs()).jobs;
  await dispatcher.startWorker('default', 1);
  await dispatcher.waitFor(job!.id, { timeout: 10 });
  const server = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
  closing.push(() => server.close());
  const batches = await (await fetch(new URL('batches', server.url))).text();
  expect(batches).toContain(batch.id);
  expect(batches).toContain('nightly-import');
  expect(batches).toContain('100%');
  const page = await (await fetch(new URL(`jobs/${job!.id}`, server.url))).text();
  expect(page).toContain('id="progress"');
  expect(page).toContain('75%');
  expect(page).toMatch(/id="result">[\s\S]*&quot;rows&quot;: 12/);
  expect(page).not.toContain('report-<b>');
});

test('the dashboard lists schedules with their cron, zone, job and next tick', async () => {
  const dispatcher = new JobDispatcher(new MemoryQueueDriver(), { jobs: [ResultJob] });
  closing.push(() => dispatcher.close({ graceSeconds: 0 }));
  const server = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
  closing.push(() => server.close());
  expect(await (await fetch(new URL('schedules', server.url))).text()).toContain('No schedules');
  await dispatcher.schedule('nightly-report', '0 3 * * *', new ResultJob(), { timezone: 'Europe/Berlin' });
  const page = await (await fetch(new URL('schedules', server.url))).text();
  const row = /<tr data-schedule="nightly-report">[\s\S]*?<\/tr>/.exec(page)?.[0] ?? '';
  expect(row).toContain('0 3 * * *');
  expect(row).toContain('Europe/Berlin');
  expect(row).toContain('ResultJob');
  expect(row).toContain('skipped');
  // Never ran yet; the next tick is a real time.
  expect(row).toMatch(/<td>—<\/td><td><span title="[^"]+">/);
});
