import { REDIS_URL, serviceAvailable } from '../support/services.js';
import { dropRedisPrefix } from '../support/stores.js';
import { uniqueName } from '../support/unique.js';
import { describeCliFlows } from './flows.js';

const available = await serviceAvailable('redis');

// The CLI reaches Redis the way users do, through REDIS_URL, with a key prefix of this run's own
// (JOBWRIGHT_REDIS_PREFIX): another copy of the suite, or keys an interrupted run left behind,
// are never seen. The prefix is deleted at the end.
describeCliFlows(
  'redis',
  async () => {
    const prefix = uniqueName('jwcli');
    return {
      env: { REDIS_URL, JOBWRIGHT_REDIS_PREFIX: prefix },
      cleanup: () => dropRedisPrefix(prefix),
      migrated: new RegExp(`Migrated redis \\(redis://.*, key prefix ${prefix}\\)`),
    };
  },
  { skip: !available },
);
