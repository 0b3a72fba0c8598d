import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import {
  assertBatchJobs,
  assertNoUniqueMembers,
  type BatchOptions,
  type BatchRecord,
  newBatch,
} from '../batches/batch.js';
import { type DispatchOptions, JobDispatcher } from '../dispatcher.js';
import { MemoryQueueDriver } from '../drivers/memory/memory-driver.js';
import { JobwrightError } from '../errors.js';
import { setJobDispatcher } from '../global.js';
import type { Job, JobClass, JobContext, JobProgress } from '../job.js';
import { assertCron, assertScheduleName, type ScheduleOptions } from '../schedules/schedule-rules.js';
import { DEFAULT_RESULT_LIMIT_BYTES, encodeProgress } from '../worker/job-data.js';

export interface DispatchedJob<T extends Job = Job> {
  id: string;
  job: T;
  options: DispatchOptions;
  /** Set for jobs dispatched through `chain()`: the chain they belong to, in order. */
  chain?: Job[];
}

type JobMatcher<T extends Job> = JobClass<T> | string;

/** A batch the fake recorded (`batch()`, plus jobs added by `addToBatch()`). */
export interface FakeBatch {
  id: string;
  jobs: Job[];
  options: BatchOptions;
  cancelled: boolean;
}

/** A schedule the fake recorded. */
export interface FakeSchedule {
  name: string;
  cron: string;
  job: Job;
  options: ScheduleOptions;
}

/**
 * A dispatcher that records jobs instead of queueing them (Laravel's `Queue::fake()`).
 * `shouldQueue() === false` jobs are recorded too, not run.
 */
export class FakeDispatcher extends JobDispatcher {
  readonly dispatched: DispatchedJob[] = [];
  readonly batched: FakeBatch[] = [];
  readonly scheduled: FakeSchedule[] = [];
  /** Ids passed to `cancel()` that named a recorded job, in order. */
  readonly cancelled: string[] = [];
  private previous: JobDispatcher | undefined;

  constructor() {
    super(new MemoryQueueDriver());
  }

  // Each records only what the real dispatcher would accept: the same validation runs first
  // (payload rule, queue name, job name, delays), so a test cannot pass on a job real dispatch refuses.
  override async dispatch(job: Job, options: DispatchOptions = {}): Promise<string> {
    if (job.shouldQueue()) this.prepare(job, options);
    return this.record(job, options);
  }

  override async dispatchMany(jobs: Job[], options: DispatchOptions = {}): Promise<string[]> {
    for (const job of jobs) if (job.shouldQueue()) this.prepare(job, options);
    return jobs.map((job) => this.record(job, options));
  }

  override async chain(jobs: Job[], options: DispatchOptions = {}): Promise<string[]> {
    this.prepareChain(jobs, options);
    return jobs.map((job) => this.record(job, options, jobs));
  }

  override async batch(jobs: Job[], options: BatchOptions = {}): Promise<BatchRecord> {
    assertBatchJobs(jobs);
    newBatch('fake', options, (job) => this.prepare(job, {}));
    assertNoUniqueMembers(jobs.map((job) => this.prepare(job, {})));
    const entry: FakeBatch = { id: randomUUID(), jobs: [...jobs], options, cancelled: false };
    this.batched.push(entry);
    return fakeRecord(entry);
  }

  override async addToBatch(batchId: string, jobs: Job[]): Promise<string[]> {
    assertBatchJobs(jobs);
    assertNoUniqueMembers(jobs.map((job) => this.prepare(job, {})));
    const entry = this.batched.find((b) => b.id === batchId);
    if (!entry || entry.cancelled) {
      throw new JobwrightError('BATCH_NOT_RUNNING', `Batch ${batchId} is unknown or cancelled in this fake`);
    }
    entry.jobs.push(...jobs);
    return jobs.map(() => randomUUID());
  }

  override async findBatch(id: string): Promise<BatchRecord | null> {
    const entry = this.batched.find((b) => b.id === id);
    return entry ? fakeRecord(entry) : null;
  }

  override async cancelBatch(id: string): Promise<boolean> {
    const entry = this.batched.find((b) => b.id === id);
    if (!entry || entry.cancelled) return false;
    entry.cancelled = true;
    return true;
  }

  override async schedule(
    name: string,
    cron: string,
    job: Job,
    options: ScheduleOptions = {},
  ): Promise<void> {
    assertScheduleName(name);
    assertCron(cron, options.timezone);
    this.prepare(job, {});
    const at = this.scheduled.findIndex((s) => s.name === name);
    const entry = { name, cron, job, options };
    if (at >= 0) this.scheduled[at] = entry;
    else this.scheduled.push(entry);
  }

  /** Asserts a batch was stored (matching the predicate, when given). */
  assertBatched(predicate?: (batch: FakeBatch) => boolean): void {
    if (!this.batched.some((b) => !predicate || predicate(b))) {
      throw new AssertionError({
        message: `Expected a batch to be dispatched${predicate ? ' matching the predicate' : ''}; batches: ${this.batched.length}`,
      });
    }
  }

  assertNothingBatched(): void {
    if (this.batched.length > 0) {
      throw new AssertionError({ message: `Expected no batch; got ${this.batched.length}` });
    }
  }

  /** Asserts a schedule of that name was stored (its job of that class, when given). */
  assertScheduled<T extends Job>(name: string, matcher?: JobMatcher<T>): void {
    const entry = this.scheduled.find((s) => s.name === name);
    if (!entry || (matcher && !matches(entry.job, matcher))) {
      throw new AssertionError({
        message: `Expected the schedule ${name}${matcher ? ` of ${describe(matcher)}` : ''}; scheduled: ${this.scheduled.map((s) => s.name).join(', ') || 'none'}`,
      });
    }
  }

