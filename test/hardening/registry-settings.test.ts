import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  chain,
  configure,
  dispatch,
  InvalidJobError,
  Job,
  JobDispatcher,
  JobNameConflictError,
  loadConfig,
  MemoryQueueDriver,
  PayloadError,
  registerJobs,
} from '../../src/index.js';
import { setLongTimeout } from '../../src/long-timer.js';
import { type FakeDispatcher, fakeQueue } from '../../src/testing/index.js';

class GlobalCharge extends Job {
  override jobName() {
    return 'hardening.Billing';
  }
  async handle() {}
}
class GlobalRefund extends Job {
  override jobName() {
    return 'hardening.Billing';
  }
  async handle() {}
}
class Carrier extends Job {
  constructor(public data: unknown = {}) {
    super();
  }
  async handle() {}
}
class Inline extends Job {
  override shouldQueue() {
    return false;
  }
  async handle() {}
}
class Shifty extends Job {
  constructor(public kind = 'a') {
    super();
  }
  override jobName() {
    return `Shifty.${this.kind}`;
  }
  async handle() {}
}

function caught(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('job names belong to one class', () => {
  it('the global registry: a dispatch of another class under a registered name is refused', async () => {
    registerJobs([GlobalCharge]);
    const dispatcher = new JobDispatcher(new MemoryQueueDriver());
    await expect(dispatcher.dispatch(new GlobalRefund())).rejects.toMatchObject({
      name: 'JobNameConflictError',
      code: 'JOB_NAME_TAKEN',
    });
    expect((await dispatcher.jobs()).total).toBe(0);
    await dispatcher.dispatch(new GlobalCharge());
    expect((await dispatcher.jobs()).total).toBe(1);
    await dispatcher.close();
  });

  it('registering two classes under one name is an error, globally and per dispatcher', () => {
    const global = caught(() => registerJobs([GlobalRefund]));
    expect(global).toBeInstanceOf(JobNameConflictError);
    expect(global).toMatchObject({ code: 'DUPLICATE_JOB_NAME' });
    // A dispatcher's own class may not shadow a globally registered one of the same name.
    const shadow = caught(() => new JobDispatcher(new MemoryQueueDriver(), { jobs: [GlobalRefund] }));
    expect(shadow).toMatchObject({ name: 'JobNameConflictError', code: 'DUPLICATE_JOB_NAME' });
    class LocalA extends Carrier {
      override jobName() {
        return 'hardening.Local';
      }
    }
    class LocalB extends LocalA {}
    const own = caught(() => new JobDispatcher(new MemoryQueueDriver(), { jobs: [LocalA, LocalB] }));
    expect(own).toBeInstanceOf(JobNameConflictError);
    expect((own as Error).message).toMatch(/Two job classes answer to the name 'hardening\.Local'/);
  });

  it('one class loaded twice (same name, source and module) is one class, not a conflict', async () => {
    // What the config loader and the app importing the same file produce: two class objects.
    const load = () =>
      class Twice extends Job {
        constructor(public n = 0) {
          super();
        }
        override jobName() {
          return 'hardening.Twice';
        }
        async handle() {}
      };
    const [first, second] = [load(), load()];
    expect(first).not.toBe(second);
    const dispatcher = new JobDispatcher(new MemoryQueueDriver(), { jobs: [first, second] });
    await dispatcher.dispatch(new second(2));
    expect((await dispatcher.jobs()).total).toBe(1);
    await dispatcher.close();
  });

  it('a jobName() that depends on the fields (so no worker could find the class) is refused', async () => {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver());
    await expect(dispatcher.dispatch(new Shifty('b'))).rejects.toMatchObject({ code: 'JOB_NAME_UNSTABLE' });
    await dispatcher.close();
  });
});

describe('the testing fake applies the rules of real dispatch', () => {
  let fake: FakeDispatcher | undefined;
  afterEach(() => fake?.restore());

  it('refuses a Map payload, a bad queue name, an inline job in a chain, a bad delay; records what is valid', async () => {
    fake = fakeQueue();
    await expect(dispatch(new Carrier(new Map()))).rejects.toBeInstanceOf(PayloadError);
    await expect(dispatch(new Carrier(), { queue: 'bad queue!' })).rejects.toMatchObject({
      code: 'INVALID_QUEUE_NAME',
    });
    await expect(chain([new Carrier(), new Inline()])).rejects.toMatchObject({ code: 'INLINE_JOB_IN_CHAIN' });
    await expect(dispatch(new Carrier(), { delay: 1e13 })).rejects.toMatchObject({ code: 'INVALID_DELAY' });
    await expect(fake.dispatchMany([new Carrier(), new Carrier({ d: new Set([1]) })])).rejects.toBeInstanceOf(
      PayloadError,
    );
    fake.assertNothingDispatched();
    await dispatch(new Carrier({ ok: true }));
    await chain([new Carrier(), new Carrier()]);
    fake.assertDispatchedTimes(Carrier, 3);
  });
});

