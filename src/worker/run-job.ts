import type { JobDefaults } from '../config.js';
import { batchIdOfMeta } from '../drivers/composition.js';
import type { Outcome, OutcomeResult, QueueDriver, ReservedJob, StoredJob } from '../drivers/contract.js';
import type { FlowControl } from '../drivers/flow-contract.js';
import type { Keyring } from '../encryption.js';
import { InvalidJobError, JobTimeoutError, JobwrightError } from '../errors.js';
import type { JobEventBase, JobEventEmitter } from '../events.js';
import { FLOW_STORE, type JobMiddlewareObject } from '../flow/middleware.js';
import { CancelledError, classMiddleware, releaseDelayMs } from '../flow/run-flow.js';
import type { Isolation } from '../isolation/pool.js';
import { type Job, type JobContext, type JobProgress, resolveJobSettings } from '../job.js';
import { decodePayload } from '../payload.js';
import type { JobRegistry } from '../registry.js';
import { assertRetryDelay } from '../time-rules.js';
import { nextInChain, parseMeta } from './chain.js';
import { describeError, toError } from './error-text.js';
import { DEFAULT_RESULT_LIMIT_BYTES, encodeProgress, progressWriter, storeResult } from './job-data.js';
import type { OutcomeWriter } from './outcome-writer.js';
import { checkStoredPayload } from './stored-payload-check.js';

export { describeError, toError } from './error-text.js';

/**
 * Wraps a job's `handle`: activity logging, tracing and metrics hook in here.
 * Call `next()` to run the job (and the middleware after this one).
 */
export type JobMiddlewareFunction = (
  job: Job,
  ctx: JobContext,
  record: StoredJob,
  next: () => Promise<void>,
) => Promise<void>;

/** A function of the dispatcher's kind, or an object with `handle(ctx, next)` (per-class, `Job.middleware()`). */
export type JobMiddleware = JobMiddlewareFunction | JobMiddlewareObject;

export interface RunnerDeps {
  driver: QueueDriver;
  registry: JobRegistry;
  events: JobEventEmitter;
  defaults: JobDefaults;
  middleware: JobMiddleware[];
  /** Runs isolated jobs (`Job.isolation()`) in pooled threads or processes. */
  isolation?: Isolation;
  /** The worker's grouped outcome writes; without it each outcome is one `settle` call. */
  outcomes?: OutcomeWriter;
  /** Decrypts encrypted payloads; the environment's keys when absent. */
  keys?: Keyring;
  /** Bytes a result or progress value may take (the payload limit). */
  resultLimitBytes?: number;
}

/** One attempt in flight; the queue worker keeps these to heartbeat, interrupt and release them. */
export interface ActiveRun extends Interruptible {
  job: ReservedJob;
  /** Settles when the attempt has been recorded in the store (or given up). */
  done: Promise<void>;
  /** Set when the worker released the job at shutdown: its result must not be recorded. */
  released: boolean;
  /** Set when `handle` has settled: only the outcome is left to write. */
  handled: boolean;
  /**
   * Called once when `handle` has settled (or could not start): the slot may take its next job
   * while the outcome is written. The transition stays fenced by the lease token.
   */
  onAttemptEnd: () => void;
}

export function newActiveRun(job: ReservedJob): ActiveRun {
  return {
    job,
    done: Promise.resolve(),
    released: false,
    handled: false,
    interrupt: () => {},
    onAttemptEnd: () => {},
  };
}

function eventBase(job: StoredJob): JobEventBase {
  return {
    jobId: job.id,
    jobName: job.jobName,
    queueName: job.queueName,
    attempt: job.attempts,
    maxAttempts: job.maxAttempts,
  };
}

/** Rebuilds the job instance; null (after failing the job with the reason) when that is impossible. */
async function instantiate(deps: RunnerDeps, job: ReservedJob): Promise<Job | null> {
  try {
    const instance = deps.registry.instantiate(job.jobName, decodePayload(job.payload, deps.keys));
    checkStoredPayload(instance, job.payload, deps.keys);
    return instance;
  } catch (cause) {
    const error = toError(cause);
    // Retrying cannot mend an unknown name or a damaged payload: fail now, keep the queue flowing.
    const result = await writeOutcome(deps, {
      kind: 'fail',
      id: job.id,
      leaseToken: job.leaseToken,
      error: describeError(error),
    });
    if (result.status === 'ok')
      deps.events.emit('job:failed', { ...eventBase(job), durationMs: null, error });
    return null;
  }
}

