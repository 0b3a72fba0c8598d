import { ConfigError } from '../../errors.js';

/**
 * Prefixes end up inside Redis keys and hash tags: no braces, no spaces, and no ':' either, so
 * that the first ':' of a tag `{prefix:queue}` always ends the prefix (prefix 'a' with queue
 * 'b:c' and prefix 'a:b' with queue 'c' would otherwise share keys).
 */
const PREFIX = /^[A-Za-z0-9_.-]{1,100}$/;

export const DEFAULT_PREFIX = 'jobwright';

export function assertPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new ConfigError(
      'INVALID_REDIS_PREFIX',
      `Invalid Redis key prefix ${JSON.stringify(String(prefix)).slice(0, 80)}: use 1 to 100 letters, digits or _ . -`,
    );
  }
  return prefix;
}

/**
 * The keys of one queue. They share the hash tag `{prefix:queue}`, so every script of the queue
 * touches one Redis Cluster slot.
 */
export class QueueKeys {
  /** Start of every key of the queue; job hashes are `base + 'job:' + id`. */
  readonly base: string;
  readonly ready: string;
  readonly delayed: string;
  readonly active: string;
  /** Jobs leased ahead and not started yet (also in `active`, for their lease expiry). */
  readonly held: string;
  readonly pending: string;
  readonly retrying: string;
  readonly completed: string;
  readonly failed: string;
  readonly all: string;
  readonly paused: string;
  readonly throughput: string;
  /** Unique jobs: unique key -> id of the job that took it last (flow-enqueue.lua). */
  readonly unique: string;
  /** Start times of a rate-limited queue (flow-reserve.lua). */
  readonly starts: string;

  constructor(
    prefix: string,
    readonly queue: string,
  ) {
    this.base = `{${prefix}:${queue}}:`;
    this.ready = `${this.base}ready`;
    this.delayed = `${this.base}delayed`;
    this.active = `${this.base}active`;
    this.held = `${this.base}held`;
    this.pending = `${this.base}pending`;
    this.retrying = `${this.base}retrying`;
    this.completed = `${this.base}completed`;
    this.failed = `${this.base}failed`;
    this.all = `${this.base}all`;
    this.paused = `${this.base}paused`;
    this.throughput = `${this.base}throughput`;
    this.unique = `${this.base}unique`;
    this.starts = `${this.base}starts`;
  }

  job(id: string): string {
    return `${this.base}job:${id}`;
  }

  /** The index set listing jobs of one status ('processing' is the lease set). */
  statusSet(status: string | undefined): string {
    switch (status) {
      case undefined:
        return this.all;
      case 'processing':
        return this.active;
      case 'pending':
        return this.pending;
      case 'retrying':
        return this.retrying;
      case 'completed':
        return this.completed;
      default:
        return this.failed;
    }
  }
}

/** Keys that span queues, under their own hash tag `{prefix}`. */
export class GlobalKeys {
  /** Every queue name that ever held a job: what "all queues" means for reads. */
  readonly queues: string;
  readonly pausedQueues: string;
  readonly workers: string;
  readonly workersExpiry: string;
  readonly activity: string;
  /** Queue limits: queue name -> limits JSON. */
  readonly limits: string;
  /** Pub/sub channel of wake-up hints; the message is the queue name. */
  readonly wakeChannel: string;

  constructor(readonly prefix: string) {
    const tag = `{${prefix}}:`;
    this.queues = `${tag}queues`;
    this.pausedQueues = `${tag}paused`;
    this.workers = `${tag}workers`;
    this.workersExpiry = `${tag}workers:expiry`;
    this.activity = `${tag}activity`;
    this.limits = `${tag}limits`;
    this.wakeChannel = `${prefix}:wake`;
  }

  /** A lock or counter of the job middleware. */
  flowKey(key: string): string {
    return `{${this.prefix}}:flow:${key}`;
  }
}
