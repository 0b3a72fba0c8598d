/**
 * The package's own exports, for loading user files that `import ... from 'jobwright'` (the CLI
 * and the config loader hand it to jiti as a virtual module). `src/index.ts` registers itself
 * here, so the loader needs no import of the index: no import cycle through it.
 */
let namespace: Record<string, unknown> | undefined;

export function setPackageNamespace(value: Record<string, unknown>): void {
  namespace = value;
}

export function packageNamespace(): Record<string, unknown> {
  if (!namespace) {
    throw new Error('jobwright was not loaded through its package entry (src/index.ts / dist/index.js)');
  }
  return namespace;
}
