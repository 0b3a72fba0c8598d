import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver, DEFAULT_CONFIG, MemoryQueueDriver, type QueueDriver } from '../../src/index.js';

/** A store the monitoring tests run on; each `make()` is fresh and isolated. */
export interface StoreUnderTest {
  name: string;
  make(): Promise<QueueDriver>;
  cleanup(): void;
}

/**
 * The stores present in this build: memory always; SQLite (own temp file) once the factory
 * knows it. A store the factory does not offer yet is reported, not silently dropped.
 */
export async function storesPresent(): Promise<StoreUnderTest[]> {
  const stores: StoreUnderTest[] = [
    { name: 'memory', make: async () => new MemoryQueueDriver(), cleanup: () => {} },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-monitoring-'));
  let n = 0;
  const sqlite: StoreUnderTest = {
    name: 'sqlite',
    make: () =>
      createDriver({ ...DEFAULT_CONFIG, connection: 'sqlite', sqlitePath: join(dir, `s${n++}.sqlite`) }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  try {
    const probe = await sqlite.make();
    await probe.close();
    stores.push(sqlite);
  } catch (error) {
    console.warn(`SKIPPED: monitoring tests on sqlite, because ${(error as Error).message}`);
  }
  return stores;
}
