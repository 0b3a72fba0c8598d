import { describe } from 'vitest';
import { DatabaseQueueDriver } from '../../../src/index.js';
import { type FaultRun, makeFaultRun, runFaultScenarios } from '../../support/fault/scenarios.js';
import { DATABASE_URL, serviceAvailable } from '../../support/services.js';
import { dropPgSchema } from '../../support/stores.js';
import { uniqueName } from '../../support/unique.js';

/**
 * The cases of RELIABILITY.md that the shared, driver-agnostic fault harness plays
 * (test/support/fault/): a frozen worker, and a job that kills its own process.
 */
const available = await serviceAvailable('postgres');

function postgresFaultRun(): FaultRun {
  const schema = uniqueName('jw_harness');
  return makeFaultRun({
    driverName: 'postgres',
    spec: { url: DATABASE_URL, schema, applicationName: `jw-harness-${schema}` },
    driver: new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 3 }),
    dropStore: () => dropPgSchema(schema),
  });
}

describe.skipIf(!available)('postgres faults through the shared fault harness', () => {
  runFaultScenarios('postgres', () => postgresFaultRun());
});
