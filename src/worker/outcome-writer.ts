import type { JobLifecycle, LeaseRef, Outcome, OutcomeResult, ReservedJob } from '../drivers/contract.js';
import { WriteGroup } from '../write-group.js';
import { storableText } from './error-text.js';

/** Outcomes written at once at most; more wait for the next call. */
const MAX_GROUP = 500;

/**
 * Pauses before each retry of an outcome whose write failed (about 2 s in all; the lease is
 * still heartbeated meanwhile), so a passing failure does not leave the job to crash recovery.
 */
const RETRY_PAUSES_MS = [0, 50, 250, 600, 1000];

/**
 * Where finishing slots find their next job: held jobs that start in the same write as the
 * outcomes of the jobs they follow (one round trip per job, and never more jobs charged than
 * slots, since each started job replaces a settled one in the same atomic step).
 */
export interface Successors {
  /** Takes up to `count` held jobs to start with this write (none while the worker stops). */
  take(count: number): ReservedJob[];
  /** The write landed: `lost` are the taken jobs that did not start. */
  started(jobs: ReservedJob[], lost: ReadonlySet<string>): void;
  /** The start could not be written (the store failed): the taken jobs did not start. */
  failed(jobs: ReservedJob[], error: unknown): void;
}

/**
 * Writes job outcomes for every store the same way: grouped into one `settleAndStart` per turn
 * of the event loop, one call in flight (the outcomes that finish meanwhile go together in the
 * next: fewer, bigger writes measured faster than two calls in flight, at concurrency 10 and 50
 * alike), each outcome with its own result, together with the held jobs that take the finishing slots. When a
 * grouped call fails, the outcomes are written one by one, so one job the store refuses fails
 * alone with its reason and never harms its neighbours (rule 9). A refused completion or retry
 * (e.g. a chain link the store cannot keep) becomes a failure with the reason.
 */
export class OutcomeWriter {
  private readonly group: WriteGroup<Outcome, OutcomeResult>;

  constructor(
    private readonly driver: JobLifecycle,
    private readonly successors?: Successors,
    private readonly leaseMs = 0,
  ) {
    this.group = new WriteGroup((items) => this.flush(items), 1, MAX_GROUP);
  }

  /** Outcomes waiting or being written. */
  get pending(): number {
    return this.group.size;
  }

  /** Writes one outcome; rejects only when the store stays unreachable for it. */
  async write(outcome: Outcome): Promise<OutcomeResult> {
    const result = await this.group.add(outcome);
    if (result.status !== 'refused' || outcome.kind === 'release') return result;
    // The store refused this job's data: fail the job with the reason, in a write of its own.
    const reason =
      outcome.kind === 'fail'
        ? `The job failed, and its error text could not be stored (${result.reason})`
        : `The job's ${outcome.kind === 'complete' ? 'completion' : 'retry'} could not be stored: ${result.reason}`;
    const [failed] = await this.driver.settle({
      outcomes: [
        { kind: 'fail', id: outcome.id, leaseToken: outcome.leaseToken, error: storableText(reason) },
      ],
    });
    return failed?.status === 'ok' ? { status: 'refused', reason } : (failed ?? { status: 'lost' });
  }

  /** Puts jobs back (held ones as they were, started ones without their attempt). */
  release(leases: LeaseRef[], delayMs = 0): Promise<OutcomeResult[]> {
    return Promise.all(
      leases.map((l) =>
        this.write({ kind: 'release', id: l.id, leaseToken: l.leaseToken, delayMs }).catch(
          (): OutcomeResult => ({ status: 'lost' }),
        ),
      ),
    );
  }

  drain(): Promise<void> {
    return this.group.drain();
  }

  private async flush(items: Outcome[]): Promise<Array<PromiseSettledResult<OutcomeResult>>> {
    const finishing = items.filter((o) => o.kind !== 'release').length;
    const next = finishing > 0 && this.successors ? this.successors.take(finishing) : [];
    const start = next.map((j) => ({ id: j.id, leaseToken: j.leaseToken }));
    try {
      const { outcomes, lost } = await this.driver.settleAndStart({
        outcomes: items,
        start,
        leaseMs: this.leaseMs,
      });
      if (next.length > 0) this.successors?.started(next, new Set(lost));
      return items.map((_, i) => ({ status: 'fulfilled', value: outcomes[i] ?? { status: 'lost' } }));
    } catch (error) {
      // One by one: the job whose write the store refuses is answered alone, and a passing
      // store failure (a deadlock victim, a dropped connection) is tried again. The held jobs
      // start after their predecessors' outcomes, so no more jobs are charged than slots.
      const settled = await Promise.allSettled(items.map((item) => this.settleAlone(item, error)));
      if (next.length > 0) await this.startAlone(next);
      return settled;
    }
  }

  /** One outcome on its own, tried again after short pauses while the store fails. */
  private async settleAlone(item: Outcome, firstError: unknown): Promise<OutcomeResult> {
    let error = firstError;
    for (const pauseMs of RETRY_PAUSES_MS) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      try {
        return (await this.driver.settle({ outcomes: [item] }))[0] ?? { status: 'lost' };
      } catch (cause) {
        error = cause;
      }
    }
    throw error;
  }

  private async startAlone(jobs: ReservedJob[]): Promise<void> {
    try {
      const leases = jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken }));
      const { lost } = await this.driver.start({ leases, leaseMs: this.leaseMs });
      this.successors?.started(jobs, new Set(lost));
    } catch (error) {
      this.successors?.failed(jobs, error);
    }
  }
}
