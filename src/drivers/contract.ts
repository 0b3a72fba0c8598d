/**
 * The contract between the worker engine and a store. Every verb takes one params object and
 * returns a typed result; the engine never knows which store it runs on.
 *
 * Rules every driver keeps (they are what the conformance suite checks):
 * - Time comes from the store's clock (`now()` in SQL, `TIME` in Redis). Params carry
 *   durations (`delayMs`, `leaseMs`), never absolute host times, except an explicit
 *   `availableAt` the user asked for.
 * - `reserve` sets `status = 'processing'`, a fresh random `leaseToken` and
 *   `leaseExpiresAt = now + leaseMs`, atomically, and never hands one job to two callers. The
 *   first `start` jobs it hands out are started (attempt counted, `reservedAt = now`); the rest
 *   are held: leased, `reservedAt` null, attempts unchanged, until `start` charges them.
 * - Every transition after a reservation (`start`, `settle`, `heartbeat`) applies only while
 *   `status = 'processing'` and the token matches; otherwise it changes nothing for that job and
 *   reports it lost. Grouped verbs answer per job: one job's failure is that job's alone.
 * - A held job (never started) is never charged and never failed: `recoverExpired` and a
 *   `release` outcome put it back as it was. `counts` shows it as pending.
 * - Completion keeps `reservedAt` (when the last attempt started) and clears `errorMessage`.
 *
 * The contract is split by role: `JobLifecycle` (what the worker engine needs), `QueueAdmin`
 * (reads and admin verbs for the CLI and dashboard), `WorkerRegistry`, `ActivityLog` and the
 * optional `QueuePausing` (check `capabilities.pause` or `canPause`).
 */

import type { BatchStore, JobDataStore, ScheduleStore } from './composition.js';

export type * from './composition.js';

import type { EnqueueResult, FlowControl } from './flow-contract.js';
import type { JobInsights } from './insights.js';

export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'retrying';

export const JOB_STATUSES: readonly JobStatus[] = [
  'pending',
  'processing',
  'completed',
  'failed',
  'retrying',
];

/** A job as the store holds it: the seed's `jobs` row in camelCase, plus the driver's extras. */
export interface StoredJob {
  id: string;
  queueName: string;
  jobName: string;
  /** The payload as stored: JSON text. The engine parses it, so a corrupt row cannot crash a driver. */
  payload: string;
  attempts: number;
  maxAttempts: number;
  status: JobStatus;
  priority: number;
  availableAt: Date;
  reservedAt: Date | null;
  processedAt: Date | null;
  failedAt: Date | null;
  errorMessage: string | null;
  timeoutSeconds: number | null;
  createdAt: Date;
  updatedAt: Date;
  /** Engine metadata as JSON text (chain links, trace context); null when there is none. */
  meta: string | null;
  /** JSON text of the last `ctx.progress()` value; filled by `find` (other reads may leave it out). */
  progress?: string | null;
  /** JSON text of what `handle` returned; filled by `find` (other reads may leave it out). */
  result?: string | null;
}

/** A job handed to one worker, with the token that fences its later transitions. */
export interface ReservedJob extends StoredJob {
  leaseToken: string;
}

/** A job to store. The id is a ULID made by the dispatcher. */
export interface NewJob {
  id: string;
  queueName: string;
  jobName: string;
  payload: string;
  maxAttempts: number;
  priority: number;
  timeoutSeconds: number | null;
  /** Due after this many ms by the store's clock (0: now). Ignored when `availableAt` is set. */
  delayMs: number;
  /** An absolute due time the job itself asked for (`availableAt()`). */
  availableAt: Date | null;
  meta: string | null;
  /** Unique jobs: `jobName` + `uniqueId()`; while a live job of the queue holds it, nothing is stored. */
  uniqueKey?: string | null;
  /** The unique lock lapses this many ms after dispatch even while the job lives (0 or absent: never). */
  uniqueForMs?: number;
  /** `Job.group()`: the group that `groupConcurrency` / `groupRate` count it in. */
  group?: string | null;
}

/** Identifies one reservation: the job and the token it was reserved with. */
export interface LeaseRef {
  id: string;
  leaseToken: string;
}

export interface EnqueueParams {
  jobs: NewJob[];
  /** A store transaction handle (a pg client inside the caller's transaction); only where `capabilities.transactionalEnqueue`. */
  tx?: unknown;
}

export interface ReserveParams {
  queue: string;
  /** How many jobs at most (the worker's free slots plus what it may hold ahead). */
  limit: number;
  /**
   * How many of them start now (the first ones, in priority order): their attempt is counted and
   * `reservedAt` set in the same step. The others are held, uncharged, until `start`. Default: all.
   */
  start?: number;
  /** Lease length; a job whose lease passes without a heartbeat is recovered by `recoverExpired`. */
  leaseMs: number;
  /** The worker reserving, recorded for `queue:workers` and debugging. */
  workerId: string;
}

