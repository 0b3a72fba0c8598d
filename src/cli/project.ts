import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createJiti } from 'jiti';
import { type ConnectionName, checkSettings, DEFAULT_CONFIG, type JobConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { rememberJobModule } from '../isolation/settings.js';
import { Job, type JobClass } from '../job.js';
import { packageNamespace } from '../package-namespace.js';
import type { ProjectConfig } from '../project-config.js';
import { assertCron, assertScheduleName, type ScheduleDefinition } from '../schedules/schedule-rules.js';
import { describeThrown, importWithin } from './module-load.js';

export const CONFIG_FILE_NAMES = [
  'jobwright.config.ts',
  'jobwright.config.mts',
  'jobwright.config.js',
  'jobwright.config.mjs',
];
export const DEFAULT_JOBS_DIR = 'src/app/jobs';

/** What to write when there is no config: shown in the error, and in docs/cli.md. */
export const CONFIG_EXAMPLE = `// jobwright.config.ts (at the root of your project)
import { defineConfig } from 'jobwright';

export default defineConfig({
  jobsDir: 'src/app/jobs', // every Job class exported from this folder is registered
  // jobs: [SendEmailJob],  // or list the classes yourself
  // connection: 'sqlite',  // 'sqlite' | 'database' | 'redis' | 'memory'; DATABASE_URL / REDIS_URL pick theirs
});`;

/** The project as the CLI sees it: where it lives, its settings and its job classes. */
export interface Project {
  /** The folder of the config file (or the working directory when there is none). */
  root: string;
  /** The config file, or null when none was found. */
  configFile: string | null;
  /** Settings from the file, relative paths made absolute; the environment is applied later. */
  overrides: Partial<JobConfig>;
  jobs: JobClass[];
  /** Absolute folder `make:job` writes to. */
  jobsDir: string;
  /** True when `jobsDir` was set in the config (its files are loaded). */
  jobsDirConfigured: boolean;
  /** The config file's `schedules`. */
  schedules: ScheduleDefinition[];
}

const PROJECT_KEYS = new Set(['jobs', 'jobsDir', 'schedules']);
const CONNECTIONS: ConnectionName[] = ['sqlite', 'database', 'redis', 'memory'];

/** The nearest config file from `cwd` upward, or null. */
export function findConfigFile(cwd: string): string | null {
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The user's modules are loaded through jiti (TypeScript without a build step). `jobwright`
 * itself is handed over as a virtual module, so their `Job` is the very class this CLI runs:
 * `instanceof` and the config defaults work, from source and from an installed package alike.
 */
function makeLoader(root: string) {
  forgetProjectModules(root);
  return createJiti(join(root, 'jobwright-cli.js'), {
    virtualModules: { jobwright: packageNamespace() },
    // Off, so that a config file without `export default` is told apart from an empty object.
    interopDefault: false,
    // On: a job file that the config imports and that jobsDir also lists must be one module,
    // or its class would be registered twice under one name.
    moduleCache: true,
  });
}

/**
 * jiti keeps loaded modules in Node's require cache. Within one load that is what we want (a
 * job file imported by the config and found in jobsDir is one class); across loads in one
 * process (tests, a long-lived host) the project's own files must be read afresh.
 */
function forgetProjectModules(root: string): void {
  const cache = createRequire(import.meta.url).cache;
  const prefix = root.endsWith(sep) ? root : root + sep;
  for (const key of Object.keys(cache)) {
    if (key.startsWith(prefix) && !key.includes(`${sep}node_modules${sep}`)) delete cache[key];
  }
}

export interface LoadProjectOptions {
  cwd: string;
  /** An explicit config file (`--config`); it must exist. */
  configPath?: string;
  /** Throw when there is no config file (commands that need the job classes). */
  required?: boolean;
  /** Import the job classes (not needed by commands that only read the store). */
  loadJobs?: boolean;
  /** The environment (JOBWRIGHT_CONFIG_TIMEOUT). */
  env?: Record<string, string | undefined>;
}

export async function loadProject(options: LoadProjectOptions): Promise<Project> {
  const configFile = options.configPath
    ? resolve(options.cwd, options.configPath)
    : findConfigFile(options.cwd);
  if (options.configPath && !existsSync(configFile!)) {
    throw new ConfigError('CONFIG_NOT_FOUND', `The config file ${configFile} does not exist`);
  }
  if (!configFile) {
    if (options.required) {
      throw new ConfigError(
        'CONFIG_NOT_FOUND',
        `No jobwright.config.ts found in ${resolve(options.cwd)} or any folder above it. Create one:\n\n${CONFIG_EXAMPLE}`,
      );
    }
    const root = resolve(options.cwd);
    return {
      root,
      configFile: null,
      overrides: withAbsolutePaths({}, root),
      jobs: [],
      jobsDir: join(root, DEFAULT_JOBS_DIR),
      jobsDirConfigured: false,
      schedules: [],
    };
  }
  const root = dirname(configFile);
  const loader = makeLoader(root);
  let loaded: unknown;
  try {
    const module = (await importWithin(loader, configFile, options.env)) as { default?: unknown } | undefined;
    loaded = module?.default;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      'CONFIG_BROKEN',
      `Cannot load ${configFile}: ${describeThrown(error)}\nIt should look like this:\n\n${CONFIG_EXAMPLE}`,
      { cause: error },
    );
  }
  const config = validateConfig(loaded, configFile);
  const jobsDir = resolve(root, config.jobsDir ?? DEFAULT_JOBS_DIR);
  const jobs = [...(config.jobs ?? [])];
  if (options.loadJobs !== false && config.jobsDir !== undefined) {
    jobs.push(...(await loadJobsDir(jobsDir, loader, configFile, options.env)));
  }
  const { jobs: _jobs, jobsDir: _dir, schedules, ...settings } = config;
  return {
    root,
    configFile,
    overrides: withAbsolutePaths(settings, root),
    jobs: [...new Set(jobs)],
    jobsDir,
    jobsDirConfigured: config.jobsDir !== undefined,
    schedules: schedules ?? [],
  };
}

/** A relative SQLite path means the project's folder, wherever in it the command runs. */
function withAbsolutePaths(settings: Partial<JobConfig>, root: string): Partial<JobConfig> {
  const sqlitePath = settings.sqlitePath ?? DEFAULT_CONFIG.sqlitePath;
  return { ...settings, sqlitePath: isAbsolute(sqlitePath) ? sqlitePath : resolve(root, sqlitePath) };
}

function broken(file: string, problem: string): ConfigError {
  return new ConfigError(
    'CONFIG_BROKEN',
    `${file}: ${problem}\nIt should look like this:\n\n${CONFIG_EXAMPLE}`,
  );
}

/** Checks the shape of the default export; a typo in a key is an error, not a silent default. */
function validateConfig(value: unknown, file: string): ProjectConfig {
  if (value === undefined) {
    throw broken(file, 'it has no default export: export default defineConfig({ ... })');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw broken(file, 'the default export must be an object: export default defineConfig({ ... })');
  }
  const config = value as Record<string, unknown>;
  const known = new Set([...Object.keys(DEFAULT_CONFIG), ...PROJECT_KEYS]);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      throw broken(file, `unknown setting '${key}'; known settings: ${[...known].sort().join(', ')}`);
    }
  }
  if (config.connection !== undefined && !CONNECTIONS.includes(config.connection as ConnectionName)) {
    throw broken(file, `connection must be one of ${CONNECTIONS.join(', ')}`);
  }
  if (config.jobsDir !== undefined && (typeof config.jobsDir !== 'string' || config.jobsDir === '')) {
    throw broken(file, 'jobsDir must be a folder path, e.g. jobsDir: "src/app/jobs"');
  }
  if (config.schedules !== undefined) {
    if (!Array.isArray(config.schedules)) {
      throw broken(
        file,
        "schedules must be a list: schedules: [{ name: 'report', cron: '0 3 * * *', job: new ReportJob() }]",
      );
    }
    config.schedules.forEach((s: unknown, i) => {
      const entry = s as Partial<ScheduleDefinition> | null;
      if (
        !entry ||
        typeof entry.name !== 'string' ||
        typeof entry.cron !== 'string' ||
        !isJobInstance(entry.job)
      ) {
        throw broken(
          file,
          `schedules[${i}] needs a name, a cron expression and a job instance (got ${describe(s)})`,
        );
      }
      try {
        assertScheduleName(entry.name);
        assertCron(entry.cron, entry.timezone);
      } catch (error) {
        throw broken(file, `schedules[${i}]: ${(error as Error).message}`);
      }
    });
  }
  if (config.jobs !== undefined) {
    if (!Array.isArray(config.jobs))
      throw broken(file, 'jobs must be a list of job classes: jobs: [SendEmailJob]');
    config.jobs.forEach((cls, i) => {
      if (!isJobClass(cls)) {
        throw broken(file, `jobs[${i}] is not a class that extends Job (got ${describe(cls)})`);
      }
    });
  }
  for (const [key, fallback] of Object.entries(DEFAULT_CONFIG)) {
    const given = config[key];
    if (given === undefined || key === 'connection') continue;
    const expected = fallback === null ? 'string' : typeof fallback;
    if (given !== null && typeof given !== expected) {
      throw broken(file, `${key} must be a ${expected} (got ${describe(given)})`);
    }
  }
  // The same bounds as the environment variables: one rule for both.
  try {
    checkSettings(config as Partial<JobConfig>);
  } catch (error) {
    throw broken(file, (error as Error).message);
  }
  return config as ProjectConfig;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  return JSON.stringify(value)?.slice(0, 60) ?? String(value);
}

