import { runFaultScenarios } from '../../support/fault/scenarios.js';
import { sqliteFaultRun } from './fault-setup.js';

runFaultScenarios('sqlite', (label) => sqliteFaultRun(`sqlite-${label}`));
