import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, Job, JobDispatcher, RedisQueueDriver } from '../../../src/index.js';
import { REDIS_URL, serviceAvailable } from '../../support/services.js';
import { dropRedisPrefix } from '../../support/stores.js';

/**
 * `waitReplicas`: a write is acknowledged only once that many replicas have it. The shared test
 * Redis has no replica, so a dispatch there must fail with REDIS_NOT_REPLICATED, not resolve.
 * (The failover it protects against is played on a private cluster: test/chaos/.)
 */
const available = await serviceAvailable('redis');

class Noop extends Job {
  override jobName() {
    return 'waitReplicas.Noop';
  }
  handle() {}
}

describe('redis waitReplicas', () => {
  it('bounds waitReplicas, waitTimeoutMs and commandTimeoutMs', () => {
    for (const bad of [
      { waitReplicas: -1 },
      { waitReplicas: 17 },
      { waitReplicas: 1.5 },
      { waitTimeoutMs: 5 },
      { waitTimeoutMs: 60_001 },
      { commandTimeoutMs: 99 },
    ]) {
      expect(() => new RedisQueueDriver({ url: REDIS_URL, ...bad }), JSON.stringify(bad)).toThrow(
        ConfigError,
      );
    }
  });

  describe.skipIf(!available)('on a server without replicas', () => {
    const prefix = `jwwait-${randomUUID().slice(0, 8)}`;
    let dispatcher: JobDispatcher | undefined;
    afterEach(async () => {
      await dispatcher?.close();
      await dropRedisPrefix(prefix);
    });

    it('a dispatch is refused with REDIS_NOT_REPLICATED once the wait times out', async () => {
      const driver = new RedisQueueDriver({ url: REDIS_URL, prefix, waitReplicas: 1, waitTimeoutMs: 50 });
      dispatcher = new JobDispatcher(driver, { jobs: [Noop] });
      await expect(dispatcher.dispatch(new Noop())).rejects.toMatchObject({ code: 'REDIS_NOT_REPLICATED' });
    });
  });
});
