// From job.js, not the package root: every isolate imports this file, and starts faster without the drivers.
import { Job, type JobContext, type JobIsolation } from '../../src/job.js';

/**
 * Jobs of the isolation tests. Each says where it runs through its `mode` field, so one class
 * serves threads, processes and in-process runs. `static module` lets the isolate import them.
 */
/** `handle()` is typed `void` until results are stored (issue 18); the value still comes back. */
function returning(value: unknown): undefined {
  return value as undefined;
}

abstract class IsolationTestJob extends Job {
  mode: JobIsolation = 'thread';
  // The timeout includes the isolate's start-up: from source (tsx) on a loaded machine, long.
  seconds: number | null = 300;
  override isolation(): JobIsolation {
    return this.mode;
  }
  override timeout(): number | null {
    return this.seconds;
  }
  override maxAttempts(): number {
    return 1;
  }
}

export class IsoNoop extends IsolationTestJob {
  static module = import.meta.url;
  override handle(): void {}
}

/** Computes (never awaits) for `spinMs`: only a terminated thread or process stops it early. */
export class IsoSpin extends IsolationTestJob {
  static module = import.meta.url;
  spinMs = 600_000;
  override handle(): undefined {
    const end = Date.now() + this.spinMs;
    while (Date.now() < end) {}
    return returning('spun');
  }
}

export class IsoExit extends IsolationTestJob {
  static module = import.meta.url;
  override handle(): void {
    process.exit(1);
  }
}

export class IsoSigkill extends IsolationTestJob {
  static module = import.meta.url;
  override handle(): void {
    process.kill(process.pid, 'SIGKILL');
  }
}

/** Grows the heap until the memory limit ends the thread or process. */
export class IsoHeap extends IsolationTestJob {
  static module = import.meta.url;
  override memoryLimitMb(): number | null {
    return 32;
  }
  override timeout(): number {
    // Near its limit V8 collects again and again before it gives up: slow on a busy machine.
    return 300;
  }
  override handle(): void {
    // 8 MB blocks: the limit is reached in a few steps rather than thousands of collections.
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(1_000_000).fill(hoard.length));
  }
}

/** Throws from a timer: an uncaught exception, not a rejection of `handle`. */
export class IsoUncaught extends IsolationTestJob {
  static module = import.meta.url;
  override handle(): Promise<void> {
    setTimeout(() => {
      throw new Error('thrown from a timer');
    }, 0);
    return new Promise(() => {});
  }
}

export class IsoThrows extends IsolationTestJob {
  static module = import.meta.url;
  override handle(): void {
    throw new TypeError('bad input in the isolate');
  }
}

/** Returns what it saw of its context, after reporting progress. */
export class IsoContext extends IsolationTestJob {
  static module = import.meta.url;
  label = '';
  override async handle(ctx: JobContext): Promise<undefined> {
    await (ctx as JobContext & { progress(value: unknown): Promise<void> }).progress({ step: 1 });
    return returning({
      label: this.label,
      jobId: ctx.jobId,
      attempt: ctx.attempt,
      queueName: ctx.queueName,
      aborted: ctx.signal.aborted,
      pid: process.pid,
    });
  }
}

/** Reports 'waiting', then returns as soon as `ctx.signal` aborts: its isolate is kept. */
export class IsoCooperative extends IsolationTestJob {
  static module = import.meta.url;
  override async handle(ctx: JobContext): Promise<undefined> {
    const stopped = new Promise<undefined>((resolve) =>
      ctx.signal.addEventListener('abort', () => resolve(returning('stopped'))),
    );
    await (ctx as JobContext & { progress(value: unknown): Promise<void> }).progress('waiting');
    return stopped;
  }
}

/** Isolated, but its class names no module. */
export class IsoNoModule extends IsolationTestJob {
  override handle(): void {}
}

/** Names a module that does not export it. */
export class IsoWrongModule extends IsolationTestJob {
  static module = new URL('./harness.ts', import.meta.url).href;
  override handle(): void {}
}

/** A short in-process job: the ones that must keep completing while an isolate spins. */
export class QuickJob extends Job {
  override handle(): void {}
}

/** Calls `ctx.release(delaySeconds)` and returns: the worker puts the job back. */
export class IsoRelease extends IsolationTestJob {
  static module = import.meta.url;
  delaySeconds = 7;
  override handle(ctx: JobContext): void {
    ctx.release(this.delaySeconds);
  }
}
