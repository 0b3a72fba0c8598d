import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the example jobs keep what they produce (payment ledger, receipts, batch results,
 * imports). EXAMPLES_DATA_DIR sets it; tests point it at a temp folder.
 */
export const exampleData = { dir: process.env.EXAMPLES_DATA_DIR ?? './storage/examples' };

/** A path inside the data folder; its parent folders are created. */
export function dataPath(...parts: string[]): string {
  const path = resolve(exampleData.dir, join(...parts));
  mkdirSync(dirname(path), { recursive: true });
  return path;
}

/** Appends one JSON line. Lines under PIPE_BUF are written whole, so concurrent appends do not interleave. */
export function appendJsonLine(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value)}\n`);
}

export function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
