import { MemoryQueueDriver } from '../../src/index.js';
import type { SystemModule } from '../types.js';
import { JOBWRIGHT_SETTINGS, jobwrightAdapter } from './jobwright.js';
import { jobwrightVersion } from './versions.js';

export const memorySystem: SystemModule = {
  version: jobwrightVersion(),
  settings: JOBWRIGHT_SETTINGS,
  // One process only: the benchmark runs its workers in the process that enqueues.
  multiProcess: false,
  async open() {
    return jobwrightAdapter({
      makeDriver: async () => new MemoryQueueDriver(),
      clear: async () => {},
      drop: async () => {},
    });
  },
};
