import type BetterSqlite3 from 'better-sqlite3';
import type { LeaseRef, NewJob } from '../contract.js';
import {
  type CounterHit,
  hasLimits,
  LimitGate,
  type LimitState,
  NO_LIMITS,
  type QueueLimits,
} from '../flow-contract.js';
import { insertParams, type JobRow } from './rows.js';

/** What the flow-control statements need from the driver. */
export interface SqliteFlowHost {
  stmt(sql: string): BetterSqlite3.Statement;
  now(): number;
}

const LIVE = `status IN ('pending', 'processing', 'retrying')`;

const UNIQUE_HOLDER = `
SELECT id FROM jobs INDEXED BY idx_jobs_unique
WHERE queue_name = @queueName AND unique_key = @uniqueKey AND ${LIVE}
  AND unique_key IS NOT NULL AND (unique_until IS NULL OR unique_until > @now)
LIMIT 1`;

const INSERT_FLOW_JOB = `
INSERT INTO jobs (id, queue_name, job_name, payload, attempts, max_attempts, status, priority,
                  available_at, timeout_seconds, created_at, updated_at, meta, unique_key, unique_until, group_key)
VALUES (@id, @queueName, @jobName, @payload, 0, @maxAttempts, 'pending', @priority,
        @availableAt, @timeoutSeconds, @now, @now, @meta, @uniqueKey, @uniqueUntil, @group)`;

const END_LEASE = `lease_token = NULL, lease_expires_at = NULL, reserved_by = NULL, updated_at = @now`;

/** A waiting job, or one held ahead and never started, is failed at once. */
const CANCEL_WAITING = `
UPDATE jobs SET status = 'failed', error_message = @reason, failed_at = @now, ${END_LEASE}
WHERE id = @id AND (status IN ('pending', 'retrying') OR (status = 'processing' AND reserved_at IS NULL))`;

const CANCEL_RUNNING = `
UPDATE jobs SET cancel_lease = lease_token WHERE id = @id AND status = 'processing'`;

const CANCELLED_LEASES = `
SELECT id, lease_token FROM jobs
WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'processing' AND cancel_lease = lease_token`;

const LIMITS_OF = 'SELECT limits FROM jobwright_queue_limits WHERE queue_name = ?';

const RUNNING_BY_GROUP = `
SELECT group_key AS g, count(*) AS n FROM jobs
WHERE queue_name = @queue AND status = 'processing' AND reserved_at IS NOT NULL
GROUP BY group_key`;

const STARTS_BY_GROUP = `
SELECT group_key AS g, count(*) AS n FROM jobwright_queue_starts
WHERE queue_name = @queue AND started_at > @since GROUP BY group_key`;

const CANDIDATES = `
SELECT id, group_key FROM jobs INDEXED BY idx_jobs_queue_processing
WHERE queue_name = @queue AND status IN ('pending', 'retrying') AND available_at <= @now
  AND NOT EXISTS (SELECT 1 FROM job_paused_queues WHERE queue_name = @queue)
  AND (group_key IS NULL OR group_key NOT IN (SELECT value FROM json_each(@full)))
ORDER BY priority, id
LIMIT @limit`;

const START_LIMITED = `
UPDATE jobs
SET status = 'processing', attempts = attempts + 1, reserved_at = @now, updated_at = @now,
    lease_token = lower(hex(randomblob(16))), lease_expires_at = @leaseExpiresAt, reserved_by = @workerId
WHERE id = @id AND status IN ('pending', 'retrying')
RETURNING *`;

/**
 * The SQLite driver's flow control. Every function runs inside the driver's write transaction
 * (BEGIN IMMEDIATE): with one writer at a time, the unique check and insert, and the limit
 * counts and the reservation, are each one atomic step across processes.
 */
export class SqliteFlow {
  constructor(private readonly host: SqliteFlowHost) {}

  /** Inside the enqueue transaction: stores a unique or grouped job; returns the id holding it. */
  insert(job: NewJob, availableAt: number, now: number): string {
    if (job.uniqueKey) {
      const holder = this.host
        .stmt(UNIQUE_HOLDER)
        .pluck()
        .get({ ...job, now }) as string | undefined;
      if (holder !== undefined) return holder;
    }
    this.host.stmt(INSERT_FLOW_JOB).run({
      ...insertParams(job, availableAt, now),
      uniqueKey: job.uniqueKey ?? null,
      uniqueUntil: job.uniqueKey && job.uniqueForMs ? now + job.uniqueForMs : null,
      group: job.group ?? null,
    });
    return job.id;
  }

  /** The queue's limits, or null: read inside the reserve transaction (a primary-key lookup). */
  limitsOf(queue: string): QueueLimits | null {
    const text = this.host.stmt(LIMITS_OF).pluck().get(queue) as string | undefined;
    return text === undefined ? null : (JSON.parse(text) as QueueLimits);
  }

  /** Inside the reserve transaction: starts what the limits allow (nothing is held ahead). */
  reserveLimited(
    queue: string,
    limits: QueueLimits,
    want: number,
    leaseExpiresAt: number,
    workerId: string,
    now: number,
  ): JobRow[] {
    const state = this.state(queue, limits, now);
    const gate = new LimitGate(limits, state, want);
    if (gate.room <= 0) return [];
    const candidates = this.host.stmt(CANDIDATES).all({
      queue,
      now,
      full: JSON.stringify(gate.fullGroups()),
      limit: gate.room + 200,
    }) as Array<{ id: string; group_key: string | null }>;
    const start = this.host.stmt(START_LIMITED);
    const logStart = limits.rate !== null || limits.groupRate !== null;
    const out: JobRow[] = [];
    for (const c of candidates) {
      if (gate.room <= 0) break;
      if (!gate.admit(c.group_key)) continue;
      const row = start.get({ id: c.id, now, leaseExpiresAt, workerId }) as JobRow | undefined;
      if (!row) continue;
      out.push(row);
      if (logStart) {
        this.host
          .stmt('INSERT INTO jobwright_queue_starts (queue_name, group_key, started_at) VALUES (?, ?, ?)')
          .run(queue, c.group_key, now);
      }
    }
    return out;
  }

