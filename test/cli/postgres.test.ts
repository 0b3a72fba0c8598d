import { DATABASE_URL, serviceAvailable } from '../support/services.js';
import { dropPgSchema } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';
import { describeCliFlows } from './flows.js';

const available = await serviceAvailable('postgres');

// The CLI reaches PostgreSQL the way users do, through DATABASE_URL, in a schema of this run's
// own (JOBWRIGHT_DB_SCHEMA), dropped at the end.
describeCliFlows(
  'postgres',
  async () => {
    const schema = uniqueName('jw_cli');
    return {
      env: { DATABASE_URL, JOBWRIGHT_DB_SCHEMA: schema },
      cleanup: () => dropPgSchema(schema),
      migrated: new RegExp(`Migrated postgres \\(postgres://.*, schema ${schema}\\)`),
    };
  },
  { skip: !available },
);
