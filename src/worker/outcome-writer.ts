import type { JobLifecycle, LeaseRef, Outcome, OutcomeResult } from '../drivers/contract.js';
import { storableText } from './error-text.js';
import { WriteGroup } from './write-group.js';

/** Outcomes written at once at most; more wait for the next call. */
const MAX_GROUP = 500;

/**
 * Writes job outcomes for every store the same way: grouped into one `settle` per turn of the
 * event loop (pipelined: two calls in flight while the slots keep running), each outcome with its
 * own result. When a grouped call fails, the outcomes are written one by one, so one job the
 * store refuses fails alone with its reason and never harms its neighbours (rule 9). A refused
 * completion or retry (e.g. a chain link the store cannot keep) becomes a failure with the reason.
 */
export class OutcomeWriter {
  private readonly group: WriteGroup<Outcome, OutcomeResult>;

  constructor(private readonly driver: JobLifecycle) {
    this.group = new WriteGroup((items) => this.flush(items), 2, MAX_GROUP);
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
    try {
      const results = await this.driver.settle({ outcomes: items });
      return items.map((_, i) => ({ status: 'fulfilled', value: results[i] ?? { status: 'lost' } }));
    } catch (error) {
      if (items.length === 1) return [{ status: 'rejected', reason: error }];
      // One by one: the job whose write the store refuses is answered alone.
      return Promise.allSettled(
        items.map(async (item) => (await this.driver.settle({ outcomes: [item] }))[0] ?? { status: 'lost' }),
      );
    }
  }
}
