import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first. vitest starts the files it has timed before
 * longest first, but a fresh clone has no timings and it falls back to file size: the browser
 * files (a few lines each, over a minute of work) then started last and made the run's tail.
 */
const LONGEST_FIRST = [
  'test/dashboard/dashboard-browser-',
  'test/cli/redis.test.ts',
  'test/cli/postgres.test.ts',
  'test/dashboard/insights-browser.test.ts',
  'test/cli/app-store.test.ts',
  'test/cli/sqlite.test.ts',
  'test/conformance/postgres.test.ts',
];

function rank(spec: TestSpecification): number {
  const at = LONGEST_FIRST.findIndex((part) => spec.moduleId.includes(part));
  return at < 0 ? LONGEST_FIRST.length : at;
}

/** vitest's own order (groups, projects, timings), with the known long files first within a project. */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const position = new Map(sorted.map((spec, i) => [spec, i]));
    return [...sorted].sort((a, b) => {
      const ia = position.get(a)!;
      const ib = position.get(b)!;
      if (a.project.name !== b.project.name) return ia - ib;
      return rank(a) - rank(b) || ia - ib;
    });
  }
}
