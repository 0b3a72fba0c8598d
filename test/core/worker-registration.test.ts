import { describe, expect, it } from 'vitest';
import { JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

/**
 * A stopped worker is not listed: a registration (the heartbeat's renewal) still on its way to
 * the store when the worker stops must land before the unregistration, not after it, or the
 * worker shows in `queue:workers` and `stats().workersCount` until its TTL runs out. Seen under
 * load as `workersCount` 2 after every worker of the queue had stopped.
 */
class SlowRegistry extends MemoryQueueDriver {
  /** Renewals held back until `releaseRenewals()`; the first registration goes through. */
  private held: Array<() => void> = [];
  private registered = 0;
  pendingRenewals: Array<Promise<void>> = [];

  override async registerWorker(params: Parameters<MemoryQueueDriver['registerWorker']>[0]): Promise<void> {
    if (this.registered++ === 0) return super.registerWorker(params);
    const landed = new Promise<void>((resolve) => this.held.push(resolve)).then(() =>
      super.registerWorker(params),
    );
    this.pendingRenewals.push(landed);
    return landed;
  }

  releaseRenewals(): void {
    for (const release of this.held.splice(0)) release();
  }
}

describe('worker registry', () => {
  it('a renewal in flight when the worker stops does not list the stopped worker again', async () => {
    const driver = new SlowRegistry();
    // A short lease: the heartbeat (a third of it) renews the registration every 100 ms.
    const dispatcher = new JobDispatcher(driver, { config: { leaseSeconds: 0.3, leaseGraceSeconds: 0 } });
    try {
      await dispatcher.startWorker('registry', 2);
      await waitFor('a renewal in flight', async () => driver.pendingRenewals.length > 0);
      const stopping = dispatcher.stopWorker('registry', { graceSeconds: 0 });
      // The renewal lands only after the stop began.
      setImmediate(() => driver.releaseRenewals());
      await stopping;
      await Promise.all(driver.pendingRenewals);
      expect(await driver.workers()).toEqual([]);
      expect((await dispatcher.stats('registry')).workersCount).toBe(0);
    } finally {
      driver.releaseRenewals();
      await dispatcher.close({ graceSeconds: 0 });
    }
  });
});
