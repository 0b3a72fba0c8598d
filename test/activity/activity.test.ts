import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type ActivityEntry,
  ActivityLoggedJob,
  Job,
  type JobContext,
  JobDispatcher,
  type NewActivityEntry,
  REDACTED,
  redactRecord,
} from '../../src/index.js';
import { targetsPresent } from '../support/targets.js';
import { waitFor, waitForStatus } from '../support/wait.js';

const CARD = '4000000000000002';

class ChargeCardJob extends ActivityLoggedJob {
  static sensitive = ['cardNumber'];
  constructor(
    public userId: string,
    public cardNumber: string,
    public failTimes: number,
  ) {
    super();
  }
  override jobName() {
    return 'ActivityChargeCardJob';
  }
  override triggeredBy() {
    return this.userId;
  }
  override jobProperties() {
    return { cardNumber: this.cardNumber, note: 'charge' };
  }
  override retryDelay() {
    return 0.05;
  }
  override maxAttempts() {
    return 3;
  }
  async handle(ctx: JobContext) {
    if (ctx.attempt <= this.failTimes) throw new Error(`card ${this.cardNumber} declined`);
  }
}

class HangingLoggedJob extends ActivityLoggedJob {
  override jobName() {
    return 'ActivityHangingJob';
  }
  override timeout() {
    return 0.3;
  }
  override maxAttempts() {
    return 1;
  }
  handle(ctx: JobContext) {
    return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
  }
}

class LostLoggedJob extends ActivityLoggedJob {
  static sensitive = ['token'];
  constructor(
    public who: string,
    public token: string,
  ) {
    super();
  }
  override jobName() {
    return 'ActivityLostJob';
  }
  override maxAttempts() {
    return 1;
  }
  override triggeredBy() {
    return this.who;
  }
  handle() {}
}

class PlainJob extends Job {
  override jobName() {
    return 'ActivityPlainJob';
  }
  handle() {}
}

class InlineLoggedJob extends ActivityLoggedJob {
  constructor(public who: string) {
    super();
  }
  override jobName() {
    return 'ActivityInlineJob';
  }
  override shouldQueue() {
    return false;
  }
  override triggeredBy() {
    return this.who;
  }
  handle() {}
}

