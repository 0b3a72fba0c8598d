import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidJobError,
  Job,
  JobDispatcher,
  JobNameConflictError,
  JobwrightError,
  MAX_DELAY_SECONDS,
  MAX_PAYLOAD_DEPTH,
  PayloadError,
  type QueueDriver,
} from '../../src/index.js';
import { type StoreTarget, targetsPresent } from '../support/targets.js';
import { waitFor, waitForStatus } from '../support/wait.js';

/**
 * Hostile dispatches on every store: each is a typed error (a JobwrightError with a stable code
 * whose message names the field) and nothing is stored.
 */

class Carrier extends Job {
  constructor(public data: unknown = {}) {
    super();
  }
  async handle() {}
}

class ChargeCard extends Job {
  constructor(public cents = 0) {
    super();
  }
  override jobName() {
    return 'Billing';
  }
  async handle() {}
}

class RefundCard extends Job {
  constructor(public cents = 0) {
    super();
  }
  override jobName() {
    return 'Billing';
  }
  async handle() {}
}

class Later extends Job {
  constructor(public at: unknown = null) {
    super();
  }
  override availableAt() {
    return this.at as Date | null;
  }
  async handle() {}
}

/** Fails every attempt; its retryDelay() answers a value no store can schedule. */
class BadRetry extends Job {
  constructor(public answer: 'nan' | 'negative' | 'text' = 'nan') {
    super();
  }
  override maxAttempts() {
    return 3;
  }
  override retryDelay() {
    const answers = { nan: Number.NaN, negative: -5, text: '60' as unknown as number };
    return answers[this.answer];
  }
  async handle() {
    throw new Error('card declined');
  }
}

