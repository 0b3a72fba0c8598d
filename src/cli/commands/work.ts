import type { Command } from 'commander';
import type { JobDispatcher } from '../../dispatcher.js';
import { InvalidJobError, StoreLostError } from '../../errors.js';
import type { JobEventBase } from '../../events.js';
import { setLongTimeout } from '../../long-timer.js';
import { assertQueueName } from '../../validation.js';
import { type CliContext, describeStore, println, reachStore } from '../context.js';
import { formatDuration, parseCount, parseList, parsePositive } from '../format.js';
import { storeScheduleDefinitions } from './schedule.js';

interface WorkOptions {
  queue?: string;
  concurrency?: number;
  maxJobs?: number;
  maxTime?: number;
  memory?: number;
  grace?: number;
  jsonLogs?: boolean;
  metricsPort?: number;
  metricsHost?: string;
  schedule?: boolean;
}

export function registerWork(program: Command, ctx: CliContext): void {
  program
    .command('queue:work')
    .description('Run workers until SIGTERM or SIGINT, then stop gracefully')
    .option(
      '--queue <names>',
      'comma-separated queues in order: one pool takes from the first with due work (default: the default queue)',
    )
    .option(
      '--concurrency <n>',
      'jobs at once in the pool (default: JOB_WORKER_CONCURRENCY, 5)',
      parseCount('--concurrency', 1, 10_000),
    )
    .option(
      '--max-jobs <n>',
      'exit 0 after this many jobs, for a supervisor to restart',
      parseCount('--max-jobs'),
    )
    .option(
      '--max-time <seconds>',
      'exit 0 after this long (up to a year)',
      parsePositive('--max-time', MAX_RUN_SECONDS),
    )
    .option(
      '--memory <mb>',
      'exit 0 once resident memory passes this many MB',
      parsePositive('--memory', 1_048_576),
    )
    .option(
      '--grace <seconds>',
      'time running jobs get to finish at stop (default: JOB_SHUTDOWN_GRACE, 30)',
      parsePositive('--grace', 2_000_000),
    )
    .option('--json-logs', 'one JSON object per line instead of text')
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics at http://127.0.0.1:<port>/metrics',
      parseCount('--metrics-port', 0, 65_535),
    )
    .option('--metrics-host <host>', 'interface for --metrics-port (default 127.0.0.1; 0.0.0.0 for all)')
    .option(
      '--schedule',
      'also run the scheduler (as artisan schedule:work does), storing the config file’s schedules',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:work
  $ artisan queue:work --queue emails,default --concurrency 10
  $ artisan queue:work --max-jobs 1000 --max-time 3600 --memory 512   recycle under a supervisor
  $ artisan queue:work --json-logs | your-log-shipper
  $ artisan queue:work --metrics-port 9464                  needs the prom-client package

Prints one line per job start, finish, retry and failure. On SIGTERM or SIGINT it stops taking
jobs, lets running ones finish within the grace time, puts the rest back (their attempt is not
counted) and exits 0; a second signal exits at once with 130. --max-jobs, --max-time and
--memory exit 0 the same way, so that systemd, supervisord or Kubernetes start a fresh process.
A fatal error (the store unreachable at start, a broken config) exits 1.`,
    )
    .action((options: WorkOptions) => work(ctx, options));
}

/** The longest --max-time: a year, so a typo cannot keep a worker from recycling for ever. */
const MAX_RUN_SECONDS = 366 * 24 * 3600;

/** The queues of --queue, checked before anything starts: a list of names, none of them empty. */
function workQueues(option: string | undefined, defaultQueue: string): string[] {
  const queues = [...new Set(parseList(option ?? defaultQueue))];
  if (queues.length === 0) {
    throw new InvalidJobError(
      'INVALID_QUEUE_NAME',
      `--queue ${JSON.stringify(option)} names no queue: give one or more queue names separated by commas, e.g. --queue emails,default`,
    );
  }
  for (const queue of queues) assertQueueName(queue);
  return queues;
}

type StopReason =
  | { kind: 'signal'; signal: string }
  | { kind: 'recycle'; why: string }
  | { kind: 'lost'; error: Error };

async function work(ctx: CliContext, options: WorkOptions): Promise<void> {
  const { dispatcher, config, project } = await ctx.openDispatcher({ required: true, loadJobs: true });
  const log = makeLogger(ctx, Boolean(options.jsonLogs));
  let queues: string[];
  try {
    queues = workQueues(options.queue, config.defaultQueue);
  } catch (error) {
    await dispatcher.close({ graceSeconds: 0 }).catch(() => {});
    throw error;
  }
  const concurrency = options.concurrency ?? config.workerConcurrency;

  let stop!: (reason: StopReason) => void;
  const stopped = new Promise<StopReason>((resolve) => (stop = resolve));
  let processed = 0;
  const counted = () => {
    processed++;
    if (options.maxJobs !== undefined && processed >= options.maxJobs) {
      stop({ kind: 'recycle', why: `processed ${jobCount(processed)} (--max-jobs ${options.maxJobs})` });
    }
  };
  watchJobs(dispatcher, log, counted);
  // The store is gone for good (a SQLite file deleted or replaced): exit 1, so that a supervisor
  // starts a process that opens the store anew.
  dispatcher.on('worker:error', ({ error }) => {
    if (error instanceof StoreLostError) stop({ kind: 'lost', error });
  });

  let signals = 0;
  const removeSignalHandler = ctx.onShutdownSignal((signal) => {
    signals++;
    if (signals === 1) return stop({ kind: 'signal', signal });
    log.event(
      'warn',
      'worker:forced',
      `${signal} again: exiting now, unfinished jobs come back when their lease runs out`,
    );
    ctx.exitCode = 130;
    ctx.forceExit(130);
  });
  const timers: NodeJS.Timeout[] = [];
  const cancels: Array<() => void> = [];
  let metrics: { url: string; close(): Promise<void> } | undefined;
  try {
    await reachStore(ctx, dispatcher, config);
    // Said before the workers start: the first jobs' lines follow at once.
    log.event(
      'info',
      'worker:ready',
      `Working ${queues.map((q) => `'${q}'`).join(', ')} with concurrency ${concurrency} on ${describeStore(config)}; ` +
        `${dispatcher.registry.names().length} job classes (${project.configFile ?? 'no config file'}). Stop with Ctrl+C.`,
      { queues, concurrency, pid: process.pid, jobs: dispatcher.registry.names() },
    );
    if (dispatcher.registry.names().length === 0) {
      log.event(
        'warn',
        'worker:no-jobs',
        `No job classes are registered (${project.configFile ?? 'no config file'}): every job this worker takes will fail as unknown. ` +
          'Set jobsDir or jobs in jobwright.config.ts (artisan make:job writes a job there).',
        { configFile: project.configFile },
      );
    }
    if (options.metricsPort !== undefined) {
      // Loaded only when asked for: it needs the optional prom-client peer.
      const { startMetricsServer } = await import('../../metrics/metrics-server.js');
      metrics = await startMetricsServer({
        port: options.metricsPort,
        host: options.metricsHost,
        dispatcher,
      });
      log.event('info', 'metrics:ready', `Metrics at ${metrics.url}`, { url: metrics.url });
    }
    // After the metrics listeners: the first jobs finish at once and must be counted.
    // One pool over the queues in order (Laravel's --queue high,default), not a pool per queue.
    await dispatcher.startWorker(queues.length === 1 ? queues[0]! : queues, concurrency);
    if (options.schedule) {
      await storeScheduleDefinitions(dispatcher, project.schedules);
      await dispatcher.startScheduler();
    }
  } catch (error) {
    removeSignalHandler();
    await metrics?.close().catch(() => {});
    await dispatcher.close({ graceSeconds: 0 }).catch(() => {});
    throw error;
  }
  if (options.maxTime !== undefined) {
    const seconds = options.maxTime;
    // In steps: one timer past 2^31-1 ms (about 24.8 days) would fire at once.
    cancels.push(
      setLongTimeout(() => stop({ kind: 'recycle', why: `ran ${seconds} s (--max-time)` }), seconds * 1000),
    );
  }
  if (options.memory !== undefined) {
    const limit = options.memory * 1024 * 1024;
    timers.push(
      setInterval(() => {
        const rss = ctx.memoryUsage();
        if (rss > limit) {
          stop({
            kind: 'recycle',
            why: `memory ${Math.round(rss / 1048576)} MB is over --memory ${options.memory}`,
          });
        }
      }, 1000),
    );
  }

  const reason = await stopped;
  for (const timer of timers) clearTimeout(timer);
  for (const cancel of cancels) cancel();
  const why =
    reason.kind === 'signal'
      ? `received ${reason.signal}`
      : reason.kind === 'lost'
        ? 'the store is gone'
        : `recycling: ${reason.why}`;
  const grace = options.grace ?? config.shutdownGraceSeconds;
  log.event('info', 'worker:stopping', `Stopping (${why}); running jobs get up to ${grace} s`, {
    reason: why,
  });
  try {
    await dispatcher.close({ graceSeconds: grace });
    await metrics?.close();
  } finally {
    removeSignalHandler();
  }
  log.event('info', 'worker:exit', `Stopped after ${jobCount(processed)}.`, { processed });
  if (reason.kind === 'lost') throw reason.error;
}

interface Logger {
  job(
    kind: 'start' | 'done' | 'retry' | 'failed' | 'lost' | 'released',
    e: JobEventBase,
    extra?: Record<string, unknown>,
  ): void;
  event(
    level: 'info' | 'warn' | 'error',
    event: string,
    message: string,
    extra?: Record<string, unknown>,
  ): void;
}

function makeLogger(ctx: CliContext, json: boolean): Logger {
  const c = ctx.colors;
  const label = {
    start: c.yellow('RUNNING'),
    done: c.green('DONE   '),
    retry: c.magenta('RETRY  '),
    failed: c.red('FAILED '),
    lost: c.red('LOST   '),
    released: c.cyan('RELEASE'),
  };
  return {
    job(kind, e, extra = {}) {
      const time = new Date().toISOString();
      if (json) {
        const level = kind === 'failed' || kind === 'lost' ? 'error' : kind === 'retry' ? 'warn' : 'info';
        const fields = {
          time,
          level,
          event: `job:${kind}`,
          jobId: e.jobId,
          jobName: e.jobName,
          queue: e.queueName,
        };
        println(ctx, JSON.stringify({ ...fields, attempt: e.attempt, maxAttempts: e.maxAttempts, ...extra }));
        return;
      }
      let tail = `attempt ${e.attempt}/${e.maxAttempts}`;
      if (typeof extra.durationMs === 'number') tail += `  ${formatDuration(extra.durationMs)}`;
      if (typeof extra.retryInSeconds === 'number')
        tail += `  retry in ${formatDuration(extra.retryInSeconds * 1000)}`;
      if (typeof extra.error === 'string') tail += `  ${extra.error}`;
      println(ctx, `${c.dim(time)} ${label[kind]} ${e.jobName} ${c.dim(e.jobId)} [${e.queueName}] ${tail}`);
    },
    event(level, event, message, extra = {}) {
      const time = new Date().toISOString();
      const stream = level === 'info' ? ctx.stdout : ctx.stderr;
      if (json) stream.write(`${JSON.stringify({ time, level, event, message, ...extra })}\n`);
      else stream.write(`${c.dim(time)} ${level === 'info' ? message : c.yellow(message)}\n`);
    },
  };
}

function watchJobs(dispatcher: JobDispatcher, log: Logger, counted: () => void): void {
  dispatcher.on('job:processing', (e) => log.job('start', e, { waitMs: e.waitMs }));
  dispatcher.on('job:completed', (e) => {
    log.job('done', e, { durationMs: e.durationMs });
    counted();
  });
  dispatcher.on('job:retrying', (e) => {
    log.job('retry', e, {
      durationMs: e.durationMs,
      retryInSeconds: e.retryInSeconds,
      error: e.error.message,
    });
    counted();
  });
  dispatcher.on('job:failed', (e) => {
    log.job('failed', e, { durationMs: e.durationMs, error: e.error.message });
    // A job failed by the lease sweep was not run here: it does not count towards --max-jobs.
    if (e.durationMs !== null) counted();
  });
  dispatcher.on('job:lease-lost', (e) => log.job('lost', e));
  dispatcher.on('job:released', (e) =>
    log.job('released', e, { durationMs: e.durationMs, retryInSeconds: e.delaySeconds }),
  );
  dispatcher.on('worker:error', (e) =>
    log.event('error', 'worker:error', `Worker ${e.workerId} (queue '${e.queue}'): ${e.error.message}`, {
      workerId: e.workerId,
      queue: e.queue,
      error: e.error.message,
    }),
  );
}

function jobCount(n: number): string {
  return `${n} ${n === 1 ? 'job' : 'jobs'}`;
}
