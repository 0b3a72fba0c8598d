import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { waitFor } from './wait.js';

/**
 * One build of src/ per test run, shared by every test that runs the package as users get it
 * (the CLI in child processes, the packed tarball): compiling is the slow part, so it happens
 * once, in the run's folder (test/support/global-setup.ts). The first test file to ask builds;
 * the others wait for it (a `mkdir` lock: test files run in separate processes).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The package folder: package.json, README.md and dist/, as `npm pack` would take them. */
export async function builtPackage(): Promise<string> {
  const dir = join(inject('runDir'), 'package');
  const done = join(dir, '.built');
  if (existsSync(done)) return dir;
  let mine = false;
  try {
    mkdirSync(dir);
    mine = true;
  } catch {
    // Another test file is building it.
  }
  if (!mine) {
    await waitFor('the shared build of src/ (another test file makes it)', () => existsSync(done), 240_000);
    return dir;
  }
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  // --noCheck: the same output without a second type check (`npm test` runs `tsc --noEmit` first,
  // `.ci/run` too); checking is most of tsc's time.
  await run(
    process.execPath,
    [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist'), '--noCheck'],
    { cwd: ROOT },
  );
  copyAssets(join(ROOT, 'src'), join(dir, 'dist'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'README.md'), join(dir, 'README.md'));
  writeFileSync(done, new Date().toISOString());
  return dir;
}

/** The built `artisan` binary. */
export async function builtCli(): Promise<string> {
  return join(await builtPackage(), 'dist/cli/main.js');
}

/** The SQL migrations and Lua scripts drivers read at run time (what scripts/copy-assets.mjs does). */
function copyAssets(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (statSync(path).isDirectory()) copyAssets(path, join(to, name));
    else if (/\.(sql|lua)$/.test(name)) {
      mkdirSync(to, { recursive: true });
      cpSync(path, join(to, relative(from, path)));
    }
  }
}