  /**
   * Records the cancel; like the real one, true only for a recorded job not cancelled yet (an
   * inline or unknown id gives false).
   */
  override async cancel(id: string): Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return false;
    if (this.cancelled.includes(id) || !this.dispatched.some((d) => d.id === id)) return false;
    this.cancelled.push(id);
    return true;
  }

  /** Asserts `cancel(id)` was called for this recorded job (or for a job of this class). */
  assertCancelled<T extends Job>(idOrMatcher: string | JobMatcher<T>): void {
    const hit =
      typeof idOrMatcher === 'string' && this.cancelled.includes(idOrMatcher)
        ? true
        : this.dispatched.some(
            (d) => this.cancelled.includes(d.id) && matches(d.job, idOrMatcher as JobMatcher<T>),
          );
    if (!hit) {
      throw new AssertionError({
        message: `Expected ${typeof idOrMatcher === 'string' ? idOrMatcher : describe(idOrMatcher)} to be cancelled; cancelled: ${this.cancelled.length > 0 ? this.cancelled.join(', ') : 'none'}`,
      });
    }
  }

  private record(job: Job, options: DispatchOptions, chain?: Job[]): string {
    const id = randomUUID();
    this.dispatched.push(chain ? { id, job, options, chain } : { id, job, options });
    return id;
  }

  /** Recorded jobs of a class (or job name), optionally matching a predicate. */
  jobsOf<T extends Job>(
    matcher: JobMatcher<T>,
    predicate?: (job: T, entry: DispatchedJob<T>) => boolean,
  ): DispatchedJob<T>[] {
    return (this.dispatched as DispatchedJob<T>[]).filter(
      (entry) => matches(entry.job, matcher) && (!predicate || predicate(entry.job, entry)),
    );
  }

  assertDispatched<T extends Job>(
    matcher: JobMatcher<T>,
    predicate?: (job: T, entry: DispatchedJob<T>) => boolean,
  ): void {
    if (this.jobsOf(matcher, predicate).length === 0) {
      throw new AssertionError({
        message: `Expected ${describe(matcher)} to be dispatched${predicate ? ' matching the predicate' : ''}; dispatched: ${this.summary()}`,
      });
    }
  }

  assertDispatchedTimes<T extends Job>(matcher: JobMatcher<T>, times: number): void {
    const count = this.jobsOf(matcher).length;
    if (count !== times) {
      throw new AssertionError({
        message: `Expected ${describe(matcher)} to be dispatched ${times} time(s), got ${count}`,
      });
    }
  }

  assertNotDispatched<T extends Job>(
    matcher: JobMatcher<T>,
    predicate?: (job: T, entry: DispatchedJob<T>) => boolean,
  ): void {
    if (this.jobsOf(matcher, predicate).length > 0) {
      throw new AssertionError({ message: `Expected ${describe(matcher)} not to be dispatched` });
    }
  }

  assertNothingDispatched(): void {
    if (this.dispatched.length > 0) {
      throw new AssertionError({
        message: `Expected no jobs to be dispatched; dispatched: ${this.summary()}`,
      });
    }
  }

  /** Asserts a chain of these classes (in order) was dispatched. */
  assertChained(matchers: Array<JobMatcher<Job>>): void {
    const found = this.dispatched.some(
      (entry) =>
        entry.chain &&
        entry.chain.length === matchers.length &&
        entry.chain.every((job, i) => matches(job, matchers[i]!)),
    );
    if (!found)
      throw new AssertionError({
        message: `Expected the chain [${matchers.map(describe).join(', ')}] to be dispatched`,
      });
  }

  /** Sets this fake as the global dispatcher; `restore()` puts the previous one back. */
  install(): this {
    this.previous = setJobDispatcher(this);
    return this;
  }

  restore(): void {
    setJobDispatcher(this.previous);
  }

  private summary(): string {
    return this.dispatched.length === 0 ? 'none' : this.dispatched.map((d) => d.job.jobName()).join(', ');
  }
}

function fakeRecord(entry: FakeBatch): BatchRecord {
  return {
    id: entry.id,
    name: entry.options.name ?? null,
    totalJobs: entry.jobs.length,
    pendingJobs: entry.jobs.length,
    processedJobs: 0,
    failedJobs: 0,
    progress: 0,
    allowFailures: entry.options.allowFailures === true,
    createdAt: new Date(),
    finishedAt: null,
    cancelledAt: entry.cancelled ? new Date() : null,
  };
}

function matches(job: Job, matcher: JobMatcher<Job>): boolean {
  return typeof matcher === 'string' ? job.jobName() === matcher : job instanceof matcher;
}

function describe(matcher: JobMatcher<Job>): string {
  return typeof matcher === 'string' ? matcher : matcher.name;
}

/** Replaces the global dispatcher with a recording fake; call `restore()` on it afterwards. */
export function fakeQueue(): FakeDispatcher {
  return new FakeDispatcher().install();
}

/**
 * Runs a job's `handle` once, inline, with a context as a worker would give it; resolves with
 * what `handle` returned (its `result`). `ctx.progress` values are checked and kept in
 * `context.progressValues` when you pass that array.
 */
export async function runJob<R = unknown>(
  job: Job,
  context: Partial<JobContext> & { progressValues?: JobProgress[] } = {},
): Promise<R> {
  const { progressValues, ...given } = context;
  return (await job.handle({
    signal: new AbortController().signal,
    attempt: 1,
    maxAttempts: job.maxAttempts(),
    jobId: randomUUID(),
    queueName: job.queueName(),
    jobName: job.jobName(),
    release: () => {},
    batchId: null,
    progress: async (value) => {
      encodeProgress(value, DEFAULT_RESULT_LIMIT_BYTES);
      progressValues?.push(value);
    },
    ...given,
  })) as R;
}
