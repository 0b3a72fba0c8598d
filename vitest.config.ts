import { defineConfig } from 'vitest/config';
import { SLOW_TESTS } from './test/suites.js';
import { LongestFirstSequencer } from './test/support/sequencer.js';

/**
 * Files that change what a process shares and cannot put it back (the global job registry of
 * registerJobs, the example jobs, the app's jobDispatcher()): each runs in a process of its own.
 * With shared workers, a class one of them registered made `queue:work` in another file see job
 * classes where it expected none.
 */
const PROCESS_STATE_TESTS = [
  'test/hardening/registry-settings.test.ts',
  'test/examples/*.test.ts',
  'test/cli/app-store.test.ts',
];

/** `npm test`: the fast, deterministic suite. The slow one is vitest.slow.config.ts. */
export default defineConfig({
  test: {
    // One folder per run for what the end-to-end tests share (one build, one install).
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Driver suites talk to shared local services; files run in parallel but each uses its own
    // schema, key prefix or SQLite file.
    fileParallelism: true,
    // Three files at a time on two cores: most of a file's time is spent waiting on a store, a
    // child process or a browser, so a third keeps the cores busy (measured: see README).
    maxWorkers: 3,
    // Test files share their worker process and its loaded modules instead of starting a new
    // one each: that start (Node, vitest, src/ and its dependencies) was a third of the suite's
    // CPU. Files therefore leave no global state behind (they restore what they change in
    // process.env, close what they open). `npx vitest run --isolate` runs each file alone again.
    isolate: false,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    // The wiring check runs after everything else: it reads which conformance suites ran.
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/conformance/wiring.test.ts', ...SLOW_TESTS, ...PROCESS_STATE_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'isolated', include: PROCESS_STATE_TESTS, isolate: true, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'wiring', include: ['test/conformance/wiring.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
