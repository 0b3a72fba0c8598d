import type { NewJob } from '../drivers/contract.js';
import { NO_LIMITS, type QueueLimits, type RateLimit } from '../drivers/flow-contract.js';
import { InvalidJobError } from '../errors.js';
import { Job } from '../job.js';

/** The dispatch side of flow control: what a job's unique id and group add to its row. */

const MAX_KEY = 200;
const MAX_UNIQUE_FOR = 365 * 86_400;

/** Adds the unique key and group of `job` to `row`; validates them first (typed errors, nothing stored). */
export function addFlowFields(row: NewJob, job: Job): void {
  const uniqueId = job.uniqueId === Job.prototype.uniqueId ? null : job.uniqueId();
  if (uniqueId !== null && uniqueId !== undefined) {
    if (
      typeof uniqueId !== 'string' ||
      uniqueId.length === 0 ||
      uniqueId.length > MAX_KEY ||
      uniqueId.includes('\u0000')
    ) {
      throw new InvalidJobError(
        'INVALID_UNIQUE_ID',
        `${row.jobName}.uniqueId() must return null or a string of 1 to ${MAX_KEY} characters; nothing was stored`,
      );
    }
    const seconds = job.uniqueFor();
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_UNIQUE_FOR) {
      throw new InvalidJobError(
        'INVALID_UNIQUE_FOR',
        `${row.jobName}.uniqueFor() must return seconds from 0 (until the job ends) to ${MAX_UNIQUE_FOR}; nothing was stored`,
      );
    }
    row.uniqueKey = `${row.jobName}:${uniqueId}`;
    row.uniqueForMs = Math.round(seconds * 1000);
  }
  const group = job.group === Job.prototype.group ? null : job.group();
  if (group !== null && group !== undefined) {
    if (
      typeof group !== 'string' ||
      group.length === 0 ||
      group.length > MAX_KEY ||
      group.includes('\u0000')
    ) {
      throw new InvalidJobError(
        'INVALID_GROUP',
        `${row.jobName}.group() must return null or a string of 1 to ${MAX_KEY} characters; nothing was stored`,
      );
    }
    row.group = group;
  }
}

/** The error for a chain whose head's unique id is held by a live job (nothing was stored). */
export function uniqueTakenError(jobName: string, liveId: string): InvalidJobError {
  return new InvalidJobError(
    'UNIQUE_JOB_LIVE',
    `${jobName} is unique and job ${liveId} holds its unique id: the chain was not stored (wait for that job, or drop uniqueId())`,
  );
}

/** What `setQueueLimits` accepts: every key optional, `null` clears it. */
export interface QueueLimitsInput {
  concurrency?: number | null;
  rate?: RateLimit | null;
  groupConcurrency?: number | null;
  groupRate?: RateLimit | null;
}

const MAX_CONCURRENCY = 100_000;
const MAX_RATE = 1_000_000;
const MAX_PER_SECONDS = 86_400;

function count(name: string, value: unknown): number | null {
  if (value === null) return null;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_CONCURRENCY) {
    throw new InvalidJobError(
      'INVALID_QUEUE_LIMIT',
      `${name} must be a whole number from 1 to ${MAX_CONCURRENCY}, or null to clear it`,
    );
  }
  return value as number;
}

function rate(name: string, value: unknown): RateLimit | null {
  if (value === null) return null;
  const r = value as Partial<RateLimit> | undefined;
  const okMax = Number.isSafeInteger(r?.max) && r!.max! >= 1 && r!.max! <= MAX_RATE;
  const per = r?.perSeconds;
  const okPer = typeof per === 'number' && Number.isFinite(per) && per > 0 && per <= MAX_PER_SECONDS;
  if (!r || typeof r !== 'object' || !okMax || !okPer) {
    throw new InvalidJobError(
      'INVALID_QUEUE_LIMIT',
      `${name} must be { max, perSeconds } with max a whole number from 1 to ${MAX_RATE} and perSeconds above 0 and at most ${MAX_PER_SECONDS}, or null to clear it`,
    );
  }
  return { max: r.max!, perSeconds: per };
}

/** Merges the keys given into `current` (SPEC: `null` clears one, a missing key keeps it). */
export function mergeLimits(current: QueueLimits, input: QueueLimitsInput): QueueLimits {
  if (!input || typeof input !== 'object') {
    throw new InvalidJobError(
      'INVALID_QUEUE_LIMIT',
      'setQueueLimits(queue, limits): limits must be an object',
    );
  }
  const known = new Set(Object.keys(NO_LIMITS));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      throw new InvalidJobError(
        'INVALID_QUEUE_LIMIT',
        `Unknown limit "${key}": use concurrency, rate, groupConcurrency or groupRate`,
      );
    }
  }
  const has = (k: keyof QueueLimitsInput) => Object.hasOwn(input, k) && input[k] !== undefined;
  return {
    concurrency: has('concurrency') ? count('concurrency', input.concurrency) : current.concurrency,
    rate: has('rate') ? rate('rate', input.rate) : current.rate,
    groupConcurrency: has('groupConcurrency')
      ? count('groupConcurrency', input.groupConcurrency)
      : current.groupConcurrency,
    groupRate: has('groupRate') ? rate('groupRate', input.groupRate) : current.groupRate,
  };
}

/** `--rate 20/1` → { max: 20, perSeconds: 1 }. */
export function parseRate(text: string): RateLimit {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match) {
    throw new InvalidJobError('INVALID_QUEUE_LIMIT', `Invalid rate "${text}": write max/seconds, e.g. 20/1`);
  }
  return rate('rate', { max: Number(match[1]), perSeconds: Number(match[2]) })!;
}

/** A queue list of a pool, as `startWorker(['high', 'default'])` or `--queue high,default` gives it. */
export function poolName(queues: string[]): string {
  return queues.join(',');
}

/** One line: "concurrency 3, rate 20/1s", or "no limits". */
export function describeLimits(limits: QueueLimits): string {
  const parts: string[] = [];
  if (limits.concurrency !== null) parts.push(`concurrency ${limits.concurrency}`);
  if (limits.rate !== null) parts.push(`rate ${limits.rate.max}/${limits.rate.perSeconds}s`);
  if (limits.groupConcurrency !== null) parts.push(`group concurrency ${limits.groupConcurrency}`);
  if (limits.groupRate !== null)
    parts.push(`group rate ${limits.groupRate.max}/${limits.groupRate.perSeconds}s`);
  return parts.length > 0 ? parts.join(', ') : 'no limits';
}
