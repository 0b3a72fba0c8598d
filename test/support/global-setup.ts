import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * One folder per `vitest run`, inside the repository (so that the build made in it resolves the
 * repository's node_modules), removed at the end. The slow end-to-end tests share what is made
 * in it: one build of src/, one packed tarball (test/support/build.ts).
 */
const ROOT = resolve(import.meta.dirname, '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    runDir: string;
  }
}

// Each vitest project calls the setup: they share the run's one folder, removed by the last.
let users = 0;

export default function setup(project: TestProject): () => void {
  process.env.JOBWRIGHT_TEST_RUN_DIR ??= join(
    ROOT,
    '.test-runs',
    `${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const runDir = process.env.JOBWRIGHT_TEST_RUN_DIR;
  mkdirSync(runDir, { recursive: true });
  project.provide('runDir', runDir);
  users++;
  return () => {
    if (--users === 0) rmSync(runDir, { recursive: true, force: true });
  };
}
