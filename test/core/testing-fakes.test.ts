import { afterEach, describe, expect, it } from 'vitest';
import { chain, dispatch, Job } from '../../src/index.js';
import { type FakeDispatcher, fakeQueue, runJob } from '../../src/testing/index.js';

class SendInvoice extends Job {
  constructor(public invoiceId: string) {
    super();
  }
  override jobName() {
    return 'SendInvoice';
  }
  sent = false;
  async handle() {
    this.sent = true;
  }
}

class Archive extends Job {
  async handle() {}
}

describe('fakeQueue', () => {
  let fake: FakeDispatcher;
  afterEach(() => fake.restore());

  it('records what the code under test dispatches, without running it', async () => {
    fake = fakeQueue();
    fake.assertNothingDispatched();
    await dispatch(new SendInvoice('inv-1'));
    await dispatch(new SendInvoice('inv-2'), { delay: 60 });
    fake.assertDispatched(SendInvoice);
    fake.assertDispatched<SendInvoice>('SendInvoice', (job) => job.invoiceId === 'inv-2');
    fake.assertDispatched(SendInvoice, (_job, entry) => entry.options.delay === 60);
    fake.assertDispatchedTimes(SendInvoice, 2);
    fake.assertNotDispatched(Archive);
    expect(() => fake.assertDispatched(Archive)).toThrow(
      /Expected Archive to be dispatched; dispatched: SendInvoice, SendInvoice/,
    );
    expect(() => fake.assertNotDispatched(SendInvoice, (job) => job.invoiceId === 'inv-1')).toThrow();
    expect(fake.jobsOf(SendInvoice).every((entry) => !entry.job.sent)).toBe(true);
  });

  it('records chains in order', async () => {
    fake = fakeQueue();
    await chain([new SendInvoice('a'), new Archive()]);
    fake.assertChained([SendInvoice, Archive]);
    expect(() => fake.assertChained([Archive, SendInvoice])).toThrow(/chain/);
  });

  it('runJob runs one job inline with a worker-like context', async () => {
    fake = fakeQueue();
    const job = new SendInvoice('inv-3');
    await runJob(job, { attempt: 2 });
    expect(job.sent).toBe(true);
  });
});
