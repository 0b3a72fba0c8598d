import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

/**
 * The activity log is a plugin the dispatcher is given, not a module it imports: no import chain
 * (static or `import()`, type-only imports aside) leads from src/activity back to itself.
 */
const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specs = [
    ...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms),
    ...source.matchAll(/^import\s+'(\.[^']+)'/gm),
    ...source.matchAll(/^export\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms),
    ...source.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

it('no import chain leads from src/activity back into src/activity', () => {
  const graph = new Map(sourceFiles(SRC).map((f) => [f, importsOf(f)]));
  const cycles: string[] = [];
  for (const start of [...graph.keys()].filter((f) => f.includes(`${join(SRC, 'activity')}/`))) {
    // Depth-first from each activity module: does any path come back to it?
    const stack: Array<[string, string[]]> = [[start, [start]]];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const [file, path] = stack.pop()!;
      for (const next of graph.get(file) ?? []) {
        if (next === start) cycles.push([...path, next].map((f) => relative(SRC, f)).join(' → '));
        else if (!seen.has(next)) {
          seen.add(next);
          stack.push([next, [...path, next]]);
        }
      }
    }
  }
  expect(cycles).toEqual([]);
  expect(importsOf(join(SRC, 'dispatcher.ts')).filter((f) => f.includes('/activity/'))).toEqual([]);
});

it('no module the package entry loads imports the entry back (the config loader gets it registered)', () => {
  const graph = new Map(sourceFiles(SRC).map((f) => [f, importsOf(f)]));
  const index = join(SRC, 'index.ts');
  const reached = new Set<string>();
  const stack = (graph.get(index) ?? []).filter((f) => f !== index);
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (reached.has(file) || file === index) continue;
    reached.add(file);
    stack.push(...(graph.get(file) ?? []));
  }
  const back = [...reached].filter((f) => (graph.get(f) ?? []).includes(index)).map((f) => relative(SRC, f));
  expect(back).toEqual([]);
});