  private state(queue: string, limits: QueueLimits, now: number): LimitState {
    const state: LimitState = {
      running: 0,
      startsInWindow: 0,
      groupRunning: new Map(),
      groupStartsInWindow: new Map(),
    };
    for (const { g, n } of this.host.stmt(RUNNING_BY_GROUP).all({ queue }) as Array<{
      g: string | null;
      n: number;
    }>) {
      state.running += n;
      if (g !== null) state.groupRunning.set(g, n);
    }
    const longest = Math.max(limits.rate?.perSeconds ?? 0, limits.groupRate?.perSeconds ?? 0) * 1000;
    if (longest > 0) {
      this.host
        .stmt('DELETE FROM jobwright_queue_starts WHERE queue_name = ? AND started_at <= ?')
        .run(queue, now - longest);
    }
    const starts = (since: number) =>
      this.host.stmt(STARTS_BY_GROUP).all({ queue, since }) as Array<{ g: string | null; n: number }>;
    if (limits.rate)
      for (const { n } of starts(now - limits.rate.perSeconds * 1000)) state.startsInWindow += n;
    if (limits.groupRate) {
      for (const { g, n } of starts(now - limits.groupRate.perSeconds * 1000)) {
        if (g !== null) state.groupStartsInWindow.set(g, n);
      }
    }
    return state;
  }

  cancel(id: string, reason: string, now: number): boolean {
    if (this.host.stmt(CANCEL_WAITING).run({ id, reason, now }).changes > 0) return true;
    return this.host.stmt(CANCEL_RUNNING).run({ id }).changes > 0;
  }

  cancelRequested(leases: LeaseRef[]): string[] {
    if (leases.length === 0) return [];
    const rows = this.host
      .stmt(CANCELLED_LEASES)
      .all({ ids: JSON.stringify(leases.map((l) => l.id)) }) as Array<{
      id: string;
      lease_token: string;
    }>;
    const tokens = new Map(rows.map((r) => [r.id, r.lease_token]));
    return leases.filter((l) => tokens.get(l.id) === l.leaseToken).map((l) => l.id);
  }

  setLimits(queue: string, limits: QueueLimits, now: number): void {
    if (!hasLimits(limits)) {
      this.host.stmt('DELETE FROM jobwright_queue_limits WHERE queue_name = ?').run(queue);
      return;
    }
    this.host
      .stmt(
        `INSERT INTO jobwright_queue_limits (queue_name, limits, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (queue_name) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at`,
      )
      .run(queue, JSON.stringify(limits), now);
  }

  limits(queue: string): QueueLimits {
    return { ...NO_LIMITS, ...(this.limitsOf(queue) ?? {}) };
  }

  limitedQueues(): Array<{ queue: string; limits: QueueLimits }> {
    const rows = this.host
      .stmt('SELECT queue_name, limits FROM jobwright_queue_limits ORDER BY queue_name')
      .all() as Array<{ queue_name: string; limits: string }>;
    return rows.map((r) => ({ queue: r.queue_name, limits: { ...NO_LIMITS, ...JSON.parse(r.limits) } }));
  }

  acquireLock(key: string, owner: string, ttlMs: number, now: number): boolean {
    const row = this.host.stmt('SELECT owner, expires_at FROM jobwright_flow_keys WHERE key = ?').get(key) as
      | { owner: string | null; expires_at: number }
      | undefined;
    if (row && row.expires_at > now && row.owner !== owner) return false;
    this.host
      .stmt('INSERT OR REPLACE INTO jobwright_flow_keys (key, owner, count, expires_at) VALUES (?, ?, 0, ?)')
      .run(key, owner, now + Math.round(ttlMs));
    return true;
  }

  releaseLock(key: string, owner: string): void {
    this.host.stmt('DELETE FROM jobwright_flow_keys WHERE key = ? AND owner = ?').run(key, owner);
  }

  hit(key: string, windowMs: number, max: number | null, now: number): CounterHit {
    const row = this.host.stmt('SELECT count, expires_at FROM jobwright_flow_keys WHERE key = ?').get(key) as
      | { count: number; expires_at: number }
      | undefined;
    const live = row && row.expires_at > now ? row : undefined;
    const count = live?.count ?? 0;
    if (max !== null && count >= max) {
      return { allowed: false, count, resetInMs: live ? live.expires_at - now : 0 };
    }
    const expiresAt = live?.expires_at ?? now + Math.round(windowMs);
    this.host
      .stmt(
        'INSERT OR REPLACE INTO jobwright_flow_keys (key, owner, count, expires_at) VALUES (?, NULL, ?, ?)',
      )
      .run(key, count + 1, expiresAt);
    return { allowed: true, count: count + 1, resetInMs: expiresAt - now };
  }

  clear(key: string): void {
    this.host.stmt('DELETE FROM jobwright_flow_keys WHERE key = ?').run(key);
  }
}
