import {
  Job,
  type JobContext,
  type JobMiddleware,
  RateLimited,
  ThrottlesExceptions,
  WithoutOverlapping,
} from '../../src/index.js';
import { recorderFor } from './conformance-jobs.js';

export interface FlowJobOptions {
  sleepMs?: number;
  uniqueId?: string;
  uniqueFor?: number;
  group?: string;
  queue?: string;
  /** Release (with this delay in seconds) on the first attempt. */
  releaseOnce?: number;
  /** Throw on every attempt. */
  fail?: boolean;
  maxAttempts?: number;
  /** Seconds before a retry (default 0.05). */
  retryDelay?: number;
  middleware?: 'overlap' | 'rate' | 'throttle';
  /** Wait for the abort signal instead of sleeping. */
  waitForAbort?: boolean;
  /** Wait until the test opens this gate of the run's recorder (then fail or finish) instead of sleeping. */
  waitForGate?: string;
}

/** The flow-control suite's job: behaviour from the payload, events to the run's recorder. */
export class FlowJob extends Job {
  constructor(
    public run = '',
    public n = 0,
    public opts: FlowJobOptions = {},
  ) {
    super();
  }
  override jobName() {
    return 'conformance.Flow';
  }
  override queueName() {
    return this.opts.queue ?? 'default';
  }
  override maxAttempts() {
    return this.opts.maxAttempts ?? 3;
  }
  override retryDelay() {
    return this.opts.retryDelay ?? 0.05;
  }
  override uniqueId() {
    return this.opts.uniqueId ?? null;
  }
  override uniqueFor() {
    return this.opts.uniqueFor ?? 0;
  }
  override group() {
    return this.opts.group ?? null;
  }
  override middleware(): JobMiddleware[] {
    switch (this.opts.middleware) {
      case 'overlap':
        return [new WithoutOverlapping(`flow-${this.run}`, { releaseAfter: 0.05 })];
      case 'rate':
        return [new RateLimited(`flow-${this.run}`, { max: 2, perSeconds: 60 })];
      case 'throttle':
        return [new ThrottlesExceptions(1, 60, { key: `flow-${this.run}` })];
      default:
        return [];
    }
  }
  override failed() {
    recorderFor(this.run).add({ n: this.n, type: 'failed-hook', attempt: 0 });
  }
  override async handle(ctx: JobContext) {
    const rec = recorderFor(this.run);
    rec.add({ n: this.n, type: 'start', attempt: ctx.attempt });
    if (this.opts.releaseOnce !== undefined && ctx.attempt === 1 && rec.of('start', this.n).length === 1) {
      ctx.release(this.opts.releaseOnce);
      return;
    }
    rec.active++;
    rec.maxActive = Math.max(rec.maxActive, rec.active);
    try {
      if (this.opts.waitForAbort) {
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        rec.add({ n: this.n, type: 'aborted', attempt: ctx.attempt, detail: String(ctx.signal.reason) });
        return;
      }
      if (this.opts.waitForGate !== undefined) await rec.gate(this.opts.waitForGate);
      else await new Promise((resolve) => setTimeout(resolve, this.opts.sleepMs ?? 0));
      if (this.opts.fail) throw new Error(`flow ${this.n} fails`);
    } finally {
      rec.active--;
    }
    rec.add({ n: this.n, type: 'done', attempt: ctx.attempt });
  }
}
