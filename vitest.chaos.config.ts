import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (`npm run test:chaos`): rolling restarts, half-open connections, Redis Cluster,
 * workers in network namespaces and a short soak, with real processes and timing-bound waits.
 * Kept apart from `npm test` (the fast, deterministic suite); .ci/run runs both. One file at a
 * time: each starts several worker processes (and some a private Redis Cluster).
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    // The run's folder (conformance records) as in the main suite.
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