const CONFIG = { pollIntervalMs: 20, leaseSeconds: 5, shutdownGraceSeconds: 1 };
const stores = await targetsPresent('jw_monitoring');
const open: JobDispatcher[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close({ graceSeconds: 0 });
});
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe.each(stores)('activity log on $name', (store) => {
  async function make() {
    const d = new JobDispatcher(await store.make(), {
      config: CONFIG,
      jobs: [ChargeCardJob, HangingLoggedJob, PlainJob, InlineLoggedJob, LostLoggedJob],
    });
    open.push(d);
    return d;
  }

  it('writes started, failed, started, completed for a job that succeeds on its second attempt', async () => {
    const d = await make();
    const id = await d.dispatch(new ChargeCardJob('user-42', CARD, 1));
    await d.startWorker('default', 2);
    await waitForStatus(d, id, ['completed']);
    const entries = await d.activity({ jobId: id, limit: 10 });
    expect(entries.map((e) => `${e.event}#${e.attempt}`)).toEqual([
      'completed#2',
      'started#2',
      'failed#1',
      'started#1',
    ]);
    for (const e of entries) {
      expect(e.jobId).toBe(id);
      expect(e.jobName).toBe('ActivityChargeCardJob');
      expect(e.queueName).toBe('default');
      expect(e.causer).toBe('user-42');
      expect(JSON.parse(e.properties)).toEqual({ cardNumber: REDACTED, note: 'charge' });
      expect(e.createdAt).toBeInstanceOf(Date);
    }
    const [completed, , failed] = entries as [ActivityEntry, ActivityEntry, ActivityEntry];
    expect(completed.durationMs).toBeGreaterThanOrEqual(0);
    expect(completed.error).toBeNull();
    expect(failed.error).toBe(`Error: card ${REDACTED} declined`);
    expect(JSON.stringify(entries)).not.toContain(CARD);
  });

  it('stores a failed job whose error message no longer holds the sensitive value', async () => {
    const d = await make();
    const id = await d.dispatch(new ChargeCardJob('user-7', CARD, 99));
    await d.startWorker('default', 1);
    const record = await waitForStatus(d, id, ['failed']);
    expect(record.errorMessage).toContain(`card ${REDACTED} declined`);
    expect(record.errorMessage).not.toContain(CARD);
    // The payload itself is stored as dispatched; redactRecord hides it for display.
    const shown = redactRecord(record, d.registry);
    expect(shown.payload).toMatchObject({ cardNumber: REDACTED, userId: 'user-7' });
    const events = (await d.activity({ jobId: id, limit: 10 })).map((e) => e.event);
    expect(events).toEqual(['failed', 'started', 'failed', 'started', 'failed', 'started']);
  });

  it('logs a timed-out attempt as failed with the timeout error', async () => {
    const d = await make();
    const id = await d.dispatch(new HangingLoggedJob());
    await d.startWorker('default', 1);
    await waitForStatus(d, id, ['failed']);
    const [last] = await d.activity({ jobId: id, limit: 5 });
    expect(last?.event).toBe('failed');
    expect(last?.error).toMatch(/timed out after 0.3 s/);
  });

  it('writes the failed entry of a last attempt whose worker died', async () => {
    const d = await make();
    const id = await d.dispatch(new LostLoggedJob('user-9', 'tok-12345'));
    // A worker reserves the job and dies: its lease runs out and the store fails the job.
    const driver = await d.driver();
    expect(await driver.reserve({ queue: 'default', limit: 1, leaseMs: 100, workerId: 'dead' })).toHaveLength(
      1,
    );
    // The worker finds the job once the dead one's lease has run out.
    await d.startWorker('default', 1);
    await waitForStatus(d, id, ['failed']);
    await waitFor('an activity entry', async () => (await d.activity({ jobId: id, limit: 5 })).length > 0);
    const [entry] = await d.activity({ jobId: id, limit: 5 });
    expect(entry).toMatchObject({ event: 'failed', causer: 'user-9', attempt: 1, durationMs: null });
    expect(JSON.parse(entry!.properties)).toEqual({ who: 'user-9', token: REDACTED });
    expect(entry!.error).toBeTruthy();
  });

  it('writes nothing for jobs that are not ActivityLoggedJob', async () => {
    const d = await make();
    const id = await d.dispatch(new PlainJob());
    await d.startWorker('default', 1);
    await waitForStatus(d, id, ['completed']);
    expect(await d.activity({ jobId: id, limit: 5 })).toEqual([]);
  });

  it('logs inline jobs (shouldQueue() false) too, and lists recent activity newest first', async () => {
    const d = await make();
    const id = await d.dispatch(new InlineLoggedJob('admin'));
    const entries = await d.activity({ jobId: id, limit: 5 });
    expect(entries.map((e) => [e.event, e.causer])).toEqual([
      ['completed', 'admin'],
      ['started', 'admin'],
    ]);
    await d.dispatch(new InlineLoggedJob('second'));
    const recent = await d.activity({ limit: 2 });
    expect(recent.map((e) => `${e.event}:${e.causer}`)).toEqual(['completed:second', 'started:second']);
  });
});

describe('handleWithLogging() called directly', () => {
  it('writes to the logger it is given and rethrows the job error', async () => {
    const written: NewActivityEntry[] = [];
    const logger = { logActivity: async (e: NewActivityEntry) => void written.push(e) };
    await new ChargeCardJob('u1', CARD, 0).handleWithLogging({ jobId: 'j1', attempt: 1 }, { logger });
    await expect(
      new ChargeCardJob('u1', CARD, 5).handleWithLogging({ jobId: 'j2' }, { logger }),
    ).rejects.toThrow(`card ${REDACTED} declined`);
    expect(written.map((e) => `${e.jobId}:${e.event}`)).toEqual([
      'j1:started',
      'j1:completed',
      'j2:started',
      'j2:failed',
    ]);
  });

  it('does not fail the job when the activity store fails', async () => {
    const logger = {
      logActivity: async () => {
        throw new Error('store down');
      },
    };
    await expect(new ChargeCardJob('u1', CARD, 0).handleWithLogging({}, { logger })).resolves.toBeUndefined();
  });
});
