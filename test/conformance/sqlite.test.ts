import { sqliteTarget } from '../support/targets.js';
import { runDriverConformance } from './driver-conformance.js';

// Each test gets its own file; a second driver on the same file plays another process.
runDriverConformance('sqlite', sqliteTarget('jw_conf'));