/** One job's outcome, written by `settle`. Every kind is fenced by the lease token. */
export type Outcome =
  | { kind: 'complete'; id: string; leaseToken: string; next?: NewJob[] }
  | { kind: 'retry'; id: string; leaseToken: string; delayMs: number; error: string }
  | { kind: 'fail'; id: string; leaseToken: string; error: string }
  /** Puts the job back: a held job as it was, a started one without counting its attempt. */
  | { kind: 'release'; id: string; leaseToken: string; delayMs?: number };

/**
 * What became of one outcome: written; `lost` (the lease no longer held: nothing changed);
 * `refused` (the store refused this job's data, e.g. a chain link it cannot store: nothing
 * changed, `reason` says why). A store that is down throws instead.
 */
export type OutcomeResult = { status: 'ok' } | { status: 'lost' } | { status: 'refused'; reason: string };

export interface SettleParams {
  outcomes: Outcome[];
}

export interface StartParams {
  /** Held jobs whose `handle` is about to start: their attempt is counted now. */
  leases: LeaseRef[];
  leaseMs: number;
}

/** Outcomes to write and held jobs to start, in one atomic step (see `JobLifecycle.settleAndStart`). */
export interface SettleAndStartParams {
  outcomes: Outcome[];
  /** Held jobs whose `handle` is about to start: their attempt is counted in the same step. */
  start: LeaseRef[];
  leaseMs: number;
}

export interface SettleAndStartResult {
  /** One result per outcome, in order. */
  outcomes: OutcomeResult[];
  /** Held jobs that were not started: their lease was lost (or they were started already). */
  lost: string[];
}

export interface StartResult {
  /** Ids that were not started: their lease was lost (or they were started already). */
  lost: string[];
}

/** Kept for callers of the single-job helpers (src/drivers/settle-one.ts). */
export interface TransitionResult {
  /** False when the lease was lost (expired and recovered, or already moved on): nothing changed. */
  ok: boolean;
}

export interface HeartbeatParams {
  leases: LeaseRef[];
  leaseMs: number;
}

export interface HeartbeatResult {
  /** Ids whose lease is no longer held by the caller: their runs must stop. */
  lost: string[];
}

export interface RecoverParams {
  queue?: string;
  /** Upper bound of jobs handled in one call, to keep the statement short. */
  limit: number;
}

export interface RecoverResult {
  /** Jobs whose lease ran out and that had attempts left (or were only held): due again now. */
  requeued: string[];
  /** Jobs whose lease ran out on their last attempt: now `failed`, so their `failed()` hook can run. */
  failed: StoredJob[];
}

export interface ListParams {
  queue?: string;
  status?: JobStatus;
  /** Matches the id exactly, or the job name, payload or error text as a substring. */
  search?: string;
  limit: number;
  offset: number;
  /** Newest first by default. */
  order?: 'newest' | 'oldest';
}

export interface ListResult {
  jobs: StoredJob[];
  total: number;
}

export interface RetryFailedParams {
  /** Specific ids, or all failed jobs (of `queue` when given). */
  ids: string[] | 'all';
  queue?: string;
}

export interface QueueFilter {
  queue?: string;
}

export interface ClearFailedParams {
  queue?: string;
  /** Only these jobs, and only those that are `failed` (of `queue` when given); every failed job when omitted. */
  ids?: string[];
}

export interface PruneParams {
  statuses: Array<'completed' | 'failed'>;
  /** Jobs finished longer ago than this are removed. */
  olderThanMs: number;
  queue?: string;
}

export interface QueueCounts {
  queueName: string;
  pendingJobs: number;
  processingJobs: number;
  retryingJobs: number;
  completedJobs: number;
  failedJobs: number;
  /** Age in ms of the oldest job that is due and waiting, or null. */
  oldestPendingMs: number | null;
}

export interface WorkerInfo {
  workerId: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  /** Jobs it holds ahead (leased, not started, not charged). */
  held: number;
  startedAt: Date;
  lastHeartbeatAt: Date;
  jobsDone: number;
}

export interface RegisterWorkerParams {
  workerId: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  /** The registration lapses unless renewed within this time. */
  ttlMs: number;
  jobsDone: number;
  /** Jobs it holds ahead right now (0 when omitted). */
  held?: number;
}

export type ActivityEvent = 'started' | 'completed' | 'failed';

/** One entry of the activity log (the seed's `ActivityLoggedJob`). */
export interface ActivityEntry {
  id: string;
  jobId: string | null;
  jobName: string;
  queueName: string;
  event: ActivityEvent;
  /** Who caused the work (a user id), from `triggeredBy()`. */
  causer: string | null;
  /** JSON text of `jobProperties()` (redacted). */
  properties: string;
  durationMs: number | null;
  attempt: number;
  error: string | null;
  createdAt: Date;
}

export type NewActivityEntry = Omit<ActivityEntry, 'createdAt'>;

/** Finished jobs of one minute, for the dashboard's charts. */
export interface ThroughputBucket {
  minute: Date;
  completed: number;
  failed: number;
}

