import { describe, expect, it } from 'vitest';
import { InvalidJobError, Job, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { fakeQueue } from '../../src/testing/index.js';

class PriorityField extends Job {
  constructor(level: number) {
    super();
    // What a JavaScript caller (or a cast) can do: TypeScript itself refuses `public priority`.
    Object.assign(this, { priority: level });
  }
  override jobName() {
    return 'hidden.PriorityField';
  }
  handle() {}
}

class GroupField extends Job {
  constructor(group: string) {
    super();
    // TypeScript refuses `public group` now that Job has group(); JavaScript callers can still do it.
    Object.assign(this, { group });
  }
  override jobName() {
    return 'hidden.GroupField';
  }
  handle() {}
}

class OwnMethodField extends Job {
  report = 'a field';
  constructor(public title: string) {
    super();
    // A field that hides the subclass's own method below.
    Object.defineProperty(this, 'summary', { value: 'text', enumerable: true });
  }
  override jobName() {
    return 'hidden.OwnMethodField';
  }
  summary() {
    return this.title;
  }
  handle() {}
}

class Fine extends Job {
  constructor(
    public amount: number,
    public note = 'ok',
  ) {
    super();
  }
  override jobName() {
    return 'hidden.Fine';
  }
  handle() {}
}

describe('a field that hides a Job method is refused at dispatch (SPEC: job methods vs fields)', () => {
  it('refuses Job methods, the second release names and the class own methods; stores nothing', async () => {
    const dispatcher = new JobDispatcher(new MemoryQueueDriver());
    try {
      for (const job of [new PriorityField(1), new GroupField('tenant-1'), new OwnMethodField('t')]) {
        const error = await dispatcher.dispatch(job).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidJobError);
        expect(error).toMatchObject({ code: 'FIELD_HIDES_METHOD' });
        expect((error as Error).message).toMatch(/has a field "(priority|group|summary)" that hides/);
      }
      const chained = await dispatcher.chain([new Fine(1), new PriorityField(2)]).catch((e: unknown) => e);
      expect(chained).toMatchObject({ code: 'FIELD_HIDES_METHOD' });
      expect((await dispatcher.stats('default')).pendingJobs).toBe(0);
      // Ordinary fields pass.
      await dispatcher.dispatch(new Fine(5));
      expect((await dispatcher.stats('default')).pendingJobs).toBe(1);
    } finally {
      await dispatcher.close();
    }
  });

  it('the testing fake refuses it the same way', async () => {
    const fake = fakeQueue();
    const error = await fake.dispatch(new PriorityField(1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FIELD_HIDES_METHOD' });
  });
});
