/**
 * The contract between the worker engine and a store. Every verb takes one params object and
 * returns a typed result; the engine never knows which store it runs on.
 *
 * Rules every driver keeps (they are what the conformance suite checks):
 * - Time comes from the store's clock (`now()` in SQL, `TIME` in Redis). Params carry
 *   durations (`delayMs`, `leaseMs`), never absolute host times, except an explicit
 *   `availableAt` the user asked for.
 * - `reserve` counts the attempt, sets `status = 'processing'`, a fresh random `leaseToken`
 *   and `leaseExpiresAt = now + leaseMs`, atomically, and never hands one job to two callers.
 * - Every transition after a reservation (`complete`, `retry`, `fail`, `release`,
 *   `heartbeat`) applies only while `status = 'processing'` and the token matches; otherwise it
 *   changes nothing and reports that the lease was lost.
 */

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
  /** How many jobs at most (the worker's free slots). */
  limit: number;
  /** Lease length; a job whose lease passes without a heartbeat is recovered by `recoverExpired`. */
  leaseMs: number;
  /** The worker reserving, recorded for `queue:workers` and debugging. */
  workerId: string;
}

export interface CompleteParams extends LeaseRef {
  /** Jobs to store in the same atomic step (the next link of a chain). */
  next?: NewJob[];
}

export interface RetryParams extends LeaseRef {
  delayMs: number;
  error: string;
}

export interface FailParams extends LeaseRef {
  error: string;
}

export interface ReleaseParams extends LeaseRef {
  /** Put back without counting the attempt (graceful shutdown). */
  delayMs?: number;
}

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
  /** Jobs whose lease ran out and that had attempts left: due again now, status `retrying`. */
  requeued: string[];
  /** Jobs whose lease ran out on their last attempt: now `failed`, so their `failed()` hook can run. */
  failed: StoredJob[];
}

export interface ListParams {
  queue?: string;
  status?: JobStatus;
  /** Matches the id exactly, or the job name or payload text as a substring. */
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
   * `complete` itself reserves the caller's next job (Redis refills in the same script). The
   * engine then keeps a slot until the outcome is written, so that priority order holds;
   * otherwise a slot takes its next job as soon as `handle` settles.
   */
  reservesOnComplete?: boolean;
  /**
   * The longest idle poll this store advises (ms), when it cannot wake other processes and a
   * look for due work is cheap (SQLite: a read). Workers poll at most this long apart.
   */
  maxIdlePollMs?: number;
}

/** A callback for "new work may be due on this queue". A hint only: polling is the truth. */
export type WakeListener = (queue: string) => void;

export interface QueueDriver {
  /** A short name for logs and errors ('memory', 'sqlite', 'database', 'redis'). */
  readonly name: string;
  readonly capabilities: DriverCapabilities;

  /** Creates or upgrades the schema; idempotent. Other verbs call it on first use. */
  migrate(): Promise<void>;
  enqueue(params: EnqueueParams): Promise<void>;
  reserve(params: ReserveParams): Promise<ReservedJob[]>;
  complete(params: CompleteParams): Promise<TransitionResult>;
  retry(params: RetryParams): Promise<TransitionResult>;
  fail(params: FailParams): Promise<TransitionResult>;
  release(params: ReleaseParams): Promise<TransitionResult>;
  heartbeat(params: HeartbeatParams): Promise<HeartbeatResult>;
  recoverExpired(params: RecoverParams): Promise<RecoverResult>;

  find(params: { id: string }): Promise<StoredJob | null>;
  list(params: ListParams): Promise<ListResult>;
  retryFailed(params: RetryFailedParams): Promise<number>;
  clearFailed(params: ClearFailedParams): Promise<number>;
  prune(params: PruneParams): Promise<number>;
  /** Counts of one queue; every known queue when `queue` is omitted. */
  counts(params: QueueFilter): Promise<QueueCounts[]>;

  registerWorker(params: RegisterWorkerParams): Promise<void>;
  unregisterWorker(params: { workerId: string }): Promise<void>;
  /** Live workers only: those whose registration has not lapsed. */
  workers(): Promise<WorkerInfo[]>;

  logActivity(params: { entries: NewActivityEntry[] }): Promise<void>;
  /** Newest first; of one job when `jobId` is given. */
  activity(params: { jobId?: string; limit: number }): Promise<ActivityEntry[]>;

  /** Completed and failed jobs per minute over the last `minutes` minutes (store clock), oldest first; empty minutes included. */
  throughput(params: { queue?: string; minutes: number }): Promise<ThroughputBucket[]>;

  /** While a queue is paused, `reserve` returns nothing for it. */
  pauseQueue?(params: { queue: string }): Promise<void>;
  resumeQueue?(params: { queue: string }): Promise<void>;
  pausedQueues?(): Promise<string[]>;

  /** Wake-up hints for idle workers; returns the unsubscribe function. */
  subscribe?(listener: WakeListener): Promise<() => void>;

  close(): Promise<void>;
}
