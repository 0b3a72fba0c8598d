import { EventEmitter } from 'node:events';

/** What every job event carries. */
export interface JobEventBase {
  jobId: string;
  jobName: string;
  queueName: string;
  attempt: number;
  maxAttempts: number;
}

export interface JobEvents {
  'job:dispatched': JobEventBase & { delayMs: number };
  'job:processing': JobEventBase & { waitMs: number };
  /** `result`: what `handle` returned (undefined when nothing; stored as the job's `result` when JSON). */
  'job:completed': JobEventBase & { durationMs: number; result?: unknown };
  'job:retrying': JobEventBase & { durationMs: number; error: Error; retryInSeconds: number };
  'job:failed': JobEventBase & { durationMs: number | null; error: Error };
  /** A running job reported progress (`ctx.progress`), once stored. */
  'job:progress': JobEventBase & { progress: number | Record<string, unknown> };
  /** A run's result was refused because its lease had been lost (it ran past its lease, or the worker froze). */
  'job:lease-lost': JobEventBase;
  /** The job put itself back (`ctx.release`, or a middleware such as RateLimited): due again in `delaySeconds`, attempt given back. */
  'job:released': JobEventBase & { durationMs: number; delaySeconds: number };
  'worker:started': { workerId: string; queue: string; concurrency: number };
  'worker:stopped': { workerId: string; queue: string; released: number };
  /** The store failed an operation; the worker keeps trying. */
  'worker:error': { workerId: string; queue: string; error: Error };
}

export type JobEventName = keyof JobEvents;

/** A typed event emitter for the dispatcher's events. */
export class JobEventEmitter {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<K extends JobEventName>(event: K, listener: (payload: JobEvents[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends JobEventName>(event: K, listener: (payload: JobEvents[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  once<K extends JobEventName>(event: K, listener: (payload: JobEvents[K]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  /** Listener errors are reported, never allowed to break the worker. */
  emit<K extends JobEventName>(event: K, payload: JobEvents[K]): void {
    if (this.emitter.listenerCount(event) === 0) return;
    try {
      this.emitter.emit(event, payload);
    } catch (error) {
      process.emitWarning(`jobwright: a '${event}' listener threw: ${(error as Error).message}`);
    }
  }

  hasListeners(event: JobEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }
}
