import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { type DispatchOptions, JobDispatcher } from '../dispatcher.js';
import { MemoryQueueDriver } from '../drivers/memory/memory-driver.js';
import { setJobDispatcher } from '../global.js';
import type { Job, JobClass, JobContext, JobProgress } from '../job.js';
import { DEFAULT_RESULT_LIMIT_BYTES, encodeProgress } from '../worker/job-data.js';

export interface DispatchedJob<T extends Job = Job> {
  id: string;
  job: T;
  options: DispatchOptions;
  /** Set for jobs dispatched through `chain()`: the chain they belong to, in order. */
  chain?: Job[];
}

type JobMatcher<T extends Job> = JobClass<T> | string;

/**
 * A dispatcher that records jobs instead of queueing them (Laravel's `Queue::fake()`).
 * `shouldQueue() === false` jobs are recorded too, not run.
 */
export class FakeDispatcher extends JobDispatcher {
  readonly dispatched: DispatchedJob[] = [];
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
    batchId: null,
    progress: async (value) => {
      encodeProgress(value, DEFAULT_RESULT_LIMIT_BYTES);
      progressValues?.push(value);
    },
    ...given,
  })) as R;
}
