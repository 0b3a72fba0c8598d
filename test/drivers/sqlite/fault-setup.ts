import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueueDriver } from '../../../src/index.js';
import { makeFaultRun } from '../../support/fault/scenarios.js';

export { FAULT_ENV, waitFor } from '../../support/fault/scenarios.js';

/** The lease the fault runs give their workers (FAULT_ENV): 1 s + 0.5 s grace. */
export const LEASE_S = 1.5;

/** One SQLite file, one ledger, a producer in this process and worker processes around them. */
export function sqliteFaultRun(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `jobwright-${name}-`));
  const file = join(dir, 'jobs.sqlite');
  // The file lives in the run's temp dir, so removing the dir at cleanup drops the store.
  return {
    file,
    ...makeFaultRun({ driverName: 'sqlite', spec: { file }, driver: new SqliteQueueDriver(file), dir }),
  };
}
