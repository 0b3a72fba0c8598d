import type { QueueDriver, RecoverResult, ReservedJob, WakeListener } from '../drivers/contract.js';

/**
 * One pool over several queues in order (`startWorker(['high', 'default'], n)`): the queue
 * worker works a single "queue" named by the list, and this view of the driver turns that name
 * into the real queues. A reservation takes from the first queue with due work and fills the
 * rest of the slots from the next ones; nothing is held ahead (SPEC decisions).
 */
export function orderedQueuesView(driver: QueueDriver, pool: string, queues: string[]): QueueDriver {
  const ours = (queue: string | undefined) => queue === pool;
  const overrides: Partial<QueueDriver> = {
    async reserve(params) {
      if (!ours(params.queue)) return driver.reserve(params);
      const out: ReservedJob[] = [];
      for (const queue of queues) {
        const want = params.limit - out.length;
        if (want <= 0) break;
        out.push(...(await driver.reserve({ ...params, queue, limit: want, start: want })));
      }
      return out;
    },
    async countDue(params) {
      if (!ours(params.queue)) return driver.countDue(params);
      let total = 0;
      for (const queue of queues) total += await driver.countDue({ queue, limit: params.limit - total });
      return total;
    },
    async recoverExpired(params) {
      if (!ours(params.queue)) return driver.recoverExpired(params);
      const all: RecoverResult = { requeued: [], failed: [] };
      for (const queue of queues) {
        const r = await driver.recoverExpired({ ...params, queue });
        all.requeued.push(...r.requeued);
        all.failed.push(...r.failed);
      }
      return all;
    },
    async registerWorker(params) {
      const named = params.queues.flatMap((q) => (q === pool ? queues : [q]));
      return driver.registerWorker({ ...params, queues: named });
    },
  };
  if (driver.subscribe) {
    overrides.subscribe = (listener: WakeListener) =>
      driver.subscribe!((queue) => listener(queues.includes(queue) ? pool : queue));
  }
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof QueueDriver];
      // The pool's view must not close the dispatcher's store.
      if (prop === 'close') return async () => {};
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
