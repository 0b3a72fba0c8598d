import { ConfigError } from './errors.js';
import { MAX_DELAY_SECONDS } from './time-rules.js';

export type ConnectionName = 'sqlite' | 'database' | 'redis' | 'memory';
export type RetryBackoff = 'fixed' | 'exponential';

/** The settings of the seed's `JobConfig`, plus where the jobs are stored. */
export interface JobConfig {
  connection: ConnectionName;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** SQLite file of the default store. */
  sqlitePath: string;
  /** PostgreSQL schema of the jobs tables. */
  databaseSchema: string;
  /** Prefix of every Redis key. */
  redisPrefix: string;
  defaultQueue: string;
  maxAttempts: number;
  /** Seconds between retries (the base of the exponential backoff when that is chosen). */
  retryDelay: number;
  retryBackoff: RetryBackoff;
  /** Seconds one attempt may run. */
  timeout: number;
  workerConcurrency: number;
  /** Jobs a busy worker may hold ahead of its free slots, uncharged (0: none). */
  workerPrefetch: number;
  maxPayloadBytes: number;
  /** Seconds running jobs get to finish when a worker stops. */
  shutdownGraceSeconds: number;
  /** How often an idle worker looks for due work when no wake-up arrives. */
  pollIntervalMs: number;
  /** Heartbeat window: a dead worker's jobs are due again this long (plus the grace) after its last heartbeat. */
  leaseSeconds: number;
  leaseGraceSeconds: number;
  /** Record each attempt (history) and per-minute metrics in the store: 'on' (default) or 'off'. */
  history: 'on' | 'off';
}

interface Setting {
  env: string;
  key: keyof JobConfig;
  /** Checks a typed value (from the config file or code); the environment's text is converted first. */
  valid: (value: unknown) => boolean;
  accepts: string;
}

/** The largest `maxPayloadBytes` accepted. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/*
 * Every duration is bounded below Node's longest timer (2^31-1 ms, about 24.8 days): past it a
 * timer fires at once, which would turn a long grace into none and a long lease into a
 * heartbeat every millisecond. One table serves the environment, the config file and code.
 */
const wholeNumber = (min: number, max: number) => (value: unknown) =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
const seconds = (min: number, max: number) => (value: unknown) =>
  Number.isFinite(value) && (value as number) >= min && (value as number) <= max;
const positiveSeconds = (max: number) => (value: unknown) =>
  Number.isFinite(value) && (value as number) > 0 && (value as number) <= max;
const oneOf =
  (...choices: string[]) =>
  (value: unknown) =>
    typeof value === 'string' && choices.includes(value);
const matching = (pattern: RegExp) => (value: unknown) => typeof value === 'string' && pattern.test(value);

