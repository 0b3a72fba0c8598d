import type { JobStatus, NewJob, StoredJob } from '../contract.js';
import { JOB_STATUSES } from '../contract.js';

/** The job fields the scripts return, in lib.lua's FIELDS order. */
export const FIELD_COUNT = 18;

type Reply = string | number | null | undefined;

function text(value: Reply): string | null {
  if (value === null || value === undefined || value === '') return null;
  return String(value);
}

function int(value: Reply, fallback = 0): number {
  if (value === null || value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function date(value: Reply): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? new Date(n) : null;
}

/** A job from `FIELD_COUNT` values at `offset` of a script reply; null when the hash was missing. */
export function decodeJob(reply: Reply[], offset = 0): StoredJob | null {
  const f = (i: number) => reply[offset + i];
  const id = text(f(0));
  if (id === null) return null;
  const status = String(f(6) ?? '');
  return {
    id,
    queueName: String(f(1) ?? ''),
    jobName: String(f(2) ?? ''),
    payload: String(f(3) ?? ''),
    attempts: int(f(4)),
    maxAttempts: int(f(5), 1),
    // A status no code knows is shown as failed: reserve.lua fails such rows with the reason.
    status: (JOB_STATUSES as readonly string[]).includes(status) ? (status as JobStatus) : 'failed',
    priority: int(f(7)),
    availableAt: date(f(8)) ?? new Date(0),
    reservedAt: date(f(9)),
    processedAt: date(f(10)),
    failedAt: date(f(11)),
    errorMessage: text(f(12)),
    timeoutSeconds: text(f(13)) === null ? null : int(f(13)),
    createdAt: date(f(14)) ?? new Date(0),
    updatedAt: date(f(15)) ?? new Date(0),
    meta: text(f(16)),
  };
}

/** The field names of lib.lua's FIELDS, for HMGET from the host. */
export const FIELDS = [
  'id',
  'queue',
  'name',
  'payload',
  'attempts',
  'max',
  'status',
  'priority',
  'available',
  'reserved',
  'processed',
  'failedAt',
  'error',
  'timeout',
  'created',
  'updated',
  'meta',
  'token',
] as const;

/** The 9 script arguments of one new job (see enqueue.lua). */
export function jobArgs(job: NewJob): Array<string | number> {
  return [
    job.id,
    job.jobName,
    job.payload,
    job.maxAttempts,
    job.priority,
    job.timeoutSeconds === null ? '' : job.timeoutSeconds,
    // Whole milliseconds: Redis scores and TIME are in ms; never early.
    Math.max(0, Math.ceil(job.delayMs)),
    job.availableAt ? job.availableAt.getTime() : '',
    job.meta ?? '',
  ];
}

/**
 * Lease tokens carry the queue they belong to (`<queue>/<random>`), because `complete`,
 * `heartbeat` and the other transitions name only the job id and token. Queue names never
 * contain '/'. A token that does not parse is simply a lost lease.
 */
export function queueOfToken(token: string): string | null {
  const slash = token.indexOf('/');
  return slash > 0 ? token.slice(0, slash) : null;
}

/** Flattens `[[member, score], ...]` (RESP3) or `[member, score, ...]` (RESP2) to the RESP2 form. */
export function flatPairs(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  const out: string[] = [];
  for (const item of reply) {
    if (Array.isArray(item)) for (const v of item) out.push(String(v));
    else out.push(String(item));
  }
  return out;
}
