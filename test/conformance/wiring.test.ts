import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const driversDir = join(here, '../../src/drivers');

/** BullMQ's shared suite was meant to run on every backend and silently never did: not here. */
it('every driver folder is run through the conformance suite', () => {
  const drivers = readdirSync(driversDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  expect(drivers).toContain('memory');
  const missing = drivers.filter((name) => {
    const file = join(here, `${name}.test.ts`);
    try {
      return !/runDriverConformance\(\s*'[^']+'/.test(readFileSync(file, 'utf8'));
    } catch {
      return true;
    }
  });
  expect(missing, `drivers without test/conformance/<name>.test.ts calling runDriverConformance`).toEqual([]);
});
