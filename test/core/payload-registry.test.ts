import { describe, expect, it } from 'vitest';
import {
  CorruptPayloadError,
  Job,
  JobDispatcher,
  JobRegistry,
  MemoryQueueDriver,
  UnknownJobError,
} from '../../src/index.js';
import { decodePayload, encodePayload } from '../../src/payload.js';

class Welcome extends Job {
  constructor(
    public email: string,
    public tags: string[] = [],
  ) {
    super();
  }
  async handle() {}
}

class Custom extends Job {
  constructor(public secret: string) {
    super();
  }
  override jobName() {
    return 'app.Custom';
  }
  override serialize() {
    return { s: this.secret.split('').reverse().join('') };
  }
  static deserialize(payload: unknown) {
    return new Custom((payload as { s: string }).s.split('').reverse().join(''));
  }
  async handle() {}
}

describe('payloads', () => {
  it('round-trips JSON and drops prototype keys on the way back', () => {
    const text = encodePayload({ a: [1, 'x', null], d: '1970-01-01T00:00:00.000Z' }, 1000);
    expect(decodePayload(text)).toEqual({ a: [1, 'x', null], d: '1970-01-01T00:00:00.000Z' });
    const hostile = decodePayload('{"__proto__":{"evil":1},"ok":2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(hostile.evil).toBeUndefined();
    expect(() => decodePayload('{oops')).toThrow(CorruptPayloadError);
  });

  it('rejects NaN, symbols and binary data with the path of the problem', () => {
    expect(() => encodePayload({ n: { deep: Number.NaN } }, 1000)).toThrow(
      /payload\.n\.deep is the number NaN/,
    );
    expect(() => encodePayload({ s: Symbol('x') }, 1000)).toThrow(/symbol/);
    expect(() => encodePayload({ b: new Uint8Array(2) }, 1000)).toThrow(/base64/);
  });
});

describe('registry', () => {
  it('rebuilds a job from its fields without calling the constructor, or through a static deserialize', () => {
    const registry = new JobRegistry();
    registry.register([Welcome, Custom]);
    const welcome = registry.instantiate('Welcome', { email: 'a@b.c', tags: ['x'] }) as Welcome;
    expect(welcome).toBeInstanceOf(Welcome);
    expect(welcome.email).toBe('a@b.c');
    const custom = registry.instantiate('app.Custom', new Custom('abc').serialize()) as Custom;
    expect(custom.secret).toBe('abc');
    expect(registry.names()).toEqual(['Welcome', 'app.Custom']);
  });

  it('an unknown name is an UnknownJobError saying how to register it', () => {
    expect(() => new JobRegistry().instantiate('Nope', {})).toThrow(UnknownJobError);
    expect(() => new JobRegistry().instantiate('Nope', {})).toThrow(/registerJobs\(\[Nope\]\)/);
  });

  it('two classes with one name are refused', () => {
    class Welcome2 extends Welcome {
      override jobName() {
        return 'Welcome';
      }
    }
    const registry = new JobRegistry();
    registry.register([Welcome]);
    expect(() => registry.register([Welcome2])).toThrow(/Two job classes answer to the name 'Welcome'/);
  });
});

describe('job defaults', () => {
  it("a job's own methods win; inherited ones take the dispatcher's config", async () => {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver(), {
      config: { maxAttempts: 9, timeout: 42, defaultQueue: 'main' },
    });
    const id = await dispatcher.dispatch(new Welcome('x@y.z'));
    expect(await dispatcher.find(id)).toMatchObject({
      maxAttempts: 9,
      timeoutSeconds: 42,
      queueName: 'main',
    });
    const custom = await dispatcher.dispatch(new Custom('q'), { queue: 'other', priority: -3 });
    expect(await dispatcher.find(custom)).toMatchObject({
      queueName: 'other',
      priority: -3,
      payload: { s: 'q' },
    });
    expect(new Welcome('a').maxAttempts()).toBe(3);
    await dispatcher.close();
  });
});

describe('register() input', () => {
  class Single extends Job {
    override jobName() {
      return 'RegisterSingle';
    }
    async handle() {}
  }
  it('takes one class as well as a list', () => {
    const registry = new JobRegistry();
    registry.register(Single);
    expect(registry.get('RegisterSingle')).toBe(Single);
    const dispatcher = new JobDispatcher(new MemoryQueueDriver());
    expect(dispatcher.register(Single)).toBe(dispatcher);
  });
  it('refuses what is not a class with a typed error naming it', () => {
    const registry = new JobRegistry();
    for (const bad of [undefined, null, 42, 'Single', { handle() {} }, [Single, 'x'], () => {}]) {
      expect(() => registry.register(bad as never)).toThrow(
        expect.objectContaining({
          code: 'NOT_A_JOB_CLASS',
          message: expect.stringMatching(/register\(\) takes job classes/),
        }),
      );
    }
  });
});
