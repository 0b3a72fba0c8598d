import { memoryTarget } from '../support/targets.js';
import { runDriverConformance } from './driver-conformance.js';

runDriverConformance('memory', memoryTarget());
