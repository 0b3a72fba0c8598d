import { defineConfig } from 'vitest/config';
import { SLOW_TESTS } from './test/suites.js';

/** `npm run test:slow`: real processes killed and restarted, hard timeouts, the packed package, chaos. */
export default defineConfig({
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    include: SLOW_TESTS,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
