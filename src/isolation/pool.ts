import type { Job, JobContext } from '../job.js';
import { type IsolateChannel, type IsolateExit, type IsolateKind, startIsolate } from './isolate.js';
import { type FromIsolate, fromWire, type RunTask, toWire } from './protocol.js';
import { IsolationError, isolationOf, moduleOf } from './settings.js';

/**
 * After an interrupt (timeout, lost lease, shutdown) an isolated job sees `ctx.signal` abort and
 * gets this long to return; then its thread or process is terminated. One that returns in time
 * is kept for the next job.
 */
export const ABORT_GRACE_MS = 250;

/** The worker's side of `ctx.progress` (JobContext.progress): stores the value and acknowledges it. */
type ProgressHook = (value: unknown) => Promise<void> | void;

interface Pending {
  id: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  progress: ProgressHook | undefined;
  release: ((delaySeconds: number) => void) | undefined;
}

/** One live thread or process and the attempt it runs. */
class Isolate {
  readonly channel: IsolateChannel;
  readonly ready: Promise<void>;
  pending: Pending | undefined;
  alive = true;
  /** Set when the worker ended it: the reason its attempt failed. */
  killedFor: Error | undefined;
  private markReady!: () => void;
  private failStart!: (error: Error) => void;

  constructor(
    private readonly pool: IsolatePool,
    kind: IsolateKind,
    memoryMb: number | null,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failStart = reject;
    });
    this.ready.catch(() => {});
    this.channel = startIsolate(kind, memoryMb, {
      message: (message) => this.onMessage(message),
      exit: (exit) => this.onExit(exit),
    });
  }

  private onMessage(message: FromIsolate): void {
    if (message.t === 'ready') {
      this.markReady();
      return;
    }
    const pending = this.pending;
    if (!pending || !('id' in message) || message.id !== pending.id) return;
    if (message.t === 'progress') {
      void this.forwardProgress(pending, message.seq, message.value);
      return;
    }
    if (message.t === 'release') {
      pending.release?.(message.delaySeconds);
      return;
    }
    this.pending = undefined;
    if (message.t === 'done') {
      pending.resolve(message.result === undefined ? undefined : JSON.parse(message.result));
    } else if (message.t === 'failed') pending.reject(fromWire(message.error));
    this.pool.finished(this);
  }

  private async forwardProgress(pending: Pending, seq: number, value: string): Promise<void> {
    try {
      await pending.progress?.(JSON.parse(value));
      this.channel.send({ t: 'progress-ack', id: pending.id, seq });
    } catch (error) {
      this.channel.send({ t: 'progress-ack', id: pending.id, seq, error: toWire(error) });
    }
  }

  private onExit(exit: IsolateExit): void {
    this.alive = false;
    const error = this.killedFor ?? crashError(this.channel, exit);
    this.failStart(error);
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
    this.pool.exited(this);
  }

  kill(reason: Error): void {
    if (!this.alive) return;
    if (!this.killedFor) this.pool.killing();
    this.killedFor ??= reason;
    // Held until it has exited, so that `close()` (and the process) waits for the exit.
    this.channel.hold(true);
    this.channel.kill();
  }
}

function crashError(channel: IsolateChannel, exit: IsolateExit): IsolationError {
  const what = channel.kind === 'thread' ? 'worker thread' : 'child process';
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const outOfMemory =
    exit.error?.code === 'ERR_WORKER_OUT_OF_MEMORY' || /heap out of memory/i.test(exit.stderrTail ?? '');
  if (outOfMemory) {
    return new IsolationError(
      'ISOLATE_OUT_OF_MEMORY',
      `The job's ${what} ran out of memory and ${how} (raise memoryLimitMb() or use less memory)`,
    );
  }
  const after = exit.error ? ` after an uncaught ${exit.error.name}: ${exit.error.message}` : '';
  const code = exit.signal ? 'ISOLATE_KILLED' : 'ISOLATE_EXITED';
  return new IsolationError(code, `The job's ${what} ${how}${after}`);
}

/** Isolates of one kind and memory limit, reused between jobs. */
class IsolatePool {
  private readonly idle: Isolate[] = [];
  readonly live = new Set<Isolate>();
  started = 0;

  constructor(
    private readonly owner: Isolation,
    readonly kind: IsolateKind,
    private readonly memoryMb: number | null,
  ) {}

  acquire(): Isolate {
    let isolate = this.idle.pop();
    while (isolate && !isolate.alive) isolate = this.idle.pop();
    if (!isolate) {
      isolate = new Isolate(this, this.kind, this.memoryMb);
      this.live.add(isolate);
      this.started++;
    }
    isolate.channel.hold(true);
    return isolate;
  }

  /** Its attempt settled: it waits for the next job without keeping the process alive. */
  finished(isolate: Isolate): void {
    isolate.channel.hold(false);
    if (this.owner.closing || isolate.killedFor)
      isolate.kill(new IsolationError('ISOLATION_CLOSED', 'closed'));
    else if (isolate.alive) this.idle.push(isolate);
  }

