import type { ReservedJob, ReserveParams } from '../contract.js';

interface Ahead {
  queue: string;
  leaseMs: number;
  jobs: Array<{ job: ReservedJob; at: number }>;
  /** The last fetch filled all it asked for: more work is probably waiting. */
  backlog: boolean;
  /** A fetch running in the background to top the buffer up before it runs dry. */
  refill: Promise<void> | undefined;
  /** How far ahead to reserve now: doubles while slots wait for refills, back down when the backlog ends. */
  size: number;
}

/**
 * Reserves ahead for a busy worker. The engine asks for as many jobs as it has free slots,
 * which for short jobs means one round trip per job or two; when the last fetch came back full,
 * this fetches up to `size` at once and hands the extra out from memory as slots free, and
 * tops the buffer up in the background when it is half empty. While slots still wait for those
 * refills (a slow database), it holds up to ten times `size` ahead.
 *
 * The price, documented in docs/postgres.md: jobs held ahead show as `processing`, their
 * attempt is already counted, and a higher-priority job that arrives meanwhile waits for the
 * held ones. A held job is handed out only while a third of its lease is left unspent, so the
 * worker's first heartbeat (every third of the lease) renews it in time; older ones are put
 * back without counting the attempt, as are all of a worker's when it unregisters.
 */
export class ReserveAhead {
  private readonly byWorker = new Map<string, Ahead>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly fetch: (params: ReserveParams) => Promise<ReservedJob[]>,
    private readonly giveBack: (jobs: ReservedJob[]) => Promise<void>,
    private readonly size: number,
  ) {}

  async reserve(params: ReserveParams): Promise<ReservedJob[]> {
    if (this.size <= 0) return this.fetch(params);
    let ahead = this.byWorker.get(params.workerId);
    if (!ahead) {
      ahead = {
        queue: params.queue,
        leaseMs: params.leaseMs,
        jobs: [],
        backlog: false,
        refill: undefined,
        size: this.size,
      };
      this.byWorker.set(params.workerId, ahead);
    }
    // Slots should never wait for a round trip while there is a backlog: wait only for a refill
    // that is already on its way when the buffer cannot serve this call.
    if (ahead.jobs.length < params.limit && ahead.refill) {
      // The buffer ran dry before the refill came back: hold more ahead to cover a round trip.
      ahead.size = Math.min(this.size * 10, ahead.size * 2);
      await ahead.refill;
    }
    const out = this.take(ahead, params.limit);
    if (out.length < params.limit) {
      const want = params.limit - out.length;
      // Hold a few rounds of this worker's slots ahead, not fewer than `size`.
      if (ahead.backlog) ahead.size = Math.min(this.size * 10, Math.max(ahead.size, params.limit * 4));
      const ask = ahead.backlog ? Math.max(want, ahead.size) : want;
      const sentAt = performance.now();
      const jobs = await this.fetch({ ...params, limit: ask });
      ahead.backlog = jobs.length >= ask;
      if (!ahead.backlog) ahead.size = this.size;
      out.push(...jobs.slice(0, want));
      for (const job of jobs.slice(want)) ahead.jobs.push({ job, at: sentAt });
    }
    if (ahead.backlog && !ahead.refill && ahead.jobs.length < ahead.size / 2) {
      const current = ahead;
      current.refill = this.topUp(current, params).finally(() => {
        current.refill = undefined;
      });
    }
    this.startSweeper();
    return out;
  }

  private take(ahead: Ahead, limit: number): ReservedJob[] {
    const out: ReservedJob[] = [];
    const stale: ReservedJob[] = [];
    const now = performance.now();
    while (out.length < limit && ahead.jobs.length > 0) {
      const held = ahead.jobs.shift()!;
      if (now - held.at < ahead.leaseMs / 3) out.push(held.job);
      else stale.push(held.job);
    }
    if (stale.length > 0) void this.giveBack(stale).catch(() => {});
    return out;
  }

  private async topUp(ahead: Ahead, params: ReserveParams): Promise<void> {
    const sentAt = performance.now();
    try {
      const ask = ahead.size;
      const jobs = await this.fetch({ ...params, limit: ask });
      ahead.backlog = jobs.length >= ask;
      if (!ahead.backlog) ahead.size = this.size;
      // The worker stopped meanwhile: give these back rather than hold them.
      if (this.byWorker.get(params.workerId) !== ahead) {
        if (jobs.length > 0) await this.giveBack(jobs);
        return;
      }
      for (const job of jobs) ahead.jobs.push({ job, at: sentAt });
    } catch {
      // The next reserve fetches in the foreground and reports the error to the worker.
      ahead.backlog = false;
    }
  }

  /** Puts back what a worker holds ahead: it stopped, or its queue was paused. */
  async releaseWhere(match: (workerId: string, queue: string) => boolean): Promise<void> {
    const jobs: ReservedJob[] = [];
    for (const [workerId, ahead] of this.byWorker) {
      if (!match(workerId, ahead.queue)) continue;
      await ahead.refill;
      jobs.push(...ahead.jobs.splice(0).map((h) => h.job));
      ahead.backlog = false;
      this.byWorker.delete(workerId);
    }
    if (jobs.length > 0) await this.giveBack(jobs);
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** A worker that stops asking (stopped without unregistering) must not sit on jobs. */
  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = performance.now();
      const stale: ReservedJob[] = [];
      for (const ahead of this.byWorker.values()) {
        while (ahead.jobs.length > 0 && now - ahead.jobs[0]!.at >= ahead.leaseMs / 3) {
          stale.push(ahead.jobs.shift()!.job);
        }
      }
      if (stale.length > 0) void this.giveBack(stale).catch(() => {});
    }, 250);
    this.sweeper.unref();
  }
}
