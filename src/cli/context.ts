import pc from 'picocolors';
import { type JobConfig, loadConfig } from '../config.js';
import { JobDispatcher } from '../dispatcher.js';
import { createDriver } from '../drivers/factory.js';
import { settingsFromEnv } from '../encryption.js';
import { ConfigError, StoreError } from '../errors.js';
import { sqliteElsewhereWarning } from '../store-location.js';
import { loadProject, type Project } from './project.js';

/** Where a command writes. Injected so that tests capture output without a subprocess. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export type Colors = ReturnType<typeof pc.createColors>;

/** What every command gets: its streams, environment, and the way to reach the project and store. */
export interface CliContext {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
  env: Record<string, string | undefined>;
  colors: Colors;
  /** Exit code the command asks for (commander errors set their own). */
  exitCode: number;
  /** `--config <file>` of the top-level program. */
  configPath?: string;
  /** Reads jobwright.config.* (required: an error when there is none). */
  project(options?: { required?: boolean; loadJobs?: boolean }): Promise<Project>;
  /** A dispatcher over the configured store; the caller closes it. */
  openDispatcher(options?: {
    required?: boolean;
    loadJobs?: boolean;
  }): Promise<{ dispatcher: JobDispatcher; project: Project; config: JobConfig }>;
  /** Calls `handler` on SIGTERM / SIGINT; returns the function that removes it. */
  onShutdownSignal(handler: (signal: string) => void): () => void;
  /** Resident memory in bytes (injected so that `--memory` can be tested). */
  memoryUsage(): number;
  /** Ends the process now (a second Ctrl+C); tests replace it. */
  forceExit(code: number): void;
}

export interface ContextOptions {
  stdout?: OutputStream;
  stderr?: OutputStream;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Force colors on or off; default: on for a TTY unless NO_COLOR is set. */
  color?: boolean;
  /** Replace the parts that touch the process (signals, memory, exit) or the store, in tests. */
  overrides?: Partial<Pick<CliContext, 'onShutdownSignal' | 'memoryUsage' | 'forceExit' | 'openDispatcher'>>;
}

export function createContext(options: ContextOptions = {}): CliContext {
  const stdout = options.stdout ?? process.stdout;
  const env = options.env ?? process.env;
  const color =
    options.color ?? (env.FORCE_COLOR ? true : Boolean(stdout.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb');
  const ctx: CliContext = {
    stdout,
    stderr: options.stderr ?? process.stderr,
    cwd: options.cwd ?? process.cwd(),
    env,
    colors: pc.createColors(color),
    exitCode: 0,
    project: (opts = {}) => loadProject({ cwd: ctx.cwd, configPath: ctx.configPath, env: ctx.env, ...opts }),
    async openDispatcher(opts = {}) {
      const project = await ctx.project(opts);
      const config = loadConfig(ctx.env, project.overrides);
      const warning = sqliteElsewhereWarning(config, project);
      if (warning) ctx.stderr.write(`${ctx.colors.yellow('warning:')} ${warning}\n`);
      const driver = await createDriver(config);
      const dispatcher = new JobDispatcher(driver, {
        config,
        jobs: project.jobs,
        encryption: settingsFromEnv(ctx.env),
      });
      return { dispatcher, project, config };
    },
    onShutdownSignal(handler) {
      const onSignal = (signal: NodeJS.Signals) => handler(signal);
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      return () => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      };
    },
    memoryUsage: () => process.memoryUsage().rss,
    forceExit: (code) => process.exit(code),
  };
  Object.assign(ctx, options.overrides);
  return ctx;
}

/** Writes a line to stdout. */
export function println(ctx: CliContext, text = ''): void {
  ctx.stdout.write(`${text}\n`);
}

/** Writes a value as pretty JSON (dates as ISO strings). */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs `body` with a dispatcher and always closes it, so that the process can exit. */
export async function withDispatcher<T>(
  ctx: CliContext,
  body: (dispatcher: JobDispatcher, config: JobConfig) => Promise<T>,
  options: { required?: boolean; loadJobs?: boolean } = { loadJobs: false },
): Promise<T> {
  const { dispatcher, config } = await ctx.openDispatcher(options);
  try {
    await reachStore(ctx, dispatcher, config);
    return await body(dispatcher, config);
  } finally {
    await withDeadline(dispatcher.close({ graceSeconds: 0 }), 5000).catch(() => {});
  }
}

/**
 * Connects (and migrates) within JOBWRIGHT_CONNECT_TIMEOUT seconds (default 15). Some clients
 * retry an unreachable server forever; a command, or a worker under a supervisor, must fail
 * visibly instead of hanging.
 */
export async function reachStore(
  ctx: CliContext,
  dispatcher: JobDispatcher,
  config: JobConfig,
): Promise<void> {
  const raw = ctx.env.JOBWRIGHT_CONNECT_TIMEOUT;
  const seconds = raw === undefined || raw === '' ? 15 : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new ConfigError(
      'INVALID_CONFIG',
      `JOBWRIGHT_CONNECT_TIMEOUT=${JSON.stringify(raw)} is not valid: use seconds above 0, up to 3600`,
    );
  }
  // A cheap read, not just driver(): some drivers connect lazily on their first command.
  const probe = dispatcher.driver().then((driver) => driver.workers());
  probe.catch(() => {});
  const reached = await withDeadline(probe, seconds * 1000);
  if (reached === TIMED_OUT) {
    throw new StoreError(
      'STORE_UNREACHABLE',
      `Cannot reach the store ${describeStore(config)} within ${seconds} s (JOBWRIGHT_CONNECT_TIMEOUT): is it running, and is the address right?`,
    );
  }
}

const TIMED_OUT = Symbol('timed out');

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The store as a person would name it, without passwords. */
export function describeStore(config: JobConfig): string {
  switch (config.connection) {
    case 'sqlite':
      return `sqlite (${config.sqlitePath})`;
    case 'database':
      return `postgres (${redact(config.databaseUrl ?? '')}, schema ${config.databaseSchema})`;
    case 'redis':
      return `redis (${redact(config.redisUrl ?? '')}, key prefix ${config.redisPrefix})`;
    default:
      return config.connection;
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
