import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { builtCli } from '../support/build.js';

/**
 * Runs `artisan` as users do, in a child process: from the run's one shared build once a file
 * called `useBuiltCli()` (a child then starts in a fraction of the time), else from source
 * through tsx.
 */
export const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
const TSX = new URL(import.meta.resolve('tsx')).href;
let builtMain: string | undefined;

/** For `beforeAll`: later children run the built CLI (test/support/build.ts). */
export async function useBuiltCli(): Promise<void> {
  builtMain = await builtCli();
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function artisanArgs(args: string[]): string[] {
  return builtMain ? [builtMain, ...args] : ['--import', TSX, MAIN, ...args];
}

/** A clean environment: no store settings leak in from the shell running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (/^(JOB_|JOBWRIGHT_|QUEUE_CONNECTION|DATABASE_URL|REDIS_URL|FORCE_COLOR)/.test(key)) delete env[key];
  }
  return { ...env, ...extra };
}

export function runArtisan(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      artisanArgs(args),
      { cwd, env, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A long-running `artisan` (queue:work) whose output can be waited on. */
export class Background {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  /** Every worker started, so that a failed test's afterAll can make sure none outlives it. */
  static readonly started = new Set<Background>();

  static killAll(): void {
    for (const b of Background.started) if (b.child.exitCode === null) b.child.kill('SIGKILL');
    Background.started.clear();
  }

  constructor(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, artisanArgs(args), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    Background.started.add(this);
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  /** Resolves once stdout matches, or rejects after `ms` with what was printed. */
  async waitFor(pattern: RegExp, ms = 30_000): Promise<void> {
    await outputMatching(this.child, () => this.stdout, pattern, ms).catch((error: Error) => {
      throw new Error(`${error.message}\nstderr:\n${this.stderr}`);
    });
  }

  /** Sends `signal`; a worker still alive 45 s later is killed, so that no test leaves one behind. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.exited;
    this.child.kill(signal);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 45_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }
}

/** An empty project folder with a jobwright.config.ts; removed by the returned function. */
export function makeProject(configBody: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-cli-'));
  mkdirSync(join(dir, 'src/app/jobs'), { recursive: true });
  writeFileSync(
    join(dir, 'jobwright.config.ts'),
    `import { defineConfig } from 'jobwright';\n\nexport default defineConfig(${configBody});\n`,
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A job that throws until a marker file exists, so that a retry can be made to succeed. */
export const FLAKY_JOB = `import { existsSync } from 'node:fs';
import { Job } from 'jobwright';

export class FlakyJob extends Job {
  constructor(public readonly marker: string) {
    super();
  }
  override jobName() {
    return 'FlakyJob';
  }
  override maxAttempts() {
    return 1;
  }
  async handle() {
    if (!existsSync(this.marker)) throw new Error('marker missing');
  }
}
`;

/** Parses `queue:status --json` into a map by queue name. */
export function statusByQueue(stdout: string): Record<string, Record<string, unknown>> {
  const rows = JSON.parse(stdout) as Array<Record<string, unknown> & { queueName: string }>;
  return Object.fromEntries(rows.map((r) => [r.queueName, r]));
}

/** Runs artisan in this process with captured output (the injected streams), in `cwd`. */
export async function artisanInProcess(cwd: string, args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env: cleanEnv(env),
    color: false,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

/**
 * A `project(configBody)` maker for one test file: each call makes a fresh project folder
 * (makeProject), and every folder made is removed after each test.
 */
export function projectsRemovedAfterEach(): (configBody: string) => string {
  const made: Array<{ remove(): void }> = [];
  afterEach(() => {
    for (const p of made.splice(0)) p.remove();
  });
  return (configBody) => {
    const p = makeProject(configBody);
    made.push(p);
    return p.dir;
  };
}

/**
 * Resolves with the match once `output()` matches `pattern`, checked on each chunk the child
 * prints (no polling); rejects when the child exits (and its output ends) without it, or after `ms`.
 */
export function outputMatching(
  child: ChildProcess,
  output: () => string,
  pattern: RegExp,
  ms = 30_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = output().match(pattern);
      if (match) finish(() => resolve(match));
    };
    const gone = () =>
      finish(() => reject(new Error(`no ${pattern} in output (the process exited):\n${output()}`)));
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no ${pattern} in output after ${ms} ms:\n${output()}`))),
      ms,
    );
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', later);
      child.stderr?.off('data', later);
      child.off('close', onExit);
      settle();
    };
    // After the chunk's own listeners have appended it to the output.
    const later = () => setImmediate(check);
    // 'close': the process has exited and its output streams have ended.
    const onExit = () => setImmediate(() => (output().match(pattern) ? check() : gone()));
    child.stdout?.on('data', later);
    child.stderr?.on('data', later);
    child.on('close', onExit);
    const closed = child.exitCode !== null && (child.stdout?.readableEnded ?? true);
    if (closed) onExit();
    else check();
  });
}
