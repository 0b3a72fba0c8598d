import { MemoryQueueDriver } from '../../src/index.js';
import { runDriverConformance } from './driver-conformance.js';

runDriverConformance('memory', { make: async () => new MemoryQueueDriver() });
