import { MemoryQueueDriver } from '../../src/index.js';
import type { SystemModule } from '../types.js';
import { JOBWRIGHT_SETTINGS, jobwrightAdapter } from './jobwright.js';
import { jobwrightVersion } from './versions.js';

function memory(history: boolean): SystemModule {
  return {
    version: jobwrightVersion(),
    settings: JOBWRIGHT_SETTINGS,
    // One process only: the benchmark runs its workers in the process that enqueues.
    multiProcess: false,
    async open() {
      return jobwrightAdapter({
        makeDriver: async () => new MemoryQueueDriver({ history }),
        clear: async () => {},
        drop: async () => {},
      });
    },
  };
}

export const memorySystem = memory(true);
/** Attempt history and metrics off: measured beside memorySystem in the same run. */
export const memoryNoHistorySystem = memory(false);