describe('settings: one schema for the environment, the config file and code', () => {
  it.each([
    [{ leaseSeconds: -1 }, /leaseSeconds: -1 is not valid: use seconds from 0\.1 to 86400/],
    [{ leaseSeconds: 1e7 }, /leaseSeconds: 10000000 is not valid/],
    [{ workerConcurrency: -3 }, /workerConcurrency: -3 is not valid: use a whole number from 1 to 10000/],
    [{ pollIntervalMs: 0 }, /pollIntervalMs: 0 is not valid: use milliseconds, 5 or more/],
    [{ maxPayloadBytes: -1 }, /maxPayloadBytes: -1 is not valid/],
    [{ defaultQueue: 'bad queue!' }, /defaultQueue: "bad queue!" is not valid: use 1 to 255 letters/],
    [
      { shutdownGraceSeconds: 3_000_000 },
      /shutdownGraceSeconds: 3000000 is not valid: use seconds, 0 or more, up to 2000000/,
    ],
    [{ timeout: Number.POSITIVE_INFINITY }, /timeout: Infinity is not valid/],
  ])('%o given in code is a ConfigError, in loadConfig and new JobDispatcher', (config, message) => {
    const fromLoad = caught(() => loadConfig({}, config));
    expect(fromLoad).toBeInstanceOf(ConfigError);
    expect((fromLoad as Error).message).toMatch(message);
    const fromDispatcher = caught(() => new JobDispatcher(new MemoryQueueDriver(), { config }));
    expect(fromDispatcher).toBeInstanceOf(ConfigError);
  });

  it('configure() refuses a bad value at the call that gives it', () => {
    const error = caught(() => configure({ leaseSeconds: -1 }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/leaseSeconds: -1 is not valid/);
  });

  it.each([
    ['JOB_SHUTDOWN_GRACE', '3000000'],
    ['JOB_LEASE_SECONDS', '1e7'],
    ['JOB_LEASE_GRACE_SECONDS', '1e9'],
    ['JOB_POLL_INTERVAL_MS', '1e10'],
    ['JOB_DEFAULT_TIMEOUT', '3000000'],
    ['JOB_RETRY_DELAY', 'Infinity'],
    ['JOB_MAX_PAYLOAD_BYTES', '1e12'],
  ])('%s=%s (past what a timer or store takes) is a ConfigError', (name, value) => {
    const error = caught(() => loadConfig({ [name]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(`${name}=${JSON.stringify(value)} is not valid`);
  });

  it('a job timeout() just past the longest Node timer is refused', async () => {
    class Slow extends Carrier {
      override timeout() {
        return 2 ** 31 / 1000;
      }
    }
    const dispatcher = new JobDispatcher(new MemoryQueueDriver());
    await expect(dispatcher.dispatch(new Slow())).rejects.toBeInstanceOf(InvalidJobError);
    await dispatcher.close();
  });
});

describe('worker settings given in code are bounded too', () => {
  it('a concurrency over 10000 and a grace past the longest timer are typed errors', async () => {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver());
    await expect(dispatcher.startWorker('default', 20_000)).rejects.toMatchObject({
      code: 'INVALID_CONCURRENCY',
    });
    await expect(dispatcher.stopWorker('default', { graceSeconds: 3e6 })).rejects.toMatchObject({
      code: 'INVALID_SECONDS',
    });
    await dispatcher.close();
  });
});

describe('setLongTimeout', () => {
  afterEach(() => vi.useRealTimers());

  it('waits 30 days in steps instead of firing at once as one overflowing timer would', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 30 * 24 * 3600 * 1000);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * 24 * 3600 * 1000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cancelled', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const cancel = setLongTimeout(fired, 2 ** 32);
    vi.advanceTimersByTime(2 ** 31);
    cancel();
    vi.advanceTimersByTime(2 ** 33);
    expect(fired).not.toHaveBeenCalled();
  });
});
