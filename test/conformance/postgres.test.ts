import { DatabaseQueueDriver } from '../../src/index.js';
import { DATABASE_URL, serviceAvailable } from '../support/services.js';
import { dropPgSchema } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';
import { runDriverConformance } from './driver-conformance.js';

const available = await serviceAvailable('postgres');

// Each test gets its own schema, dropped afterwards; small pools keep the shared server's
// connection budget for the other suites running at the same time.
let schema = '';
const made: DatabaseQueueDriver[] = [];

function driver(): DatabaseQueueDriver {
  const d = new DatabaseQueueDriver({ connectionString: DATABASE_URL, schema, max: 4 });
  made.push(d);
  return d;
}

async function cleanup(): Promise<void> {
  for (const d of made.splice(0)) await d.close();
  await dropPgSchema(schema);
}

function target() {
  return {
    make: async () => {
      schema = uniqueName('jw_conf');
      return driver();
    },
    connectAgain: async () => driver(),
    cleanup,
  };
}

runDriverConformance('postgres', target(), { skip: !available });