/** Something whose attempt can be ended from outside (timeout, lost lease, shutdown). */
export interface Interruptible {
  /** Ends the attempt now with `reason` and aborts `ctx.signal`. */
  interrupt(reason: Error): void;
  /** What `handle` returned, set when it resolved (kept as the job's `result`). */
  result?: unknown;
  /** `ctx.progress` of this attempt; absent for inline runs, where progress is checked and dropped. */
  progress?: (value: JobProgress) => Promise<void>;
  /** `ctx.batchId` of this attempt. */
  batchId?: string | null;
  /** Set by `ctx.release(delay)`: the ms after which the job is due again. */
  releaseMs?: number;
}

/**
 * Runs `handle` through the middleware, racing interruptions (the timeout, a lost lease,
 * shutdown). Resolves to the error, or null on success. Kept lean: it runs once per job.
 * Inline jobs (`shouldQueue() === false`) run through it too.
 */
export async function runAttempt(
  middleware: JobMiddleware[],
  instance: Job,
  job: StoredJob,
  active: Interruptible,
  isolation?: Isolation,
  store?: FlowControl,
): Promise<Error | null> {
  // The AbortController is made only if the job looks at ctx.signal; most never do.
  let controller: AbortController | undefined;
  let abortReason: Error | undefined;
  const ctx: JobContext & { [FLOW_STORE]?: FlowControl } = {
    get signal() {
      controller ??= new AbortController();
      if (abortReason && !controller.signal.aborted) controller.abort(abortReason);
      return controller.signal;
    },
    attempt: job.attempts,
    maxAttempts: job.maxAttempts,
    jobId: job.id,
    queueName: job.queueName,
    batchId: active.batchId ?? null,
    progress: active.progress ?? checkProgressOnly,
    jobName: job.jobName,
    release(delaySeconds = 0) {
      active.releaseMs = releaseDelayMs(delaySeconds);
    },
    [FLOW_STORE]: store,
  };
  const interrupted = new Promise<never>((_, reject) => {
    active.interrupt = (reason) => {
      if (abortReason) return;
      abortReason = reason;
      controller?.abort(reason);
      reject(reason);
    };
  });
  let chain: JobMiddleware[];
  try {
    chain = classMiddleware(middleware, instance);
  } catch (error) {
    return toError(error);
  }
  const run = (index: number): Promise<void> => {
    const mw = chain[index];
    if (!mw) {
      return Promise.resolve()
        .then(() => (isolation ? isolation.run(instance, ctx) : instance.handle(ctx)))
        .then((value) => {
          // Kept here, innermost, so a middleware that drops next()'s value cannot lose the result.
          active.result = value;
          return value as undefined;
        });
    }
    if (typeof mw === 'function') return mw(instance, ctx, job, () => run(index + 1));
    return Promise.resolve(mw.handle(ctx, () => run(index + 1))) as Promise<void>;
  };
  const timeoutSeconds = job.timeoutSeconds;
  const timer =
    timeoutSeconds === null
      ? undefined
      : setTimeout(() => active.interrupt(new JobTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
  const started = performance.now();
  try {
    await Promise.race([run(0), interrupted]);
    // Rule 4: a job that computed past its timeout (the timer could not fire) did not complete.
    if (timeoutSeconds !== null && performance.now() - started >= timeoutSeconds * 1000) {
      return new JobTimeoutError(timeoutSeconds);
    }
    return null;
  } catch (error) {
    return toError(error);
  } finally {
    clearTimeout(timer);
  }
}

async function callFailedHook(deps: RunnerDeps, instance: Job, error: Error, job: StoredJob): Promise<void> {
  try {
    await instance.failed(error);
  } catch (hookError) {
    deps.events.emit('worker:error', {
      workerId: '',
      queue: job.queueName,
      error: new Error(
        `failed() of job ${job.id} (${job.jobName}) threw: ${describeError(toError(hookError))}`,
      ),
    });
  }
}

/** One outcome, through the worker's grouped writes when there are some. */
function writeOutcome(deps: RunnerDeps, outcome: Outcome): Promise<OutcomeResult> {
  if (deps.outcomes) return deps.outcomes.write(outcome);
  return deps.driver.settle({ outcomes: [outcome] }).then((r) => r[0] ?? { status: 'lost' });
}

/**
 * Seconds until the retry: the job's `retryDelay`, or the configured default when that throws.
 * Infinity, NaN, a negative or a non-number is not turned into 0: it throws, and the job fails
 * with that reason (README, "Bad input").
 */
function retryDelaySeconds(deps: RunnerDeps, instance: Job, job: StoredJob): number {
  const attempt = job.attempts;
  let seconds: unknown;
  try {
    seconds = resolveJobSettings(instance, deps.defaults).retryDelay(attempt);
  } catch {
    try {
      seconds = deps.defaults.retryDelay(attempt);
    } catch {
      seconds = 0;
    }
  }
  return assertRetryDelay(job.jobName, attempt, seconds);
}

/** The seconds until the retry, or the error to fail the job with instead (see assertRetryDelay). */
function retryDelayOrError(deps: RunnerDeps, instance: Job, job: StoredJob, attemptError: Error) {
  try {
    return retryDelaySeconds(deps, instance, job);
  } catch (cause) {
    const code = cause instanceof JobwrightError ? cause.code : 'INVALID_RETRY_DELAY';
    const message = `Not retried: ${toError(cause).message}. The attempt failed with: ${attemptError.message}`;
    return new InvalidJobError(code, message, { cause: attemptError });
  }
}

/** Runs one started job to its recorded outcome: completed, retrying or failed. */
export async function runReservedJob(deps: RunnerDeps, run: ActiveRun): Promise<void> {
  const { job } = run;
  const instance = await instantiate(deps, job);
  if (!instance) return;
  const events = deps.events;
  if (events.hasListeners('job:processing')) {
    events.emit('job:processing', {
      ...eventBase(job),
      waitMs: Math.max(0, (job.reservedAt ?? new Date()).getTime() - job.availableAt.getTime()),
    });
  }
  const batchId = job.meta === null ? null : batchIdOfMeta(job.meta);
  if (batchId !== null && (await skippedForCancelledBatch(deps, run, batchId))) return;
  const resultLimit = deps.resultLimitBytes ?? DEFAULT_RESULT_LIMIT_BYTES;
  run.batchId = batchId;
  run.progress = progressWriter(deps.driver, events, job, resultLimit);
  const started = performance.now();
  const error = await runAttempt(deps.middleware, instance, job, run, deps.isolation, deps.driver);
  run.handled = true;
  run.onAttemptEnd();
  const durationMs = performance.now() - started;
  if (run.released) return;
  const lease = { id: job.id, leaseToken: job.leaseToken };
  if (error instanceof CancelledError) {
    // Cancelled: failed for good, not retried, and failed() does not run (SPEC decisions).
    const result = await writeOutcome(deps, { kind: 'fail', ...lease, error: error.message });
    if (result.status === 'ok') events.emit('job:failed', { ...eventBase(job), durationMs, error });
    return;
  }
  if (run.releaseMs !== undefined) {
    // ctx.release(delay): back on the queue with the attempt given back, whatever handle did after.
    const delayMs = Math.min(run.releaseMs, MAX_DELAY_MS);
    const result = await writeOutcome(deps, { kind: 'release', ...lease, delayMs });
    if (result.status === 'ok' && events.hasListeners('job:released')) {
      events.emit('job:released', { ...eventBase(job), durationMs, delaySeconds: delayMs / 1000 });
    } else if (result.status === 'lost') events.emit('job:lease-lost', eventBase(job));
    return;
  }

  if (error === null) {
    if (run.result !== undefined) await storeResult(deps.driver, events, job, run.result, resultLimit);
    const next = job.meta === null ? undefined : nextInChain(parseMeta(job.meta));
    const result = await writeOutcome(deps, { kind: 'complete', ...lease, ...(next ? { next } : {}) });
    if (result.status === 'refused') {
      events.emit('job:failed', { ...eventBase(job), durationMs, error: new Error(result.reason) });
      return;
    }
    if (result.status !== 'ok') {
      if (events.hasListeners('job:lease-lost')) events.emit('job:lease-lost', eventBase(job));
    } else if (events.hasListeners('job:completed')) {
      events.emit('job:completed', { ...eventBase(job), durationMs, result: run.result });
    }
    return;
  }
  const base = eventBase(job);
  // Whatever was thrown, the outcome is written now with a best-effort text (rule 7).
  const text = describeError(error);
  let failure = error;
  const retryInSeconds = job.attempts < job.maxAttempts && retryDelayOrError(deps, instance, job, error);
  if (retryInSeconds instanceof Error) failure = retryInSeconds;
  else if (retryInSeconds !== false && (await cancelAsked(deps, job))) {
    failure = new CancelledError();
  } else if (retryInSeconds !== false) {
    const result = await writeOutcome(deps, {
      kind: 'retry',
      ...lease,
      delayMs: Math.min(retryInSeconds * 1000, MAX_DELAY_MS),
      error: text,
    });
    if (result.status === 'ok') events.emit('job:retrying', { ...base, durationMs, error, retryInSeconds });
    else if (result.status === 'lost') events.emit('job:lease-lost', base);
    else events.emit('job:failed', { ...base, durationMs, error: new Error(result.reason) });
    return;
  }
  const failText = failure === error ? text : describeError(failure);
  const result = await writeOutcome(deps, { kind: 'fail', ...lease, error: failText });
  if (result.status === 'lost') {
    events.emit('job:lease-lost', base);
    return;
  }
  events.emit('job:failed', { ...base, durationMs, error: failure });
  // failed() does not run for a cancelled job (SPEC decisions).
  if (!(failure instanceof CancelledError)) await callFailedHook(deps, instance, failure, job);
}

/**
 * Whether `cancel` was asked for this run before its failure was written: a cancelled job is
 * not retried even when its attempt failed before the worker saw the cancel. One read per
 * failed attempt that would retry, never on the success path.
 */
async function cancelAsked(deps: RunnerDeps, job: ReservedJob): Promise<boolean> {
  try {
    const ids = await deps.driver.cancelRequested({ leases: [{ id: job.id, leaseToken: job.leaseToken }] });
    return ids.length > 0;
  } catch {
    return false;
  }
}

/** `ctx.progress` outside a worker (inline runs): the value is checked, nothing is stored. */
async function checkProgressOnly(value: JobProgress): Promise<void> {
  encodeProgress(value, DEFAULT_RESULT_LIMIT_BYTES);
}

/**
 * A job of a cancelled batch does not run: it ends `failed` ("Cancelled: ..."), without its
 * `failed()` hook, and counts as a failed job of its batch (no `catch` for a cancellation).
 */
async function skippedForCancelledBatch(deps: RunnerDeps, run: ActiveRun, batchId: string): Promise<boolean> {
  // A store that cannot answer now must not fail the job: it runs, as it would without the check.
  const batch = await deps.driver.findBatch({ id: batchId }).catch(() => null);
  if (batch === null || batch.cancelledAt === null) return false;
  run.handled = true;
  run.onAttemptEnd();
  if (run.released) return true;
  const { job } = run;
  const error = new Error(`Cancelled: batch ${batchId} was cancelled`);
  const result = await writeOutcome(deps, {
    kind: 'fail',
    id: job.id,
    leaseToken: job.leaseToken,
    error: error.message,
  });
  if (result.status === 'ok') deps.events.emit('job:failed', { ...eventBase(job), durationMs: null, error });
  return true;
}

/** Retry delays are capped at a year: Node timers and the stores' date ranges stay safe. */
const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;

/** Runs `failed()` for a job the store failed on its own (its worker died on the last attempt). */
export async function runFailedHookForRecovered(deps: RunnerDeps, job: StoredJob): Promise<void> {
  const error = new Error(job.errorMessage ?? 'Worker died during the last attempt');
  deps.events.emit('job:failed', { ...eventBase(job), durationMs: null, error });
  let instance: Job;
  try {
    instance = deps.registry.instantiate(job.jobName, decodePayload(job.payload, deps.keys));
  } catch {
    return;
  }
  await callFailedHook(deps, instance, error, job);
}