/** A job instance (by shape: the config may reach Job through another copy of the package). */
function isJobInstance(value: unknown): value is Job {
  const job = value as Partial<Job> | null;
  return (
    typeof job === 'object' &&
    job !== null &&
    typeof job.handle === 'function' &&
    typeof job.jobName === 'function'
  );
}

export function isJobClass(value: unknown): value is JobClass {
  return (
    typeof value === 'function' &&
    value.prototype instanceof Job &&
    typeof (value.prototype as Job).handle === 'function'
  );
}

const JOB_FILE = /\.(ts|mts|js|mjs)$/;
const NOT_JOB_FILE = /(\.d\.ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

/** Imports every module of the configured jobs folder (and its subfolders) and keeps its Job classes. */
async function loadJobsDir(
  dir: string,
  loader: ReturnType<typeof makeLoader>,
  configFile: string,
  env: LoadProjectOptions['env'],
) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError(
      'JOBS_DIR_MISSING',
      `${configFile}: jobsDir points at ${dir}, which is not a folder (create it, or run 'artisan make:job MyJob')`,
    );
  }
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => JOB_FILE.test(f) && !NOT_JOB_FILE.test(f))
    .sort();
  const classes: JobClass[] = [];
  for (const file of files) {
    const path = join(dir, file);
    let exports: Record<string, unknown>;
    try {
      exports = (await importWithin(loader, path, env)) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(
        'JOB_FILE_BROKEN',
        `Cannot load job file ${relative(process.cwd(), path)}: ${describeThrown(error)}`,
        {
          cause: error,
        },
      );
    }
    for (const value of Object.values(exports)) {
      if (!isJobClass(value)) continue;
      classes.push(value);
      // An isolated class without `static module` is found again in its isolate through this file.
      rememberJobModule(value, path);
    }
  }
  return classes;
}

