/**
 * Which tests run where (SPEC: `npm test` is the fast, deterministic suite; timing-bound, fault,
 * chaos and multi-process tests live in `npm run test:slow`, which `.ci/run` also runs).
 */
export const SLOW_TESTS = [
  // Real worker processes killed, frozen and restarted; stores restarted.
  'test/drivers/**/fault*.test.ts',
  'test/drivers/sqlite/multi-process.test.ts',
  // Flow control across real processes: limits counted by a ledger, unique ids raced.
  'test/flow/multi-process.test.ts',
  'test/flow/unique-processes.test.ts',
  // Batch callbacks with a worker SIGKILLed at the last job; three scheduler processes.
  'test/composition/process-faults.test.ts',
  // Hard timeouts and crashes in worker threads and child processes.
  'test/isolation/**/*.test.ts',
  // The packed package installed into an empty folder.
  'test/package/**/*.test.ts',
  // Chaos, rolling restarts, soak, many hosts.
  'test/chaos/**/*.test.ts',
  // The benchmark harness end to end: worker processes forked four at a time, isolates in
  // threads and child processes (a tenth of the fast suite's CPU when it ran there).
  'test/bench/**/*.test.ts',
];
