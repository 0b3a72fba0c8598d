import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

it('without pg installed, importing jobwright works and the driver names `npm install pg`', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      pathToFileURL(join(here, 'no-pg.mjs')).href,
      '--import',
      tsx,
      join(here, '../../support/missing-dependency-child.ts'),
      'postgres',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const result = JSON.parse(out) as { ok: boolean; name: string; code: string; message: string };
  expect(result).toMatchObject({ ok: false, name: 'MissingDependencyError', code: 'MISSING_DEPENDENCY' });
  expect(result.message).toContain('npm install pg');
}, 60_000);
