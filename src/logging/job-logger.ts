import { type Level, type LevelWithSilent, type Logger, pino } from 'pino';
import type { JobDispatcher } from '../dispatcher.js';
import { ConfigError } from '../errors.js';
import type { JobEventBase, JobEventName, JobEvents } from '../events.js';

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface AttachLoggerOptions {
  /** A pino logger to write through (a child of your app's logger); one is made when omitted. */
  logger?: Logger;
  /** Threshold of the logger made here; defaults to JOBWRIGHT_LOG_LEVEL, else 'info'. */
  level?: LevelWithSilent;
  /** Where the logger made here writes; stdout by default. */
  destination?: pino.DestinationStream;
  env?: Record<string, string | undefined>;
}

export interface AttachedLogger {
  logger: Logger;
  /** Stops logging this dispatcher's events. */
  detach(): void;
}

/** Reads JOBWRIGHT_LOG_LEVEL; a value pino does not know is a start-up error, not a silent default. */
export function logLevelFromEnv(env: Record<string, string | undefined> = process.env): LevelWithSilent {
  const raw = env.JOBWRIGHT_LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(
      'INVALID_CONFIG',
      `JOBWRIGHT_LOG_LEVEL=${JSON.stringify(env.JOBWRIGHT_LOG_LEVEL)} is not valid: use one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return raw as LevelWithSilent;
}

function fields(e: JobEventBase) {
  return {
    jobId: e.jobId,
    jobName: e.jobName,
    queue: e.queueName,
    attempt: e.attempt,
    maxAttempts: e.maxAttempts,
  };
}

/** Error text only: the message was already scrubbed of sensitive values by the worker. */
function errorFields(error: Error) {
  return { type: error.name, message: error.message, stack: error.stack };
}

const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);

type Handler<K extends JobEventName> = [K, Level, string, (payload: JobEvents[K]) => Record<string, unknown>];

/** Each event, the level it logs at, its message, and its fields. */
const HANDLERS: Array<Handler<JobEventName>> = [
  [
    'job:dispatched',
    'debug',
    'job dispatched',
    (e: JobEvents['job:dispatched']) => ({ ...fields(e), delayMs: e.delayMs }),
  ],
  [
    'job:processing',
    'debug',
    'job started',
    (e: JobEvents['job:processing']) => ({ ...fields(e), waitMs: round(e.waitMs) }),
  ],
  [
    'job:completed',
    'info',
    'job completed',
    (e: JobEvents['job:completed']) => ({ ...fields(e), durationMs: round(e.durationMs) }),
  ],
  [
    'job:retrying',
    'warn',
    'job attempt failed, will retry',
    (e: JobEvents['job:retrying']) => ({
      ...fields(e),
      durationMs: round(e.durationMs),
      retryInSeconds: e.retryInSeconds,
      err: errorFields(e.error),
    }),
  ],
  [
    'job:failed',
    'error',
    'job failed',
    (e: JobEvents['job:failed']) => ({
      ...fields(e),
      durationMs: round(e.durationMs),
      err: errorFields(e.error),
    }),
  ],
  [
    'job:released',
    'info',
    'job released, due again later',
    (e: JobEvents['job:released']) => ({
      ...fields(e),
      durationMs: round(e.durationMs),
      delaySeconds: e.delaySeconds,
    }),
  ],
  [
    'job:lease-lost',
    'warn',
    'job lease lost; its result was not recorded',
    (e: JobEvents['job:lease-lost']) => fields(e),
  ],
  [
    'worker:started',
    'info',
    'worker started',
    (e: JobEvents['worker:started']) => ({
      workerId: e.workerId,
      queue: e.queue,
      concurrency: e.concurrency,
    }),
  ],
  [
    'worker:stopped',
    'info',
    'worker stopped',
    (e: JobEvents['worker:stopped']) => ({ workerId: e.workerId, queue: e.queue, released: e.released }),
  ],
  [
    'worker:error',
    'error',
    'worker error',
    (e: JobEvents['worker:error']) => ({ workerId: e.workerId, queue: e.queue, err: errorFields(e.error) }),
  ],
] as Array<Handler<JobEventName>>;

/**
 * Writes one structured (JSON) line per job and worker event of `dispatcher` through pino:
 * job id, name, queue, attempt, duration and error. Returns the logger and a `detach()`.
 */
export function attachLogger(dispatcher: JobDispatcher, options: AttachLoggerOptions = {}): AttachedLogger {
  const logger =
    options.logger ??
    pino(
      {
        name: 'jobwright',
        level: options.level ?? logLevelFromEnv(options.env),
        // Belt and braces: payloads are never logged, but a field by these names is hidden if one is.
        redact: { paths: ['payload', '*.payload'], censor: '[REDACTED]' },
      },
      options.destination,
    );
  if (options.logger && options.level) logger.level = options.level;
  const listeners: Array<[JobEventName, (payload: never) => void]> = [];
  for (const [event, level, message, build] of HANDLERS) {
    const listener = (payload: JobEvents[typeof event]) => {
      if (logger.isLevelEnabled(level)) logger[level]({ event, ...build(payload) }, message);
    };
    dispatcher.events.on(event, listener as never);
    listeners.push([event, listener as (payload: never) => void]);
  }
  return {
    logger,
    detach() {
      for (const [event, listener] of listeners.splice(0)) dispatcher.events.off(event, listener as never);
    },
  };
}
