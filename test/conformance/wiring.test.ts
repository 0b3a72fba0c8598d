import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { recordedConformance } from '../support/conformance-record.js';
import { servicesRequired } from '../support/services.js';

const here = dirname(fileURLToPath(import.meta.url));
const driversDir = join(here, '../../src/drivers');
const drivers = readdirSync(driversDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/**
 * BullMQ's shared suite was meant to run on every backend and silently never did: not here.
 * This file runs after every other one (its own vitest project, a later groupOrder) and
 * compares the driver folders with the conformance suites that actually ran in this run.
 */
it('every driver folder was run through the conformance suite in this run', (ctx) => {
  expect(drivers).toContain('memory');
  const recorded = recordedConformance();
  if (recorded === null) {
    // Only this file was selected (a targeted run): there is nothing to compare with.
    ctx.skip(true, 'no conformance suite ran in this run; run it with test/conformance/');
    return;
  }
  const outcomeOf = (driver: string) =>
    [...recorded].filter(([suite]) => suite === driver || suite.startsWith(`${driver} `)).map(([, o]) => o);
  const missing = drivers.filter((driver) => outcomeOf(driver).length === 0);
  expect(missing, 'driver folders whose conformance suite did not run').toEqual([]);
  if (servicesRequired) {
    const skipped = drivers.filter((driver) => outcomeOf(driver).includes('skipped'));
    expect(skipped, 'conformance suites skipped although CI or REQUIRE_SERVICES=1 is set').toEqual([]);
  }
});

it('every driver folder has test/conformance/<name>.test.ts calling runDriverConformance', () => {
  const missing = drivers.filter((name) => {
    try {
      return !/^runDriverConformance\(\s*'[^']+'/m.test(readFileSync(join(here, `${name}.test.ts`), 'utf8'));
    } catch {
      return true;
    }
  });
  expect(missing).toEqual([]);
});
