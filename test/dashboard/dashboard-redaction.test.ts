import { afterAll, expect, test } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { Job, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';

class ChargeCardJob extends Job {
  static sensitive = ['cardNumber'];
  constructor(
    public orderId: string,
    public cardNumber: string,
  ) {
    super();
  }
  override jobName() {
    return 'ChargeCardJob';
  }
  async handle() {}
}

const dispatcher = new JobDispatcher(new MemoryQueueDriver(), { jobs: [ChargeCardJob] });
const dashboard = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
afterAll(async () => {
  await dashboard.close();
  await dispatcher.close();
});

test('fields a job marks sensitive never reach the pages or the API', async () => {
  const id = await dispatcher.dispatch(new ChargeCardJob('order-7', '4242424242424242'));
  for (const path of [`/api/jobs/${id}`, '/api/jobs?status=pending', `/jobs/${id}`, '/jobs?status=pending']) {
    const body = await (await fetch(new URL(path, dashboard.url))).text();
    expect(body, path).toContain('order-7');
    expect(body, path).not.toContain('4242424242424242');
  }
});
