import { randomUUID } from 'node:crypto';
import type { FlowControl } from '../drivers/flow-contract.js';
import { InvalidJobError } from '../errors.js';
import type { JobContext } from '../job.js';

/**
 * Per-class job middleware (`Job.middleware()`), Laravel's built-ins. Their locks and counters
 * live in the store (FlowControl), so every process and machine on it shares them.
 */

/** An object middleware: `next()` runs the rest of the chain and resolves with what `handle` returned. */
export interface JobMiddlewareObject {
  handle(ctx: JobContext, next: () => Promise<unknown>): Promise<unknown> | unknown;
}

/**
 * Where the runner puts the store on each attempt's context: a symbol key, so it stays out of
 * `Object.keys(ctx)` and JSON, and costs no lookup table per job.
 */
export const FLOW_STORE: unique symbol = Symbol('jobwright.flowStore');

function storeOf(ctx: JobContext, who: string): FlowControl {
  const store = (ctx as { [FLOW_STORE]?: FlowControl })[FLOW_STORE];
  if (!store) {
    throw new InvalidJobError(
      'MIDDLEWARE_NEEDS_STORE',
      `${who} needs a queue store: it works for queued jobs run by a worker, not for inline jobs`,
    );
  }
  return store;
}

function positive(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new InvalidJobError(
      'INVALID_MIDDLEWARE_OPTION',
      `${name} must be a number above 0 and at most ${max}`,
    );
  }
  return value;
}

function keyOf(name: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new InvalidJobError(
      'INVALID_MIDDLEWARE_KEY',
      `${name} key must be a string of 1 to 200 characters`,
    );
  }
  return key;
}

const DAY = 86_400;

/**
 * At most `max` runs per `perSeconds` for every job using `key`, across the fleet. A job over the
 * limit is released (not failed, its attempt given back) until the window ends.
 */
export class RateLimited implements JobMiddlewareObject {
  readonly key: string;
  readonly max: number;
  readonly perSeconds: number;
  constructor(key: string, options: { max: number; perSeconds: number }) {
    this.key = keyOf('RateLimited', key);
    this.max = Math.trunc(positive('RateLimited max', options?.max, 1_000_000));
    this.perSeconds = positive('RateLimited perSeconds', options?.perSeconds, DAY);
  }
  async handle(ctx: JobContext, next: () => Promise<unknown>): Promise<unknown> {
    const hit = await storeOf(ctx, 'RateLimited').hitCounter({
      key: `rate:${this.key}`,
      windowMs: Math.round(this.perSeconds * 1000),
      max: this.max,
    });
    if (!hit.allowed) {
      ctx.release(Math.max(0.05, hit.resetInMs / 1000));
      return undefined;
    }
    return next();
  }
}

/**
 * One job at a time per `key`, across the fleet. A job that finds the key taken is released
 * (due again in `releaseAfter` seconds, default 1) or, with `dontRelease`, dropped as completed.
 * The lock lapses after `expireAfter` seconds (default 3600) should its holder die.
 */
export class WithoutOverlapping implements JobMiddlewareObject {
  readonly key: string;
  readonly expireAfter: number;
  readonly releaseAfter: number;
  readonly dontRelease: boolean;
  constructor(
    key: string,
    options: { expireAfter?: number; releaseAfter?: number; dontRelease?: boolean } = {},
  ) {
    this.key = keyOf('WithoutOverlapping', key);
    this.expireAfter = positive('WithoutOverlapping expireAfter', options.expireAfter ?? 3600, 30 * DAY);
    this.releaseAfter =
      options.releaseAfter === 0
        ? 0
        : positive('WithoutOverlapping releaseAfter', options.releaseAfter ?? 1, DAY);
    this.dontRelease = options.dontRelease === true;
  }
  async handle(ctx: JobContext, next: () => Promise<unknown>): Promise<unknown> {
    const store = storeOf(ctx, 'WithoutOverlapping');
    const key = `overlap:${this.key}`;
    const owner = `${ctx.jobId}:${randomUUID()}`;
    if (!(await store.acquireLock({ key, owner, ttlMs: Math.round(this.expireAfter * 1000) }))) {
      if (!this.dontRelease) ctx.release(this.releaseAfter);
      return undefined;
    }
    try {
      return await next();
    } finally {
      await store.releaseLock({ key, owner });
    }
  }
}

/**
 * After `maxExceptions` failed attempts within `decaySeconds` (per job class, or `key`), jobs
 * of the class are released until the window ends instead of hammering a failing service. A
 * success resets the count. Unlike Laravel, the exception itself is not swallowed: the attempt
 * fails and retries as usual (retryDelay, maxAttempts).
 */
export class ThrottlesExceptions implements JobMiddlewareObject {
  readonly maxExceptions: number;
  readonly decaySeconds: number;
  readonly key: string | undefined;
  constructor(maxExceptions = 10, decaySeconds = 600, options: { key?: string } = {}) {
    this.maxExceptions = Math.trunc(positive('ThrottlesExceptions maxExceptions', maxExceptions, 1_000_000));
    this.decaySeconds = positive('ThrottlesExceptions decaySeconds', decaySeconds, 30 * DAY);
    this.key = options.key === undefined ? undefined : keyOf('ThrottlesExceptions', options.key);
  }
  async handle(ctx: JobContext, next: () => Promise<unknown>): Promise<unknown> {
    const store = storeOf(ctx, 'ThrottlesExceptions');
    const key = `throttle:${this.key ?? ctx.jobName}`;
    const windowMs = Math.round(this.decaySeconds * 1000);
    const seen = await store.hitCounter({ key, windowMs, max: 0 });
    if (seen.count >= this.maxExceptions) {
      ctx.release(Math.max(0.05, seen.resetInMs / 1000));
      return undefined;
    }
    try {
      const result = await next();
      if (seen.count > 0) await store.clearCounter({ key });
      return result;
    } catch (error) {
      await store.hitCounter({ key, windowMs, max: null });
      throw error;
    }
  }
}
