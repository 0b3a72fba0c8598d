import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteQueueDriver } from '../../src/index.js';
import { runDriverConformance } from './driver-conformance.js';

// Each test gets its own file in this folder; a second driver on the same file plays another process.
const dir = mkdtempSync(join(tmpdir(), 'jobwright-sqlite-conformance-'));
let count = 0;
let current = '';

runDriverConformance('sqlite', {
  make: async () => {
    current = join(dir, `store-${++count}.sqlite`);
    return new SqliteQueueDriver(current);
  },
  connectAgain: async () => new SqliteQueueDriver(current),
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
