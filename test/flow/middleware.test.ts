import { describe, expect, it } from 'vitest';
import {
  InvalidJobError,
  Job,
  type JobContext,
  JobDispatcher,
  MemoryQueueDriver,
  RateLimited,
  ThrottlesExceptions,
  WithoutOverlapping,
} from '../../src/index.js';
import { waitFor } from '../support/wait.js';

describe('flow middleware and job settings', () => {
  it('refuses bad middleware options, unique ids and groups with typed errors', async () => {
    expect(() => new RateLimited('', { max: 1, perSeconds: 1 })).toThrow(InvalidJobError);
    expect(() => new RateLimited('k', { max: 0, perSeconds: 1 })).toThrow(/max must be/);
    expect(() => new WithoutOverlapping('k', { expireAfter: -1 })).toThrow(InvalidJobError);
    expect(() => new ThrottlesExceptions(1, Number.POSITIVE_INFINITY)).toThrow(InvalidJobError);
    class Grouped extends Job {
      constructor(public g: unknown) {
        super();
      }
      override jobName() {
        return 'flow.Grouped';
      }
      override group() {
        return this.g as string;
      }
      async handle() {}
    }
    const d = new JobDispatcher(new MemoryQueueDriver(), { jobs: [Grouped] });
    await expect(d.dispatch(new Grouped(42))).rejects.toMatchObject({ code: 'INVALID_GROUP' });
    await expect(d.dispatch(new Grouped('x'.repeat(201)))).rejects.toMatchObject({ code: 'INVALID_GROUP' });
    expect(await d.dispatch(new Grouped('tenant-1'))).toMatch(/^[0-9A-Z]{26}$/);
    await expect(d.startWorker([], 1)).rejects.toMatchObject({ code: 'INVALID_QUEUE_NAME' });
    await d.close();
  });

  it('object middleware sees what handle returned; a bad ctx.release delay fails the attempt', async () => {
    const seen: unknown[] = [];
    class Returns extends Job {
      constructor(public bad = false) {
        super();
      }
      override jobName() {
        return 'flow.Returns';
      }
      override maxAttempts() {
        return 1;
      }
      override middleware() {
        return [
          {
            async handle(_ctx: JobContext, next: () => Promise<unknown>) {
              const result = await next();
              seen.push(result);
              return result;
            },
          },
        ];
      }
      async handle(ctx: JobContext) {
        if (this.bad) ctx.release(-1);
        return 'done' as never;
      }
    }
    const d = new JobDispatcher(new MemoryQueueDriver(), { jobs: [Returns] });
    const ok = await d.dispatch(new Returns());
    const bad = await d.dispatch(new Returns(true));
    await d.startWorker('default', 2);
    await waitFor('both finished', async () => {
      const [a, b] = await Promise.all([d.find(ok), d.find(bad)]);
      return a?.status === 'completed' && b?.status === 'failed';
    });
    expect(seen).toEqual(['done']);
    expect((await d.find(bad))?.errorMessage).toMatch(/ctx\.release\(-1\)/);
    await d.close();
  });
});