/** Fails every attempt; retries at once after attempt 1, asks for Infinity after attempt 2. */
class InfiniteAfterTwo extends Job {
  override maxAttempts() {
    return 3;
  }
  override retryDelay(attempt: number) {
    return attempt === 1 ? 0 : Number.POSITIVE_INFINITY;
  }
  async handle() {
    throw new Error('card declined');
  }
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

class Money {
  constructor(public cents: number) {}
}

const cycle: Record<string, unknown> = { name: 'loop' };
cycle.self = cycle;

/** Each payload, and the path and wording its error must have. */
const BAD_PAYLOADS: Array<[string, unknown, RegExp]> = [
  ['an Error', { err: new Error('x') }, /payload\.data\.err is an Error/],
  ['a RegExp', { re: /x/ }, /payload\.data\.re is a RegExp/],
  ['a Map', { m: new Map([[1, 2]]) }, /payload\.data\.m is a Map/],
  ['a Set', { s: new Set([1]) }, /payload\.data\.s is a Set/],
  ['an invalid Date', { d: new Date('nope') }, /payload\.data\.d is an invalid Date/],
  [
    'an object shaped like a stored Date',
    { items: [0, 1, 2, { '$jobwright:date': '2026-01-01T00:00:00.000Z' }] },
    /payload\.data\.items\[3\] is an object whose only key is '\$jobwright:date'/,
  ],
  [
    'a toJSON returning a function',
    { t: { toJSON: () => () => 1 } },
    /payload\.data\.t\.toJSON is a function/,
  ],
  ['a function', { f: () => 1 }, /payload\.data\.f is a function/],
  ['a cycle', { c: cycle }, /payload\.data\.c\.self is a circular reference/],
  ['a BigInt', { n: 10n }, /payload\.data\.n is a BigInt/],
  ['a class instance', { price: new Money(5) }, /payload\.data\.price is a Money instance/],
  ['undefined in an array', { list: [1, undefined] }, /payload\.data\.list\[1\] is undefined/],
  ['a key named constructor', { constructor: 1 }, /payload\.data\.constructor is a key named 'constructor'/],
  ['a NUL character', { s: 'a\u0000b' }, /payload\.data\.s is a string with a NUL/],
  ['a lone surrogate', { s: 'a\ud800' }, /payload\.data\.s is a string with a lone UTF-16 surrogate/],
  ['Infinity', { n: Number.POSITIVE_INFINITY }, /payload\.data\.n is the number Infinity/],
];

let stores: StoreTarget[] = [];
beforeAll(async () => {
  stores = await targetsPresent('jw_monitoring');
});
afterAll(async () => {
  for (const store of stores) await store.cleanup();
});

async function typedError(body: () => Promise<unknown>): Promise<JobwrightError> {
  try {
    await body();
  } catch (error) {
    expect(error).toBeInstanceOf(JobwrightError);
    return error as JobwrightError;
  }
  throw new Error('expected a typed error, got success');
}

async function stored(driver: QueueDriver): Promise<number> {
  return (await driver.list({ limit: 10, offset: 0 })).total;
}

describe.each(['memory', 'sqlite', 'postgres', 'redis'])('hostile dispatches on %s', (name) => {
  const open = async () => {
    const store = stores.find((s) => s.name === name);
    if (!store) return null;
    const driver = await store.make();
    return { driver, dispatcher: new JobDispatcher(driver, { config: { pollIntervalMs: 20 } }) };
  };

  it('a job whose name is registered to another class is refused, in dispatch, dispatchMany and chain', async (t) => {
    const opened = await open();
    if (!opened) return t.skip();
    const { driver, dispatcher } = opened;
    dispatcher.register([ChargeCard]);
    for (const attempt of [
      () => dispatcher.dispatch(new RefundCard(50)),
      () => dispatcher.dispatchMany([new ChargeCard(1), new RefundCard(50)]),
      () => dispatcher.chain([new ChargeCard(1), new RefundCard(50)]),
    ]) {
      const error = await typedError(attempt);
      expect(error).toBeInstanceOf(JobNameConflictError);
      expect(error.code).toBe('JOB_NAME_TAKEN');
      expect(error.message).toMatch(/'Billing' is registered to the class ChargeCard, not to RefundCard/);
    }
    expect(await stored(driver)).toBe(0);
    await dispatcher.dispatch(new ChargeCard(1));
    expect(await stored(driver)).toBe(1);
    await dispatcher.close();
  });

  it('payloads JSON would change are refused with their path, in dispatch, dispatchMany and chain', async (t) => {
    const opened = await open();
    if (!opened) return t.skip();
    const { driver, dispatcher } = opened;
    for (const [what, data, message] of BAD_PAYLOADS) {
      for (const attempt of [
        () => dispatcher.dispatch(new Carrier(data)),
        () => dispatcher.dispatchMany([new Carrier({}), new Carrier(data)]),
        () => dispatcher.chain([new Carrier({}), new Carrier(data)]),
      ]) {
        const error = await typedError(attempt);
        expect(error, what).toBeInstanceOf(PayloadError);
        expect(error.code, what).toBe('UNSERIALIZABLE_PAYLOAD');
        expect(error.message, what).toMatch(message);
      }
    }
    expect(await stored(driver)).toBe(0);
    await dispatcher.close();
  });

  it('Dates round-trip: handle() gets Date instances back, at any depth, next to look-alike data', async (t) => {
    const opened = await open();
    if (!opened) return t.skip();
    const { dispatcher } = opened;
    let seen: unknown;
    class Dated extends Job {
      constructor(public data: unknown = {}) {
        super();
      }
      override jobName() {
        return 'hardening.Dated';
      }
      async handle() {
        seen = this.data;
      }
    }
    dispatcher.register([Dated]);
    const when = new Date('2026-03-29T01:30:00.000Z');
    const id = await dispatcher.dispatch(
      new Dated({
        when,
        list: [when, { at: when }],
        text: when.toISOString(),
        tagLike: { '$jobwright:date': 1, x: 2 },
      }),
    );
    await dispatcher.startWorker('default', 1);
    await waitForStatus(dispatcher, id, ['completed']);
    await dispatcher.close();
    const data = seen as { when: Date; list: [Date, { at: Date }]; text: string; tagLike: unknown };
    expect(data.when).toBeInstanceOf(Date);
    expect(data.when.getTime()).toBe(when.getTime());
    expect(data.list[0]).toBeInstanceOf(Date);
    expect(data.list[1].at).toBeInstanceOf(Date);
    expect(data.text).toBe(when.toISOString());
    expect(data.tagLike).toEqual({ '$jobwright:date': 1, x: 2 });
  });

  it(`nesting: ${MAX_PAYLOAD_DEPTH} levels are stored, deeper is a typed error at any depth`, async (t) => {
    const opened = await open();
    if (!opened) return t.skip();
    const { driver, dispatcher } = opened;
    // The job's fields are level 1 and `data` level 2: its value may nest MAX - 1 more levels.
    await dispatcher.dispatch(new Carrier(nested(MAX_PAYLOAD_DEPTH - 1)));
    expect(await stored(driver)).toBe(1);
    for (const depth of [MAX_PAYLOAD_DEPTH, 3_500, 8_000, 100_000]) {
      const error = await typedError(() => dispatcher.dispatch(new Carrier(nested(depth))));
      expect(error).toBeInstanceOf(PayloadError);
      expect(error.code).toBe('PAYLOAD_TOO_DEEP');
      expect(error.message).toMatch(`deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    }
    expect(await stored(driver)).toBe(1);
    await dispatcher.close();
  });

  it('delays and due times out of range are typed errors; the ten-year bound itself is stored', async (t) => {
    const opened = await open();
    if (!opened) return t.skip();
    const { driver, dispatcher } = opened;
    for (const delay of [1e13, -1, Number.NaN, Number.POSITIVE_INFINITY, MAX_DELAY_SECONDS + 1]) {
      const error = await typedError(() => dispatcher.dispatch(new Carrier(), { delay }));
      expect(error).toBeInstanceOf(InvalidJobError);
      expect(error.code).toBe('INVALID_DELAY');
      expect(error.message).toMatch(/use seconds from 0 to 315360000 \(ten years\)/);
    }
    const year10000 = new Date('+010000-01-01T00:00:00Z');
    const tooFar = new Date(Date.now() + (MAX_DELAY_SECONDS + 86_400) * 1000);
    for (const at of [year10000, new Date('nope'), tooFar, new Date(-1), '2030-01-01']) {
      const error = await typedError(() => dispatcher.dispatch(new Later(at)));
      expect(error.code).toBe('INVALID_AVAILABLE_AT');
      expect(error.message).toMatch(/Later\.availableAt\(\) returned .*: return null or a valid Date/);
    }
    expect(await stored(driver)).toBe(0);
    // Deleting "older than 300,000 years" would ask the store for an out-of-range date.
    const prune = await typedError(() => dispatcher.prune({ olderThanSeconds: 1e13 }));
    expect(prune.code).toBe('INVALID_SECONDS');
    const id = await dispatcher.dispatch(new Carrier(), { delay: MAX_DELAY_SECONDS });
    const row = await dispatcher.find(id);
    expect(row?.availableAt.getTime()).toBeGreaterThan(Date.now() + (MAX_DELAY_SECONDS - 3600) * 1000);
    await dispatcher.close();
  });

  it('a retryDelay() answering Infinity, NaN, a negative or a non-number fails the job with that reason instead of retrying', async (t) => {
    const opened = await open();
    if (!opened) return t.skip();
    const { dispatcher } = opened;
    const reasons = new Map<string, string>();
    dispatcher.on('job:failed', (e) => reasons.set(e.jobId, e.error.message));
    const jobs: Array<[string, RegExp]> = [
      [await dispatcher.dispatch(new InfiniteAfterTwo()), /retryDelay\(2\) returned Infinity/],
      [await dispatcher.dispatch(new BadRetry('nan')), /retryDelay\(1\) returned NaN/],
      [await dispatcher.dispatch(new BadRetry('negative')), /retryDelay\(1\) returned -5/],
      [await dispatcher.dispatch(new BadRetry('text')), /retryDelay\(1\) returned "60"/],
    ];
    await dispatcher.startWorker('default', 2);
    await waitFor('every job to fail', () => reasons.size === jobs.length, 20_000);
    for (const [id, reason] of jobs) {
      expect(reasons.get(id)).toMatch(reason);
      expect(reasons.get(id)).toMatch(
        /^Not retried: .*: return seconds from 0 to 315360000.*The attempt failed with: card declined/,
      );
      const row = await dispatcher.find(id);
      expect(row?.status).toBe('failed');
      expect(row?.errorMessage).toMatch(reason);
    }
    expect((await dispatcher.find(jobs[0]![0]))?.attempts).toBe(2);
    await dispatcher.close({ graceSeconds: 1 });
  });
});
