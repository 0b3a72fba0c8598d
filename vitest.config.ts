import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One folder per run for what the slow end-to-end tests share (one build, one install).
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Driver suites talk to shared local services; files run in parallel but each uses its own
    // schema, key prefix or SQLite file.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
