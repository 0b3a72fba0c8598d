import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Which conformance suites ran in this `vitest run`, written to the run's folder as they start,
 * so that test/conformance/wiring.test.ts (run after every other file) can compare them with
 * the driver folders: a commented-out `runDriverConformance` call is then a failure.
 */
const dirOf = () => join(inject('runDir'), 'conformance');

export function recordConformance(name: string, outcome: 'ran' | 'skipped'): void {
  mkdirSync(dirOf(), { recursive: true });
  writeFileSync(join(dirOf(), encodeURIComponent(name)), outcome);
}

/** Suite name → outcome; null when no conformance file ran in this run (a targeted run). */
export function recordedConformance(): Map<string, string> | null {
  if (!existsSync(dirOf())) return null;
  return new Map(
    readdirSync(dirOf()).map((file) => [decodeURIComponent(file), readFileSync(join(dirOf(), file), 'utf8')]),
  );
}