/** The settings part of the project, for the app's global dispatcher. */
export interface ProjectSettings {
  root: string;
  configFile: string | null;
  overrides: Partial<JobConfig>;
}

/**
 * The same file, found and checked the same way as for `artisan`, read synchronously for the
 * app's `jobDispatcher()` (which is synchronous). Only the settings are kept: the app registers
 * its own classes, and a second copy of them loaded here would be a different class.
 */
export function loadProjectSettingsSync(cwd: string): ProjectSettings {
  const configFile = findConfigFile(cwd);
  if (!configFile) {
    const root = resolve(cwd);
    return { root, configFile: null, overrides: withAbsolutePaths({}, root) };
  }
  const root = dirname(configFile);
  let loaded: unknown;
  try {
    const module = makeLoader(root)(configFile) as { default?: unknown } | undefined;
    loaded = module?.default;
  } catch (error) {
    throw new ConfigError(
      'CONFIG_BROKEN',
      `Cannot load ${configFile} for jobDispatcher(): ${(error as Error).message}\n` +
        'The app reads it synchronously: it may not use top-level await.',
      { cause: error },
    );
  }
  const { jobs: _jobs, jobsDir: _dir, ...settings } = validateConfig(loaded, configFile);
  return { root, configFile, overrides: withAbsolutePaths(settings, root) };
}