const SETTINGS: Setting[] = [
  {
    env: 'JOB_WORKER_CONCURRENCY',
    key: 'workerConcurrency',
    valid: wholeNumber(1, 10_000),
    accepts: 'a whole number from 1 to 10000',
  },
  {
    env: 'JOB_WORKER_PREFETCH',
    key: 'workerPrefetch',
    valid: wholeNumber(0, 10_000),
    accepts: 'a whole number from 0 to 10000',
  },
  {
    env: 'JOB_MAX_RETRY_ATTEMPTS',
    key: 'maxAttempts',
    valid: wholeNumber(1, 1_000_000),
    accepts: 'a whole number from 1 to 1000000',
  },
  {
    env: 'JOB_RETRY_DELAY',
    key: 'retryDelay',
    valid: seconds(0, MAX_DELAY_SECONDS),
    accepts: `seconds, 0 or more, up to ${MAX_DELAY_SECONDS} (ten years)`,
  },
  {
    env: 'JOB_RETRY_BACKOFF',
    key: 'retryBackoff',
    valid: oneOf('fixed', 'exponential'),
    accepts: "'fixed' or 'exponential'",
  },
  {
    env: 'JOB_DEFAULT_TIMEOUT',
    key: 'timeout',
    valid: positiveSeconds(2_000_000),
    accepts: 'seconds above 0, up to 2000000',
  },
  {
    env: 'JOB_DEFAULT_QUEUE',
    key: 'defaultQueue',
    valid: matching(/^[A-Za-z0-9\-_.:]{1,255}$/),
    accepts: '1 to 255 letters, digits or - _ . :',
  },
  {
    env: 'JOB_MAX_PAYLOAD_BYTES',
    key: 'maxPayloadBytes',
    valid: wholeNumber(1, MAX_PAYLOAD_BYTES),
    accepts: `a whole number of bytes from 1 to ${MAX_PAYLOAD_BYTES} (64 MiB)`,
  },
  {
    env: 'JOB_SHUTDOWN_GRACE',
    key: 'shutdownGraceSeconds',
    valid: seconds(0, 2_000_000),
    accepts: 'seconds, 0 or more, up to 2000000',
  },
  {
    env: 'JOB_POLL_INTERVAL_MS',
    key: 'pollIntervalMs',
    valid: wholeNumber(5, 3_600_000),
    accepts: 'milliseconds, 5 or more, up to 3600000 (one hour)',
  },
  {
    env: 'JOB_LEASE_SECONDS',
    key: 'leaseSeconds',
    valid: seconds(0.1, 86_400),
    accepts: 'seconds from 0.1 to 86400 (one day)',
  },
  {
    env: 'JOB_LEASE_GRACE_SECONDS',
    key: 'leaseGraceSeconds',
    valid: seconds(0, 86_400),
    accepts: 'seconds, 0 or more, up to 86400 (one day)',
  },
  {
    env: 'JOBWRIGHT_SQLITE_PATH',
    key: 'sqlitePath',
    valid: matching(/^[\s\S]{1,4096}$/),
    accepts: 'a file path',
  },
  {
    env: 'JOBWRIGHT_DB_SCHEMA',
    key: 'databaseSchema',
    valid: matching(/^[a-z_][a-z0-9_]{0,62}$/),
    accepts: '1 to 63 lowercase letters, digits or _, starting with a letter or _',
  },
  {
    env: 'JOBWRIGHT_HISTORY',
    key: 'history',
    valid: oneOf('on', 'off'),
    accepts: "'on' or 'off'",
  },
  {
    env: 'JOBWRIGHT_REDIS_PREFIX',
    key: 'redisPrefix',
    valid: matching(/^[A-Za-z0-9_.-]{1,64}$/),
    accepts: '1 to 64 letters, digits or _ . - (no colon)',
  },
];

const NUMERIC: ReadonlySet<keyof JobConfig> = new Set([
  'workerConcurrency',
  'workerPrefetch',
  'maxAttempts',
  'retryDelay',
  'timeout',
  'maxPayloadBytes',
  'shutdownGraceSeconds',
  'pollIntervalMs',
  'leaseSeconds',
  'leaseGraceSeconds',
]);

/** Checks settings given as values (jobwright.config.ts, `new JobDispatcher({ config })`, configure()). */
export function checkSettings(overrides: Partial<JobConfig>): void {
  for (const setting of SETTINGS) {
    const given = overrides[setting.key];
    if (given === undefined) continue;
    if (!setting.valid(given)) {
      throw new ConfigError(
        'INVALID_CONFIG',
        `The setting ${setting.key}: ${describeValue(given)} is not valid: use ${setting.accepts} (environment variable ${setting.env})`,
      );
    }
  }
  if (overrides.connection !== undefined && !CONNECTIONS.includes(overrides.connection)) {
    throw new ConfigError(
      'INVALID_CONFIG',
      `The setting connection: ${describeValue(overrides.connection)} is not valid: use one of ${CONNECTIONS.join(', ')}`,
    );
  }
}

/** The environment's text as the setting's type: a number for numeric settings. */
function fromEnv(setting: Setting, raw: string): unknown {
  const text = raw.trim();
  return NUMERIC.has(setting.key) ? Number(text) : text;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 80));
  if (typeof value === 'function') return 'a function';
  return String(value);
}

export const DEFAULT_CONFIG: JobConfig = {
  connection: 'sqlite',
  databaseUrl: null,
  redisUrl: null,
  sqlitePath: './storage/jobs.sqlite',
  databaseSchema: 'public',
  redisPrefix: 'jobwright',
  history: 'on',
  defaultQueue: 'default',
  maxAttempts: 3,
  retryDelay: 60,
  retryBackoff: 'fixed',
  timeout: 300,
  workerConcurrency: 5,
  workerPrefetch: 200,
  maxPayloadBytes: 1024 * 1024,
  shutdownGraceSeconds: 30,
  pollIntervalMs: 1000,
  leaseSeconds: 30,
  leaseGraceSeconds: 5,
};

