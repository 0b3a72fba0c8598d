import { serviceAvailable } from '../support/services.js';
import { redisTarget } from '../support/targets.js';
import { runDriverConformance } from './driver-conformance.js';

// Each test gets its own key prefix; cleanup deletes every key under it.
runDriverConformance('redis', redisTarget('jw_conf'), { skip: !(await serviceAvailable('redis')) });
