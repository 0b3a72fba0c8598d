/**
 * Every statement the PostgreSQL driver runs, built once per driver for its schema. Each
 * starts with a comment naming its inputs ($1...). Times come from the database's now(), never
 * from the host; durations arrive as milliseconds.
 */

/** Columns of a job as the driver reads it back (payload as JSON text: the engine parses it). */
export function jobColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return [
    `${a}id`,
    `${a}queue_name`,
    `${a}job_name`,
    `${a}payload::text AS payload`,
    `${a}attempts`,
    `${a}max_attempts`,
    `${a}status`,
    `${a}priority`,
    `${a}available_at`,
    `${a}reserved_at`,
    `${a}processed_at`,
    `${a}failed_at`,
    `${a}error_message`,
    `${a}timeout_seconds`,
    `${a}timeout_ms`,
    `${a}created_at`,
    `${a}updated_at`,
    `${a}meta`,
    `${a}lease_token`,
  ].join(', ');
}

export type AsyncCommit = 'none' | 'reservations' | 'all';

export function buildStatements(
  s: string,
  options: { asyncCommit: AsyncCommit; channel: string; history: boolean },
) {
  // A statement may skip the WAL flush wait: set_config(..., true) lasts for that statement's own
  // transaction only. Reservations and heartbeats forgotten by a database crash only put a job
  // back (its run's completion is then refused by the token); completions, retries and failures
  // forgotten that way would make a job run again after its completion was accepted, so they
  // wait for the flush unless asyncCommit is 'all'.
  const noFlushWait = `AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL`;
  const asyncLease = options.asyncCommit === 'none' ? '' : noFlushWait;
  const async = options.asyncCommit === 'all' ? noFlushWait : '';
  const channel = `'${options.channel}'`;
  const cols = jobColumns('j');
  // Row locks in id order: a worker's grouped writes and its heartbeat touch the same rows, and
  // two statements locking them in different orders deadlock (PostgreSQL then fails one of them).
  // A statement locks its rows in id order first; the updates wait for that (a one-time filter).
  const lockInOrder = (ids: string) =>
    `locked AS (SELECT id FROM ${s}.jobs WHERE id = ANY(${ids}) ORDER BY id FOR UPDATE)`;
  const afterLocks = 'AND (SELECT count(*) FROM locked) >= 0';
  // Rows to insert, from parallel arrays: one statement whatever the batch size.
  const newRows = `
    SELECT t.id, t.queue_name, t.job_name, t.payload::jsonb, t.max_attempts, t.priority,
           t.timeout_seconds, t.timeout_ms,
           COALESCE(t.available_at, now() + t.delay_ms * interval '1 millisecond'), t.meta
    FROM unnest($1::bpchar[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[],
                $8::int[], $9::timestamptz[], $10::float8[], $11::text[])
      AS t(id, queue_name, job_name, payload, max_attempts, priority, timeout_seconds, timeout_ms,
           available_at, delay_ms, meta)`;
  const insertColumns = `(id, queue_name, job_name, payload, max_attempts, priority, timeout_seconds,
    timeout_ms, available_at, meta)`;

  return {
    /**
     * Enqueue. $1..$11: parallel arrays (id, queue, job name, payload text, max attempts,
     * priority, timeout s, timeout ms, absolute due time or null, delay ms, meta). Wakes the
     * workers of every queue that got a job due now; NOTIFY is delivered at commit, so a job
     * enqueued inside a caller's transaction wakes nobody before it is visible.
     */
    enqueue: `
      -- inputs: $1..$11 parallel arrays of new jobs
      WITH inserted AS (
        INSERT INTO ${s}.jobs ${insertColumns} ${newRows}
        RETURNING queue_name, available_at <= now() AS due
      )
      SELECT pg_notify(${channel}, q.queue_name) FROM (SELECT DISTINCT queue_name FROM inserted WHERE due) q`,

    /**
     * Reserve. $1 queue, $2 limit, $3 lease ms, $4 worker id, $5 how many start now. One
     * statement: picks due jobs in (priority, available_at, id) order (the order of
     * idx_jobs_queue_processing: oldest due first within a priority), skipping rows other workers hold, unless
     * the queue is paused, and leases them with a fresh token. The first $5 start (attempt
     * counted, reserved_at now); the rest are held (attempts unchanged, reserved_at NULL).
     */
    reserve: `
      -- inputs: $1 queue, $2 limit, $3 lease ms, $4 worker id, $5 how many start now
      WITH locked AS (
        SELECT id, priority, available_at FROM ${s}.jobs
        WHERE queue_name = $1 AND status IN ('pending', 'retrying') AND available_at <= now()
          AND NOT EXISTS (SELECT 1 FROM ${s}.jobwright_paused_queues p WHERE p.queue_name = $1)
        ORDER BY priority, available_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      ),
      ranked AS (SELECT id, row_number() OVER (ORDER BY priority, available_at, id) <= $5 AS go FROM locked)
      UPDATE ${s}.jobs j
      SET status = 'processing', attempts = j.attempts + r.go::int, lease_token = gen_random_uuid(),
          reserved_at = CASE WHEN r.go THEN now() END,
          lease_expires_at = now() + $3 * interval '1 millisecond', reserved_by = $4, updated_at = now()
      FROM ranked r
      WHERE j.id = r.id ${asyncLease}
      RETURNING ${cols}`,

    /** Due jobs of a queue counted up to a bound. $1 queue, $2 bound. */
    countDue: `
      -- inputs: $1 queue, $2 bound
      SELECT count(*)::int AS n FROM (
        SELECT 1 FROM ${s}.jobs
        WHERE queue_name = $1 AND status IN ('pending', 'retrying') AND available_at <= now()
        LIMIT $2) d`,

    /**
     * Complete a batch. $1 ids, $2 lease tokens; $3..$13 the next chain links (as enqueue) and
     * $14 the id of the job each link follows. A link is stored only if its job's completion
     * was accepted, in the same statement (one transaction). Completion keeps reserved_at (when
     * the last attempt started) and clears the last retry's error.
     */
    complete: `
      -- inputs: $1 ids, $2 tokens, $3..$13 chain links as in enqueue, $14 parent id of each link
      WITH ${lockInOrder('$1::bpchar[]')},
      done AS (
        UPDATE ${s}.jobs j
        SET status = 'completed', processed_at = now(), updated_at = now(), error_message = NULL,
            lease_token = NULL, lease_expires_at = NULL
        FROM unnest($1::bpchar[], $2::uuid[]) AS t(id, token)
        WHERE j.id = t.id AND j.status = 'processing' AND j.lease_token = t.token ${async} ${afterLocks}
        RETURNING j.id, t.token
      ),
      links AS (
        SELECT l.*, p.parent FROM (${newRows.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + 2}`)}) l
          (id, queue_name, job_name, payload, max_attempts, priority, timeout_seconds, timeout_ms, available_at, meta)
        JOIN unnest($3::bpchar[], $14::bpchar[]) AS p(id, parent) ON p.id = l.id
      ),
      chained AS (
        INSERT INTO ${s}.jobs ${insertColumns}
        SELECT l.id, l.queue_name, l.job_name, l.payload, l.max_attempts, l.priority, l.timeout_seconds,
               l.timeout_ms, l.available_at, l.meta
        FROM links l JOIN done d ON d.id = l.parent
        RETURNING queue_name
      )
      SELECT d.id, d.token FROM done d
      WHERE (SELECT count(pg_notify(${channel}, q.queue_name))
             FROM (SELECT DISTINCT queue_name FROM chained) q) >= 0`,

    /**
     * Every outcome but chained completions and releases, plus held jobs starting, in one UPDATE
     * (one transaction, one round trip): a slot that finished a job and takes a held one writes
     * both at once, so the hot path costs one round trip per job and a worker never has more jobs
     * charged and unsettled than slots. One UPDATE rather than one per kind: one plan node per
     * call. With history on, the statement records the ended attempts and metric cells itself
     * (historyCtes) and tells migration 008's trigger it did, which skips the trigger's transition
     * tables and PL/pgSQL on the hot path. Each row is fenced by its lease token (a token exists
     * only while processing); a start also needs the job still held (reserved_at NULL). No lock-
     * ordering step: the heartbeat skips rows a write holds (SKIP LOCKED), so the two cannot
     * deadlock. Returns one row per accepted outcome (kind 'done') and per started job ('start').
     * $1 ids, $2 tokens, $3 kinds (c complete, r retry, f fail, s start), $4 retry delays ms,
     * $5 error texts, $6 lease ms of started jobs.
     */
    outcomes: `
      -- inputs: $1 ids, $2 tokens, $3 kinds (c, r, f, s), $4 delays ms, $5 errors, $6 lease ms
      WITH changed AS (
        UPDATE ${s}.jobs j
        SET status = CASE t.kind WHEN 'c' THEN 'completed' WHEN 'r' THEN 'retrying' WHEN 'f' THEN 'failed'
                                 ELSE j.status END,
            attempts = j.attempts + (t.kind = 's')::int,
            reserved_at = CASE WHEN t.kind = 's' THEN now() ELSE j.reserved_at END,
            processed_at = CASE WHEN t.kind = 'c' THEN now() ELSE j.processed_at END,
            failed_at = CASE WHEN t.kind = 'f' THEN now() ELSE j.failed_at END,
            error_message = CASE t.kind WHEN 'c' THEN NULL WHEN 's' THEN j.error_message ELSE t.error END,
            available_at = CASE WHEN t.kind = 'r' THEN now() + t.delay_ms * interval '1 millisecond'
                                ELSE j.available_at END,
            lease_token = CASE WHEN t.kind = 's' THEN j.lease_token END,
            lease_expires_at = CASE WHEN t.kind = 's' THEN now() + $6 * interval '1 millisecond' END,
            updated_at = now()
        FROM unnest($1::bpchar[], $2::uuid[], $3::text[], $4::float8[], $5::text[])
          AS t(id, token, kind, delay_ms, error)
          ${options.history ? priorDueTime(s) : ''}
        WHERE j.id = t.id AND j.lease_token = t.token AND (t.kind <> 's' OR j.reserved_at IS NULL) ${async}
          ${options.history ? historyWrittenHere : ''}
        RETURNING j.id, t.token, t.kind, j.queue_name, t.delay_ms
          ${options.history ? ', j.job_name, j.attempts, j.reserved_by, j.reserved_at, j.error_message, coalesce(prior.available_at, j.available_at) AS due_at' : ''}
      )${options.history ? historyCtes(s) : ''}
      SELECT id, token::text AS token, CASE WHEN kind = 's' THEN 'start' ELSE 'done' END AS kind FROM changed
      UNION ALL SELECT NULL, NULL, 'notified' WHERE (SELECT count(pg_notify(${channel}, q.queue_name))
             FROM (SELECT DISTINCT queue_name FROM changed WHERE kind = 'r' AND delay_ms <= 0) q) > 0`,

    /**
     * Put a batch back: a held job (reserved_at NULL) as it was, a started one without counting
     * its attempt. $1 ids, $2 tokens, $3 delays ms.
     */
    release: `
      -- inputs: $1 ids, $2 lease tokens, $3 delays ms
      WITH ${lockInOrder('$1::bpchar[]')},
      done AS (
        UPDATE ${s}.jobs j
        SET attempts = j.attempts - (j.reserved_at IS NOT NULL)::int,
            status = CASE WHEN j.attempts - (j.reserved_at IS NOT NULL)::int > 0 THEN 'retrying' ELSE 'pending' END,
            available_at = now() + t.delay_ms * interval '1 millisecond',
            reserved_at = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = now()
        FROM unnest($1::bpchar[], $2::uuid[], $3::float8[]) AS t(id, token, delay_ms)
        WHERE j.id = t.id AND j.status = 'processing' AND j.lease_token = t.token ${afterLocks}
        RETURNING j.id, t.token, j.queue_name
      )
      SELECT d.id, d.token FROM done d
      WHERE (SELECT count(pg_notify(${channel}, q.queue_name))
             FROM (SELECT DISTINCT queue_name FROM done) q) >= 0`,

    /**
     * Renew leases. $1 ids, $2 tokens, $3 lease ms. Returns the ids still held. Rows another
     * statement holds locked right now (this worker's own outcome write, mostly) are skipped, not
     * waited for: the heartbeat never waits on a row lock, so it cannot deadlock with a grouped
     * write; a skipped row is being settled or started (which sets its lease), and it is still
     * reported held if it carries the token in the statement's snapshot.
     */
    heartbeat: `
      -- inputs: $1 ids, $2 lease tokens, $3 lease ms
      WITH mine AS (
        SELECT j.id FROM ${s}.jobs j
        WHERE j.id = ANY($1::bpchar[]) AND j.status = 'processing'
          AND (j.id, j.lease_token) IN (SELECT * FROM unnest($1::bpchar[], $2::uuid[]))
        FOR UPDATE OF j SKIP LOCKED
      ),
      renewed AS (
        UPDATE ${s}.jobs j
        SET lease_expires_at = now() + $3 * interval '1 millisecond'
        FROM mine WHERE j.id = mine.id ${asyncLease}
        RETURNING j.id
      )
      SELECT j.id FROM ${s}.jobs j
      WHERE j.id = ANY($1::bpchar[]) AND j.status = 'processing'
        AND (j.id, j.lease_token) IN (SELECT * FROM unnest($1::bpchar[], $2::uuid[]))
        AND (SELECT count(*) FROM renewed) >= 0`,

    /**
     * Recover jobs whose lease ran out. A held job (reserved_at NULL, never started) goes back as
     * it was: no attempt, no failure. A started one is retrying (due now) with attempts left,
     * failed on the last one, with the reason recorded in the same statement.
     * $1 queue or null, $2 limit.
     */
    recover: `
      -- inputs: $1 queue or NULL for all, $2 limit
      UPDATE ${s}.jobs j
      SET status = CASE WHEN j.reserved_at IS NULL THEN (CASE WHEN j.attempts > 0 THEN 'retrying' ELSE 'pending' END)
                        WHEN j.attempts >= j.max_attempts THEN 'failed' ELSE 'retrying' END,
          failed_at = CASE WHEN j.reserved_at IS NOT NULL AND j.attempts >= j.max_attempts THEN now() END,
          available_at = CASE WHEN j.reserved_at IS NOT NULL AND j.attempts >= j.max_attempts
                              THEN j.available_at ELSE now() END,
          error_message = CASE WHEN j.reserved_at IS NULL THEN j.error_message
            ELSE 'Worker died during attempt ' || j.attempts || '/' || j.max_attempts || ' (its lease expired)' END,
          lease_token = NULL, lease_expires_at = NULL, updated_at = now()
      WHERE j.id IN (
        SELECT id FROM ${s}.jobs
        WHERE status = 'processing' AND lease_expires_at <= now()
          AND ($1::text IS NULL OR queue_name = $1)
        ORDER BY lease_expires_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      RETURNING ${cols}`,

    find: `
      -- inputs: $1 id
      SELECT ${jobColumns()} FROM ${s}.jobs WHERE id = $1`,

    /** Failed jobs back to pending, attempts reset. $1 ids or NULL for all, $2 queue or NULL. */
    retryFailed: `
      -- inputs: $1 ids (NULL: all failed jobs), $2 queue or NULL
      WITH retried AS (
        UPDATE ${s}.jobs
        SET status = 'pending', attempts = 0, failed_at = NULL, error_message = NULL,
            available_at = now(), reserved_at = NULL, updated_at = now()
        WHERE status = 'failed' AND ($1::bpchar[] IS NULL OR id = ANY($1::bpchar[]))
          AND ($2::text IS NULL OR queue_name = $2)
          -- A unique job is not revived while another live job holds its id (SPEC decisions).
          AND NOT EXISTS (
            SELECT 1 FROM ${s}.jobs o WHERE ${s}.jobs.unique_key IS NOT NULL
              AND o.queue_name = ${s}.jobs.queue_name AND o.unique_key = ${s}.jobs.unique_key
              AND o.id <> ${s}.jobs.id AND o.status IN ('pending', 'processing', 'retrying')
              AND (o.unique_until IS NULL OR o.unique_until > now()))
        RETURNING queue_name
      )
      SELECT count(*)::int AS n, (SELECT count(pg_notify(${channel}, q)) FROM
        (SELECT DISTINCT queue_name AS q FROM retried) d) AS notified
      FROM retried`,

    clearFailed: `
      -- inputs: $1 queue or NULL, $2 ids (NULL: every failed job)
      DELETE FROM ${s}.jobs WHERE status = 'failed' AND ($1::text IS NULL OR queue_name = $1)
        AND ($2::bpchar[] IS NULL OR id = ANY($2::bpchar[]))`,

    prune: `
      -- inputs: $1 statuses, $2 age ms, $3 queue or NULL
      DELETE FROM ${s}.jobs
      WHERE status = ANY($1::text[]) AND ($3::text IS NULL OR queue_name = $3)
        AND COALESCE(processed_at, failed_at, updated_at) < now() - $2 * interval '1 millisecond'`,

    counts: `
      -- inputs: $1 queue or NULL
      SELECT queue_name,
             CASE WHEN status = 'processing' AND reserved_at IS NULL THEN 'pending' ELSE status END AS status,
             count(*)::int AS n,
             max(EXTRACT(EPOCH FROM (now() - available_at)) * 1000)
               FILTER (WHERE status IN ('pending', 'retrying') AND available_at <= now()) AS oldest_ms
      FROM ${s}.jobs WHERE ($1::text IS NULL OR queue_name = $1)
      GROUP BY 1, 2`,

    registerWorker: `
      -- inputs: $1 worker id, $2 host, $3 pid, $4 queues, $5 concurrency, $6 ttl ms, $7 jobs done, $8 held
      INSERT INTO ${s}.jobwright_workers
        (worker_id, host, pid, queues, concurrency, jobs_done, held, expires_at)
      VALUES ($1, $2, $3, $4, $5, $7, $8, now() + $6 * interval '1 millisecond')
      ON CONFLICT (worker_id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
        queues = EXCLUDED.queues, concurrency = EXCLUDED.concurrency, jobs_done = EXCLUDED.jobs_done,
        held = EXCLUDED.held,
        last_heartbeat_at = now(), expires_at = EXCLUDED.expires_at`,

    unregisterWorker: `
      -- inputs: $1 worker id
      DELETE FROM ${s}.jobwright_workers WHERE worker_id = $1`,

    /** Live workers; lapsed registrations are removed on the way. */
    workers: `
      -- inputs: none
      WITH gone AS (DELETE FROM ${s}.jobwright_workers WHERE expires_at <= now())
      SELECT worker_id, host, pid, queues, concurrency, jobs_done, held, started_at, last_heartbeat_at
      FROM ${s}.jobwright_workers WHERE expires_at > now() ORDER BY started_at, worker_id`,

    logActivity: `
      -- inputs: $1..$10 parallel arrays of activity entries
      INSERT INTO ${s}.jobwright_activity_log
        (id, job_id, job_name, queue_name, event, causer, properties, duration_ms, attempt, error)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::text[], $8::float8[], $9::int[], $10::text[])`,

    activity: `
      -- inputs: $1 job id or NULL, $2 limit
      SELECT id, job_id, job_name, queue_name, event, causer, properties, duration_ms, attempt, error,
             created_at
      FROM ${s}.jobwright_activity_log WHERE ($1::text IS NULL OR job_id = $1)
      ORDER BY seq DESC LIMIT $2`,

    /** Finished jobs per minute, derived from processed_at / failed_at (no counter row to contend on). */
    throughput: `
      -- inputs: $1 queue or NULL, $2 minutes
      WITH minutes AS (
        SELECT generate_series(date_trunc('minute', now()) - ($2 - 1) * interval '1 minute',
                               date_trunc('minute', now()), interval '1 minute') AS minute
      ),
      finished AS (
        SELECT date_trunc('minute', COALESCE(processed_at, failed_at)) AS minute, status
        FROM ${s}.jobs
        WHERE status IN ('completed', 'failed') AND ($1::text IS NULL OR queue_name = $1)
          AND COALESCE(processed_at, failed_at) >= date_trunc('minute', now()) - ($2 - 1) * interval '1 minute'
      )
      SELECT m.minute, count(f.status) FILTER (WHERE f.status = 'completed')::int AS completed,
             count(f.status) FILTER (WHERE f.status = 'failed')::int AS failed
      FROM minutes m LEFT JOIN finished f ON f.minute = m.minute
      GROUP BY m.minute ORDER BY m.minute`,

    pause: `
      -- inputs: $1 queue
      INSERT INTO ${s}.jobwright_paused_queues (queue_name) VALUES ($1) ON CONFLICT DO NOTHING`,

    resume: `
      -- inputs: $1 queue
      WITH resumed AS (DELETE FROM ${s}.jobwright_paused_queues WHERE queue_name = $1)
      SELECT pg_notify(${channel}, $1)`,

    pausedQueues: `
      -- inputs: none
      SELECT queue_name FROM ${s}.jobwright_paused_queues ORDER BY queue_name`,

    notify: `
      -- inputs: $1 queue
      SELECT pg_notify(${channel}, $1)`,
  };
}

export type Statements = ReturnType<typeof buildStatements>;

/**
 * The due time of a retried job before this statement moves it (the wait of the attempt that
 * ended): read from the row's snapshot, for retries only.
 */
function priorDueTime(s: string): string {
  return `LEFT JOIN LATERAL (SELECT o.available_at FROM ${s}.jobs o WHERE t.kind = 'r' AND o.id = t.id) prior ON true`;
}

/** Marks this transaction's outcomes as recorded by the statement, so the trigger skips them. */
const historyWrittenHere = `AND (SELECT set_config('jobwright.history_written', 'on', true)) IS NOT NULL`;

/**
 * What migration 007/008's trigger records, done inside the hot statement from its RETURNING
 * rows: retried and failed attempts into jobwright_attempts (a completed one is read from the job
 * row), every ended attempt into the minute's metric cells, the per-job bound of 25 attempts, and
 * now and then the pruning of minutes older than a day and an hour. A role or session with
 * `jobwright.history = off` records nothing.
 */
function historyCtes(s: string): string {
  const minuteNow = `floor(extract(epoch FROM now()) / 60)::int`;
  return `,
      ended AS (
        SELECT id, attempts, queue_name, job_name, reserved_by, reserved_at, error_message, kind,
               greatest(0, round(extract(epoch FROM (now() - reserved_at)) * 1000))::bigint AS run_ms,
               greatest(0, round(extract(epoch FROM (reserved_at - due_at)) * 1000))::bigint AS wait_ms
        FROM changed
        WHERE kind <> 's' AND reserved_at IS NOT NULL
          AND current_setting('jobwright.history', true) IS DISTINCT FROM 'off'
      ),
      recorded AS (
        INSERT INTO ${s}.jobwright_attempts
          (job_id, attempt, queue_name, job_name, worker_id, started_at, finished_at, wait_ms, outcome, error)
        SELECT id, attempts, queue_name, job_name, reserved_by, reserved_at, now(), wait_ms,
               CASE kind WHEN 'f' THEN 'failed' ELSE 'retried' END, error_message
        FROM ended WHERE kind <> 'c'
        RETURNING job_id
      ),
      trimmed AS (
        DELETE FROM ${s}.jobwright_attempts a
        USING ended e
        WHERE e.kind <> 'c' AND e.attempts > 25 AND a.job_id = e.id AND a.seq <= (
          SELECT k.seq FROM ${s}.jobwright_attempts k WHERE k.job_id = e.id
          ORDER BY k.seq DESC OFFSET 24 LIMIT 1)
        RETURNING a.seq
      ),
      counted AS (
        INSERT INTO ${s}.jobwright_metrics AS m
          (minute, queue_name, job_name, series, bucket, shard, n, sum_ms, max_ms)
        SELECT ${minuteNow}, queue_name, job_name, series, bucket, (pg_backend_pid() % 8)::smallint,
               count(*), sum(ms), max(ms)
        FROM (
          SELECT queue_name, job_name, (CASE kind WHEN 'c' THEN 'c' WHEN 'f' THEN 'f' ELSE 'r' END)::"char" AS series,
                 ${s}.jobwright_duration_bucket(run_ms) AS bucket, run_ms AS ms
          FROM ended
          UNION ALL
          SELECT queue_name, job_name, 'w'::"char", ${s}.jobwright_duration_bucket(wait_ms), wait_ms FROM ended
        ) cells
        GROUP BY queue_name, job_name, series, bucket
        ON CONFLICT (minute, queue_name, job_name, series, bucket, shard) DO UPDATE
          SET n = m.n + excluded.n, sum_ms = m.sum_ms + excluded.sum_ms, max_ms = greatest(m.max_ms, excluded.max_ms)
        RETURNING 1
      ),
      pruned AS (
        DELETE FROM ${s}.jobwright_metrics
        WHERE minute < ${minuteNow} - 1500 AND (SELECT random()) < 0.02 AND EXISTS (SELECT 1 FROM ended)
        RETURNING 1
      )`;
}
