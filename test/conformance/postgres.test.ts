import { serviceAvailable } from '../support/services.js';
import { postgresTarget } from '../support/targets.js';
import { runDriverConformance } from './driver-conformance.js';

// Each test gets its own schema, dropped afterwards.
runDriverConformance('postgres', postgresTarget('jw_conf'), { skip: !(await serviceAvailable('postgres')) });
