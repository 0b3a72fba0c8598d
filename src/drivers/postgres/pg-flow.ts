import type { LeaseRef, NewJob, ReservedJob } from '../contract.js';
import {
  type CounterHit,
  hasLimits,
  LimitGate,
  type LimitState,
  NO_LIMITS,
  type QueueLimits,
} from '../flow-contract.js';
import type { PgPoolLike, PgQueryable } from './connection.js';
import { type JobRow, newJobArrays, toReservedJob } from './rows.js';
import { jobColumns } from './sql.js';

/** How long a process trusts its copy of "this queue has no limits" (ms). */
export const LIMITS_CACHE_MS = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The PostgreSQL driver's flow control. Unique enqueues and limited reservations each run in one
 * transaction under an advisory lock (per unique key, per limited queue), so checks and writes
 * are one atomic step across processes and machines.
 */
export class PgFlow {
  private readonly limitsCache = new Map<string, { limits: QueueLimits | null; at: number }>();
  /** Advisory lock namespace of this schema. */
  private readonly space: string;

  constructor(
    private readonly s: string,
    private readonly pool: () => Promise<PgPoolLike>,
  ) {
    this.space = `jobwright:${s}`;
  }

  /** Runs `fn` in a transaction on one client (the caller's `tx` when given: its transaction). */
  private async transaction<T>(fn: (c: PgQueryable) => Promise<T>, tx?: PgQueryable): Promise<T> {
    if (tx) return fn(tx);
    const client = await (await this.pool()).connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw error;
    }
  }

  /** Stores unique and grouped jobs; per job, its id or the id of the live job holding its key. */
  async enqueue(jobs: NewJob[], tx?: PgQueryable): Promise<string[]> {
    const s = this.s;
    return this.transaction(async (c) => {
      const ids = jobs.map((job) => job.id);
      // Jobs without a unique key go in one multi-row insert, whatever their number.
      const plain = jobs.filter((job) => !job.uniqueKey);
      if (plain.length > 0) {
        await c.query(
          `INSERT INTO ${s}.jobs (id, queue_name, job_name, payload, max_attempts, priority, timeout_seconds,
             timeout_ms, available_at, meta, group_key)
           SELECT t.id, t.queue_name, t.job_name, t.payload::jsonb, t.max_attempts, t.priority, t.timeout_seconds,
             t.timeout_ms, COALESCE(t.available_at, now() + t.delay_ms * interval '1 millisecond'), t.meta, t.group_key
           FROM unnest($1::bpchar[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[],
                       $8::int[], $9::timestamptz[], $10::float8[], $11::text[], $12::text[])
             AS t(id, queue_name, job_name, payload, max_attempts, priority, timeout_seconds, timeout_ms,
                  available_at, delay_ms, meta, group_key)`,
          [...newJobArrays(plain), plain.map((job) => job.group ?? null)],
        );
      }
      for (const [i, job] of jobs.entries()) {
        if (!job.uniqueKey) continue;
        // Serialises dispatches of one key across processes until this transaction ends.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
          `${this.space}:${job.queueName}`,
          job.uniqueKey,
        ]);
        const { rows } = await c.query<{ id: string }>(
          `SELECT id FROM ${s}.jobs WHERE queue_name = $1 AND unique_key = $2
             AND status IN ('pending', 'processing', 'retrying')
             AND (unique_until IS NULL OR unique_until > now()) LIMIT 1`,
          [job.queueName, job.uniqueKey],
        );
        if (rows[0]) {
          ids[i] = rows[0].id.trimEnd();
          continue;
        }
        const a = newJobArrays([job]).map((col) => col[0]);
        await c.query(
          `INSERT INTO ${s}.jobs (id, queue_name, job_name, payload, max_attempts, priority, timeout_seconds,
             timeout_ms, available_at, meta, unique_key, unique_until, group_key)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8,
             COALESCE($9::timestamptz, now() + $10::float8 * interval '1 millisecond'), $11, $12,
             CASE WHEN $13::float8 > 0 THEN now() + $13::float8 * interval '1 millisecond' END, $14)`,
          [...a, job.uniqueKey, job.uniqueForMs ?? 0, job.group ?? null],
        );
      }
      return ids;
    }, tx);
  }

  /** The queue's limits as this process last saw them (at most LIMITS_CACHE_MS old). */
  async cachedLimits(queue: string): Promise<QueueLimits | null> {
    const hit = this.limitsCache.get(queue);
    const now = performance.now();
    if (hit && now - hit.at < LIMITS_CACHE_MS) return hit.limits;
    const limits = await this.readLimits(await this.pool(), queue);
    this.limitsCache.set(queue, { limits, at: now });
    return limits;
  }

  private async readLimits(c: PgQueryable, queue: string): Promise<QueueLimits | null> {
    const { rows } = await c.query<{ limits: QueueLimits }>(
      `SELECT limits FROM ${this.s}.jobwright_queue_limits WHERE queue_name = $1`,
      [queue],
    );
    return rows[0] ? { ...NO_LIMITS, ...rows[0].limits } : null;
  }

  /** Starts what the queue's limits allow, holding nothing ahead; one transaction per queue at a time. */
  async reserveLimited(
    queue: string,
    want: number,
    leaseMs: number,
    workerId: string,
  ): Promise<ReservedJob[]> {
    const s = this.s;
    return this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
        this.space,
        `limits:${queue}`,
      ]);
      const limits = (await this.readLimits(c, queue)) ?? NO_LIMITS;
      this.limitsCache.set(queue, { limits: hasLimits(limits) ? limits : null, at: performance.now() });
      const gate = new LimitGate(limits, await this.state(c, queue, limits), want);
      if (gate.room <= 0) return [];
      const { rows: candidates } = await c.query<{ id: string; group_key: string | null }>(
        `SELECT id, group_key FROM ${s}.jobs
         WHERE queue_name = $1 AND status IN ('pending', 'retrying') AND available_at <= now()
           AND NOT EXISTS (SELECT 1 FROM ${s}.jobwright_paused_queues p WHERE p.queue_name = $1)
           AND (group_key IS NULL OR NOT (group_key = ANY($2::text[])))
         ORDER BY priority, available_at, id
         LIMIT $3
         FOR UPDATE SKIP LOCKED`,
        [queue, gate.fullGroups(), gate.room + 200],
      );
      const picked = candidates.filter((cand) => gate.room > 0 && gate.admit(cand.group_key));
      if (picked.length === 0) return [];
      const { rows } = await c.query<JobRow>(
        `UPDATE ${s}.jobs j
         SET status = 'processing', attempts = j.attempts + 1, lease_token = gen_random_uuid(),
             reserved_at = now(), lease_expires_at = now() + $2 * interval '1 millisecond',
             reserved_by = $3, updated_at = now()
         WHERE j.id = ANY($1::bpchar[])
         RETURNING ${jobColumns('j')}`,
        [picked.map((p) => p.id), leaseMs, workerId],
      );
      if (limits.rate !== null || limits.groupRate !== null) {
        await c.query(
          `INSERT INTO ${s}.jobwright_queue_starts (queue_name, group_key, started_at)
           SELECT $1, g, now() FROM unnest($2::text[]) AS g`,
          [queue, picked.map((p) => p.group_key)],
        );
      }
      return rows
        .map(toReservedJob)
        .sort(
          (a, b) =>
            a.priority - b.priority ||
            a.availableAt.getTime() - b.availableAt.getTime() ||
            (a.id < b.id ? -1 : 1),
        );
    });
  }

  private async state(c: PgQueryable, queue: string, limits: QueueLimits): Promise<LimitState> {
    const s = this.s;
    const state: LimitState = {
      running: 0,
      startsInWindow: 0,
      groupRunning: new Map(),
      groupStartsInWindow: new Map(),
    };
    const { rows: running } = await c.query<{ g: string | null; n: number }>(
      `SELECT group_key AS g, count(*)::int AS n FROM ${s}.jobs
       WHERE status = 'processing' AND queue_name = $1 AND reserved_at IS NOT NULL GROUP BY group_key`,
      [queue],
    );
    for (const { g, n } of running) {
      state.running += n;
      if (g !== null) state.groupRunning.set(g, n);
    }
    const rateS = limits.rate?.perSeconds ?? 0;
    const groupS = limits.groupRate?.perSeconds ?? 0;
    if (rateS === 0 && groupS === 0) return state;
    await c.query(
      `DELETE FROM ${s}.jobwright_queue_starts WHERE queue_name = $1 AND started_at <= now() - $2 * interval '1 second'`,
      [queue, Math.max(rateS, groupS)],
    );
    const { rows } = await c.query<{ g: string | null; q: number; gn: number }>(
      `SELECT group_key AS g,
              count(*) FILTER (WHERE started_at > now() - $2 * interval '1 second')::int AS q,
              count(*) FILTER (WHERE started_at > now() - $3 * interval '1 second')::int AS gn
       FROM ${s}.jobwright_queue_starts WHERE queue_name = $1 GROUP BY group_key`,
      [queue, rateS, groupS],
    );
    for (const { g, q, gn } of rows) {
      state.startsInWindow += q;
      if (g !== null && groupS > 0) state.groupStartsInWindow.set(g, gn);
    }
    return state;
  }

  async cancel(id: string, reason: string): Promise<boolean> {
    const pool = await this.pool();
    const failed = await pool.query(
      `UPDATE ${this.s}.jobs SET status = 'failed', error_message = $2, failed_at = now(), updated_at = now(),
         lease_token = NULL, lease_expires_at = NULL
       WHERE id = $1 AND (status IN ('pending', 'retrying') OR (status = 'processing' AND reserved_at IS NULL))`,
      [id, reason],
    );
    if ((failed.rowCount ?? 0) > 0) return true;
    const marked = await pool.query(
      `UPDATE ${this.s}.jobs SET cancel_lease = lease_token WHERE id = $1 AND status = 'processing'`,
      [id],
    );
    return (marked.rowCount ?? 0) > 0;
  }

  async cancelRequested(leases: LeaseRef[]): Promise<string[]> {
    const valid = leases.filter((l) => UUID.test(l.leaseToken));
    if (valid.length === 0) return [];
    const { rows } = await (await this.pool()).query<{ id: string }>(
      `SELECT j.id FROM ${this.s}.jobs j
       JOIN unnest($1::bpchar[], $2::uuid[]) AS t(id, token) ON j.id = t.id
       WHERE j.status = 'processing' AND j.cancel_lease = t.token AND j.lease_token = t.token`,
      [valid.map((l) => l.id), valid.map((l) => l.leaseToken)],
    );
    return rows.map((r) => r.id.trimEnd());
  }

  async setLimits(queue: string, limits: QueueLimits): Promise<void> {
    const pool = await this.pool();
    if (!hasLimits(limits)) {
      await pool.query(`DELETE FROM ${this.s}.jobwright_queue_limits WHERE queue_name = $1`, [queue]);
    } else {
      await pool.query(
        `INSERT INTO ${this.s}.jobwright_queue_limits (queue_name, limits) VALUES ($1, $2::jsonb)
         ON CONFLICT (queue_name) DO UPDATE SET limits = excluded.limits, updated_at = now()`,
        [queue, JSON.stringify(limits)],
      );
    }
    this.limitsCache.delete(queue);
  }

  async limits(queue: string): Promise<QueueLimits> {
    return (await this.readLimits(await this.pool(), queue)) ?? { ...NO_LIMITS };
  }

  async limitedQueues(): Promise<Array<{ queue: string; limits: QueueLimits }>> {
    const { rows } = await (await this.pool()).query<{ queue_name: string; limits: QueueLimits }>(
      `SELECT queue_name, limits FROM ${this.s}.jobwright_queue_limits ORDER BY queue_name`,
    );
    return rows.map((r) => ({ queue: r.queue_name, limits: { ...NO_LIMITS, ...r.limits } }));
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const { rows } = await (await this.pool()).query<{ owner: string }>(
      `INSERT INTO ${this.s}.jobwright_flow_keys AS k (key, owner, count, expires_at)
       VALUES ($1, $2, 0, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, count = 0
         WHERE k.expires_at <= now() OR k.owner = excluded.owner
       RETURNING owner`,
      [key, owner, ttlMs],
    );
    return rows.length > 0;
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    await (await this.pool()).query(
      `DELETE FROM ${this.s}.jobwright_flow_keys WHERE key = $1 AND owner = $2`,
      [key, owner],
    );
  }

  async hit(key: string, windowMs: number, max: number | null): Promise<CounterHit> {
    const s = this.s;
    return this.transaction(async (c) => {
      // A fresh window for an expired or missing counter, then the row locked for the update.
      await c.query(
        `INSERT INTO ${s}.jobwright_flow_keys AS k (key, owner, count, expires_at)
         VALUES ($1, NULL, 0, now() + $2 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET count = 0, expires_at = excluded.expires_at WHERE k.expires_at <= now()`,
        [key, windowMs],
      );
      const { rows } = await c.query<{ count: number; reset: number }>(
        `SELECT count, GREATEST(0, EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::float8 AS reset
         FROM ${s}.jobwright_flow_keys WHERE key = $1 FOR UPDATE`,
        [key],
      );
      const row = rows[0] ?? { count: 0, reset: windowMs };
      if (max !== null && row.count >= max) {
        return { allowed: false, count: row.count, resetInMs: row.count === 0 ? 0 : row.reset };
      }
      await c.query(`UPDATE ${s}.jobwright_flow_keys SET count = count + 1 WHERE key = $1`, [key]);
      return { allowed: true, count: row.count + 1, resetInMs: row.reset };
    });
  }

  async clear(key: string): Promise<void> {
    await (await this.pool()).query(`DELETE FROM ${this.s}.jobwright_flow_keys WHERE key = $1`, [key]);
  }
}
