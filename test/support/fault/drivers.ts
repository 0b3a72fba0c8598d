import type { QueueDriver } from '../../../src/index.js';
import { openStore, type SharedStoreName, type StoreSpec } from '../targets.js';

/**
 * How a fault-test worker process opens the store under test: by the store registry's fixed map
 * (../targets.ts `openStore`), so a process never imports a module named by data. The spec comes
 * from the FAULT_DRIVER_SPEC environment variable (JSON).
 */
export type FaultDriverName = SharedStoreName;
export type FaultDriverSpec = StoreSpec;

export async function openFaultDriver(name: string, spec: FaultDriverSpec): Promise<QueueDriver> {
  return openStore(name, { applicationName: 'jobwright-fault', ...spec });
}
