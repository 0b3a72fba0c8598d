import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, makeProject, outputMatching, ROOT, runArtisan } from '../cli/helpers.js';

/**
 * The signal path that docs/cli.md shows for systemd, supervisord and Kubernetes: the supervisor
 * starts `node_modules/.bin/artisan` (directly, or through `sh -c 'exec ...'`) and sends SIGTERM
 * to the process it started. That process must be the worker itself (not npx, which exits at
 * once and orphans it), and it must stop gracefully: the running job finishes, exit 0.
 *
 * In an installed app `node_modules/.bin/artisan` is a symlink to the package's
 * `dist/cli/main.js`, whose `#!/usr/bin/env node` line makes env exec node in the same process.
 * Here the symlink points at a launcher with the same kind of line that runs the CLI from source.
 */

const TSX = new URL(import.meta.resolve('tsx')).href;

const SLOW_JOB = `import { Job } from 'jobwright';

export class SlowJob extends Job {
  override jobName() {
    return 'SlowJob';
  }
  async handle() {
    // Runs until the worker is told to stop: the SIGTERM lands mid-job however slow the machine is.
    await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  }
}
`;

const projects: Array<{ remove(): void }> = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.remove();
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** An app whose node_modules/.bin/artisan is an executable symlink, as npm installs it. */
function appWithBin(): string {
  const p = makeProject("{ jobsDir: 'src/app/jobs', pollIntervalMs: 50 }");
  projects.push(p);
  writeFileSync(join(p.dir, 'src/app/jobs/slow.ts'), SLOW_JOB);
  const launcher = join(p.dir, 'artisan-launcher.mjs');
  writeFileSync(
    launcher,
    `#!/usr/bin/env -S node --import ${TSX}\nimport ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))};\n`,
  );
  chmodSync(launcher, 0o755);
  mkdirSync(join(p.dir, 'node_modules/.bin'), { recursive: true });
  symlinkSync(launcher, join(p.dir, 'node_modules/.bin/artisan'));
  return p.dir;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(command: string, args: string[], cwd: string): Started {
  const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

function waitForLine(started: Started, pattern: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
  return outputMatching(started.child, started.output, pattern, ms);
}

describe.each([
  ['systemd ExecStart / supervisord command=', 'node_modules/.bin/artisan', []],
  ["Kubernetes / Docker: sh -c 'exec ...'", 'sh', ['-c', 'exec node_modules/.bin/artisan "$@"', 'sh']],
])('%s', (_name, command, prefix) => {
  // Two child processes that each compile the CLI from source: slow on a busy machine.
  it('SIGTERM to the started process stops the worker gracefully: the running job finishes, exit 0', {
    timeout: 180_000,
  }, async () => {
    const dir = appWithBin();
    const dispatched = await runArtisan(['queue:dispatch', 'SlowJob', '--json'], dir, cleanEnv());
    expect(dispatched.code).toBe(0);
    const { id } = JSON.parse(dispatched.stdout) as { id: string };
    const worker = start(
      command,
      [...(prefix as string[]), 'queue:work', '--json-logs', '--grace', '30'],
      dir,
    );
    const ready = await waitForLine(worker, /"event":"worker:ready".*"pid":(\d+)/);
    // The supervisor signals the process it started: that must be the worker itself.
    expect(Number(ready[1])).toBe(worker.child.pid);
    await waitForLine(worker, new RegExp(`"event":"job:start","jobId":"${id}"`));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toMatch(new RegExp(`"event":"job:done","jobId":"${id}"`));
    expect(worker.output()).toMatch(/"event":"worker:stopping".*received SIGTERM/);
    expect(worker.output()).toMatch(/"event":"worker:exit"/);
  });
});

describe('docs/cli.md', () => {
  it('shows every supervisor starting node_modules/.bin/artisan (the path tested above), never npx', () => {
    const docs = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    const starts = [...docs.matchAll(/^(?:ExecStart=|command=|\s+command: |\s+# or: command: ).*$/gm)].map(
      (m) => m[0],
    );
    expect(starts.length).toBeGreaterThanOrEqual(4);
    for (const line of starts) {
      expect(line).toMatch(
        /node_modules\/\.bin\/artisan queue:work|"node_modules\/\.bin\/artisan", "queue:work"/,
      );
      expect(line).not.toMatch(/npx/);
    }
    expect(docs).toMatch(/exec node_modules\/\.bin\/artisan/);
  });
});