export interface DriverCapabilities {
  /** Survives the process (SQLite, PostgreSQL, Redis). */
  durable: boolean;
  /** Several processes may work the same store. */
  multiProcess: boolean;
  /** `subscribe` delivers wake-ups across processes (LISTEN/NOTIFY, pub/sub). */
  crossProcessWakeups: boolean;
  /** `enqueue({ tx })` joins the caller's transaction. */
  transactionalEnqueue: boolean;
  /** Queues can be paused and resumed. */
  pause: boolean;
  /**
   * The longest idle poll this store advises (ms), when it cannot wake other processes and a
   * look for due work is cheap (SQLite: a read). Workers poll at most this long apart.
   */
  maxIdlePollMs?: number;
}

/** A callback for "new work may be due on this queue". A hint only: polling is the truth. */
export type WakeListener = (queue: string) => void;

/** What the worker engine needs: store, reserve, start and settle jobs, keep and recover leases. */
export interface JobLifecycle {
  /** A short name for logs and errors ('memory', 'sqlite', 'database', 'redis'). */
  readonly name: string;
  readonly capabilities: DriverCapabilities;

  /** Creates or upgrades the schema; idempotent. Other verbs call it on first use. */
  migrate(): Promise<void>;
  /** Stores the jobs; a unique job whose key a live job holds is not stored (see flow-contract.ts). */
  enqueue(params: EnqueueParams): Promise<EnqueueResult | undefined>;
  /** Leases up to `limit` due jobs in (priority, id) order; the first `start` are started, the rest held. */
  reserve(params: ReserveParams): Promise<ReservedJob[]>;
  /** Counts the attempt of held jobs, sets `reservedAt`, renews their lease; one write for all. */
  start(params: StartParams): Promise<StartResult>;
  /** Writes many outcomes; one result per outcome, in order. Throws only when the store fails. */
  settle(params: SettleParams): Promise<OutcomeResult[]>;
  /**
   * `settle` and `start` as one atomic step (one transaction, one script, one round trip): what
   * slots do when they finish jobs and take the next ones they hold. The engine's hot path, so
   * a slot costs one write per job and a worker never has more jobs charged than slots.
   */
  settleAndStart(params: SettleAndStartParams): Promise<SettleAndStartResult>;
  heartbeat(params: HeartbeatParams): Promise<HeartbeatResult>;
  recoverExpired(params: RecoverParams): Promise<RecoverResult>;
  /** How many jobs of `queue` are due and waiting, counted up to `limit` (a cheap bounded count). */
  countDue(params: { queue: string; limit: number }): Promise<number>;
  /** Wake-up hints for idle workers; returns the unsubscribe function. */
  subscribe?(listener: WakeListener): Promise<() => void>;
  close(): Promise<void>;
}

/** Reads and admin verbs, for the CLI and the dashboard. */
export interface QueueAdmin {
  find(params: { id: string }): Promise<StoredJob | null>;
  list(params: ListParams): Promise<ListResult>;
  retryFailed(params: RetryFailedParams): Promise<number>;
  clearFailed(params: ClearFailedParams): Promise<number>;
  prune(params: PruneParams): Promise<number>;
  /** Counts of one queue; every known queue when `queue` is omitted. Held jobs count as pending. */
  counts(params: QueueFilter): Promise<QueueCounts[]>;
  /** Completed and failed jobs per minute over the last `minutes` minutes (store clock), oldest first; empty minutes included. */
  throughput(params: { queue?: string; minutes: number }): Promise<ThroughputBucket[]>;
}

/** Live workers, for `queue:workers`, `workersCount` and the engine's share of held jobs. */
export interface WorkerRegistry {
  registerWorker(params: RegisterWorkerParams): Promise<void>;
  unregisterWorker(params: { workerId: string }): Promise<void>;
  /** Live workers only: those whose registration has not lapsed. */
  workers(): Promise<WorkerInfo[]>;
}

export interface ActivityLog {
  logActivity(params: { entries: NewActivityEntry[] }): Promise<void>;
  /** Newest first; of one job when `jobId` is given. */
  activity(params: { jobId?: string; limit: number }): Promise<ActivityEntry[]>;
}

/** Optional: only where `capabilities.pause`. While a queue is paused, `reserve` returns nothing for it. */
export interface QueuePausing {
  pauseQueue(params: { queue: string }): Promise<void>;
  resumeQueue(params: { queue: string }): Promise<void>;
  pausedQueues(): Promise<string[]>;
}

/** Every store implements the lifecycle, the admin verbs, the registry, the activity log and flow control. */
export interface QueueDriver
  extends JobLifecycle,
    QueueAdmin,
    FlowControl,
    WorkerRegistry,
    ActivityLog,
    JobDataStore,
    BatchStore,
    ScheduleStore,
    Partial<QueuePausing>,
    Partial<JobInsights> {}

/** The capability check for pausing. */
export function canPause(driver: QueueDriver): driver is QueueDriver & QueuePausing {
  return (
    driver.capabilities.pause &&
    typeof driver.pauseQueue === 'function' &&
    typeof driver.resumeQueue === 'function' &&
    typeof driver.pausedQueues === 'function'
  );
}