  exited(isolate: Isolate): void {
    this.live.delete(isolate);
    const at = this.idle.indexOf(isolate);
    if (at >= 0) this.idle.splice(at, 1);
    this.owner.exitedCount++;
    this.owner.lastExitAt = performance.now();
    this.owner.notifyExit();
  }

  killing(): void {
    this.owner.lastKillAt = performance.now();
  }
}

export interface IsolationStats {
  threads: number;
  processes: number;
  /** Isolates running a job now. */
  busy: number;
  /** Isolates started and ended since this dispatcher was made. */
  started: number;
  exited: number;
  /** `performance.now()` when the worker last terminated an isolate, and when one last exited. */
  lastKillAt: number | null;
  lastExitAt: number | null;
}

/**
 * The isolated thread and process pools of one dispatcher. Started lazily, one isolate per
 * concurrent isolated job at most, reused between jobs; `close()` ends them all.
 */
export class Isolation {
  private readonly pools = new Map<string, IsolatePool>();
  /** True while `close()` runs: isolates that finish are ended instead of kept. */
  closing = false;
  exitedCount = 0;
  lastKillAt: number | null = null;
  lastExitAt: number | null = null;
  private nextId = 0;
  private exitWaiters: Array<() => void> = [];

  /**
   * Runs `job.handle` here, or in its thread or process; resolves with what it returned (typed
   * as `handle` is, which the isolate's JSON result stands in for).
   */
  run(job: Job, ctx: JobContext): ReturnType<Job['handle']> {
    const { mode, memoryMb } = isolationOf(job);
    if (mode === 'none') return job.handle(ctx);
    return this.runIsolated(job, ctx, mode, memoryMb) as ReturnType<Job['handle']>;
  }

  private async runIsolated(
    job: Job,
    ctx: JobContext,
    mode: IsolateKind,
    memoryMb: number | null,
  ): Promise<unknown> {
    if (this.closing) {
      throw new IsolationError('ISOLATION_CLOSED', 'The worker is stopping: isolated jobs no longer start');
    }
    const where = moduleOf(job);
    const task: RunTask = {
      id: ++this.nextId,
      module: where.url,
      project: where.project,
      jobName: job.jobName(),
      payload: JSON.stringify(job.serialize() ?? null),
      attempt: ctx.attempt,
      maxAttempts: ctx.maxAttempts,
      jobId: ctx.jobId,
      queueName: ctx.queueName,
      batchId: ctx.batchId ?? null,
    };
    const key = `${mode}:${memoryMb ?? ''}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new IsolatePool(this, mode, memoryMb);
      this.pools.set(key, pool);
    }
    const isolate = pool.acquire();
    const signal = ctx.signal;
    return new Promise((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        const reason =
          signal.reason instanceof Error
            ? signal.reason
            : new IsolationError('ISOLATE_ABORTED', 'The attempt was interrupted');
        isolate.channel.send({ t: 'abort', id: task.id, reason: toWire(reason) });
        graceTimer = setTimeout(() => isolate.kill(reason), ABORT_GRACE_MS);
      };
      const settle = () => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(graceTimer);
      };
      isolate.pending = {
        id: task.id,
        resolve: (value) => {
          settle();
          resolve(value);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        progress: ctx.progress as ProgressHook,
        release: typeof ctx.release === 'function' ? (seconds) => ctx.release(seconds) : undefined,
      };
      signal.addEventListener('abort', onAbort, { once: true });
      isolate.ready.then(
        () => {
          if (isolate.pending?.id === task.id) isolate.channel.send({ t: 'run', task });
        },
        () => {},
      );
      if (signal.aborted) onAbort();
    });
  }

  stats(): IsolationStats {
    const all = [...this.pools.values()];
    const count = (kind: IsolateKind) =>
      all.filter((p) => p.kind === kind).reduce((sum, p) => sum + p.live.size, 0);
    return {
      threads: count('thread'),
      processes: count('process'),
      busy: all.reduce((sum, p) => sum + [...p.live].filter((i) => i.pending).length, 0),
      started: all.reduce((sum, p) => sum + p.started, 0),
      exited: this.exitedCount,
      lastKillAt: this.lastKillAt,
      lastExitAt: this.lastExitAt,
    };
  }

  notifyExit(): void {
    for (const wake of this.exitWaiters.splice(0)) wake();
  }

  /**
   * Ends every isolate (a job still running fails with ISOLATION_CLOSED) and resolves once all
   * have exited. Later isolated jobs start new ones.
   */
  async close(): Promise<void> {
    this.closing = true;
    const closing = new IsolationError('ISOLATION_CLOSED', 'The dispatcher was closed while the job ran');
    for (const pool of this.pools.values()) for (const isolate of pool.live) isolate.kill(closing);
    while (this.stats().threads + this.stats().processes > 0) {
      await new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    }
    this.closing = false;
  }
}