const CONNECTIONS: ConnectionName[] = ['sqlite', 'database', 'redis', 'memory'];

/**
 * Reads the configuration from environment variables, on top of `overrides` (from
 * `jobwright.config.ts` or code, checked by the same rules). A bad value throws a `ConfigError` naming the variable and what it
 * accepts; nothing falls back silently.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<JobConfig> = {},
): JobConfig {
  checkSettings(overrides);
  const config: JobConfig = { ...DEFAULT_CONFIG, ...overrides };
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw === undefined || raw.trim() === '') continue;
    const value = fromEnv(setting, raw);
    if (!setting.valid(value)) {
      throw new ConfigError(
        'INVALID_CONFIG',
        `${setting.env}=${JSON.stringify(raw)} is not valid: use ${setting.accepts}`,
      );
    }
    (config as unknown as Record<string, unknown>)[setting.key] = value;
  }
  const databaseUrl = nonEmpty(env.DATABASE_URL) ?? config.databaseUrl;
  const redisUrl = nonEmpty(env.REDIS_URL) ?? config.redisUrl;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(
      'INVALID_CONFIG',
      'DATABASE_URL must be a postgres:// or postgresql:// connection string',
    );
  }
  if (redisUrl !== null && !/^rediss?(\+cluster)?:\/\//.test(redisUrl)) {
    throw new ConfigError(
      'INVALID_CONFIG',
      'REDIS_URL must be a redis:// or rediss:// URL, or redis+cluster://host:port,host:port for Redis Cluster',
    );
  }
  config.databaseUrl = databaseUrl;
  config.redisUrl = redisUrl;
  const explicit = nonEmpty(env.QUEUE_CONNECTION);
  if (explicit !== null) {
    if (!CONNECTIONS.includes(explicit as ConnectionName)) {
      throw new ConfigError(
        'INVALID_CONFIG',
        `QUEUE_CONNECTION=${JSON.stringify(explicit)} is not valid: use one of ${CONNECTIONS.join(', ')}`,
      );
    }
    config.connection = explicit as ConnectionName;
  } else if (!overrides.connection) {
    config.connection = databaseUrl ? 'database' : redisUrl ? 'redis' : 'sqlite';
  }
  // Name the setting the user actually wrote: the variable, or the config's `connection`.
  const chosenBy =
    explicit !== null
      ? `QUEUE_CONNECTION=${config.connection}`
      : `connection: '${config.connection}' (jobwright.config.ts or configure())`;
  if (config.connection === 'database' && !config.databaseUrl) {
    throw new ConfigError(
      'INVALID_CONFIG',
      `${chosenBy} needs DATABASE_URL=postgres://user@host/db (or databaseUrl in the config)`,
    );
  }
  if (config.connection === 'redis' && !config.redisUrl) {
    throw new ConfigError(
      'INVALID_CONFIG',
      `${chosenBy} needs REDIS_URL=redis://host:6379 (or redisUrl in the config)`,
    );
  }
  return config;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim();
}

/** Exponential backoff with full jitter between half and all of the step: base·2^(attempt-1), capped. */
export function exponentialBackoff(attempt: number, baseSeconds: number, capSeconds = 3600): number {
  const step = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return step / 2 + Math.random() * (step / 2);
}

/** The job defaults a config implies. */
export interface JobDefaults {
  defaultQueue: string;
  maxAttempts: number;
  timeout: number | null;
  retryDelay(attempt: number): number;
}

export function defaultsOf(config: JobConfig): JobDefaults {
  return {
    defaultQueue: config.defaultQueue,
    maxAttempts: config.maxAttempts,
    timeout: config.timeout,
    retryDelay: (attempt) =>
      config.retryBackoff === 'exponential'
        ? exponentialBackoff(attempt, config.retryDelay)
        : config.retryDelay,
  };
}

let cachedDefaults: JobDefaults | undefined;

/** Defaults from the environment, read once; what `Job`'s default methods return. */
export function jobDefaults(): JobDefaults {
  cachedDefaults ??= defaultsOf(loadConfig());
  return cachedDefaults;
}
