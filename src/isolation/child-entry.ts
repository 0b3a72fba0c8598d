/**
 * The program of an isolated worker thread or child process: it waits for `run` messages, runs
 * one job at a time and answers with its result or error. It trusts its parent only: the module
 * it imports is the one the job's class names in code, sent by the worker that started it.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Job, JobContext } from '../job.js';
import { assignSafely, decodePayload } from '../payload.js';
import type { FromIsolate, RunTask, ToIsolate } from './protocol.js';
import { toWire } from './protocol.js';
import { IsolationError } from './settings.js';

type JobClassLike = { prototype: Job; deserialize?: (payload: unknown) => Job };

/** True when started through the TypeScript bootstrap (running from source): `import()` reads .ts. */
const typeScriptLoaded =
  (isMainThread ? process.argv[3] : (workerData as { typeScript?: string } | null)?.typeScript) === '1';

const send: (message: FromIsolate) => void = isMainThread
  ? (message) => process.send?.(message)
  : (message) => parentPort?.postMessage(message);

const classes = new Map<string, JobClassLike>();
let jiti: { import(id: string): Promise<unknown> } | undefined;
let projectJiti: { import(id: string): Promise<unknown> } | undefined;
let current: { id: number; controller: AbortController } | undefined;
const progressWaiters = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let progressSeq = 0;

async function importModule(url: string, project: boolean): Promise<Record<string, unknown>> {
  if (project) {
    // A jobsDir file, loaded as artisan loads it: its `import ... from 'jobwright'` is this package.
    const { createJiti } = await import('jiti');
    const jobwright = await import('../index.js');
    projectJiti ??= createJiti(import.meta.url, {
      virtualModules: { jobwright },
      interopDefault: false,
      moduleCache: true,
    });
    return (await projectJiti.import(url)) as Record<string, unknown>;
  }
  if (/\.[mc]?tsx?$/.test(url) && !typeScriptLoaded) {
    // A TypeScript job file under a compiled worker (a project run by tsx or artisan): jiti reads it.
    const { createJiti } = await import('jiti');
    jiti ??= createJiti(import.meta.url, { moduleCache: true });
    return (await jiti.import(url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

/** The name a class answers to, as the registry computes it. */
function nameOf(value: { prototype: Job; name: string }): string {
  try {
    return (Object.create(value.prototype) as Job).jobName();
  } catch {
    return value.name;
  }
}

async function findClass(url: string, project: boolean, jobName: string): Promise<JobClassLike> {
  const key = `${jobName}\n${url}`;
  const known = classes.get(key);
  if (known) return known;
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(url, project);
  } catch (error) {
    throw new IsolationError(
      'JOB_MODULE_NOT_LOADED',
      `Cannot load ${url} for ${jobName} in the isolated worker: ${(error as Error).message}`,
    );
  }
  for (const value of Object.values(exports)) {
    if (typeof value !== 'function' || typeof value.prototype?.handle !== 'function') continue;
    if (nameOf(value as { prototype: Job; name: string }) !== jobName) continue;
    classes.set(key, value as JobClassLike);
    return value as JobClassLike;
  }
  throw new IsolationError(
    'JOB_CLASS_NOT_EXPORTED',
    `${url} exports no job class named '${jobName}': export the class from the module its \`static module\` names`,
  );
}

async function run(task: RunTask): Promise<void> {
  const controller = new AbortController();
  current = { id: task.id, controller };
  try {
    const cls = await findClass(task.module, task.project, task.jobName);
    const payload = decodePayload(task.payload);
    const job =
      typeof cls.deserialize === 'function'
        ? cls.deserialize(payload)
        : assignSafely(Object.create(cls.prototype) as Job, payload);
    const ctx: JobContext = {
      signal: controller.signal,
      attempt: task.attempt,
      maxAttempts: task.maxAttempts,
      jobId: task.jobId,
      queueName: task.queueName,
      batchId: task.batchId ?? null,
      jobName: task.jobName,
      release: (delaySeconds = 0) => {
        // Checked here too, so a bad delay fails the attempt where it was asked for.
        if (typeof delaySeconds !== 'number' || !Number.isFinite(delaySeconds) || delaySeconds < 0) {
          throw new Error(`ctx.release(${String(delaySeconds)}): give a number of seconds, 0 or more`);
        }
        send({ t: 'release', id: task.id, delaySeconds });
      },
      progress: (value) => reportProgress(task.id, value),
    };
    const result: unknown = await job.handle(ctx);
    send({ t: 'done', id: task.id, result: result === undefined ? undefined : JSON.stringify(result) });
  } catch (error) {
    send({ t: 'failed', id: task.id, error: toWire(error) });
  } finally {
    current = undefined;
  }
}

/** Sends progress to the worker and resolves once it was accepted there (or rejects with its error). */
function reportProgress(id: number, value: unknown): Promise<void> {
  let text: string;
  try {
    text = JSON.stringify(value ?? null);
  } catch (error) {
    return Promise.reject(error);
  }
  const seq = ++progressSeq;
  return new Promise((resolve, reject) => {
    progressWaiters.set(seq, { resolve, reject });
    send({ t: 'progress', id, seq, value: text });
  });
}

function onMessage(message: ToIsolate): void {
  if (message.t === 'run') void run(message.task);
  else if (message.t === 'abort') {
    if (current?.id === message.id) {
      const reason = new Error(message.reason.message);
      reason.name = message.reason.name;
      current.controller.abort(reason);
    }
  } else if (message.t === 'progress-ack') {
    const waiter = progressWaiters.get(message.seq);
    progressWaiters.delete(message.seq);
    if (message.error) waiter?.reject(new Error(message.error.message));
    else waiter?.resolve();
  }
}

if (isMainThread) {
  // A child process: report an uncaught error before dying, so the attempt's error names it.
  const die = (error: unknown) => {
    if (process.connected) process.send?.({ t: 'fatal', error: toWire(error) }, () => process.exit(1));
    else process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  // The worker went away: nothing is left to report to.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message) => onMessage(message as ToIsolate));
} else {
  // A thread's uncaught error reaches the worker through the Worker's 'error' event.
  parentPort?.on('message', onMessage);
}
send({ t: 'ready' });
