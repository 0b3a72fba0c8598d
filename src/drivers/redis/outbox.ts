import type { QueueKeys } from './keys.js';
import type { ScriptName } from './scripts.js';

/**
 * The outboxes of Redis Cluster. A script may only touch keys of one slot, so a step that must
 * write into another slot writes into an outbox list of its own slot instead, atomically with
 * the step, and the process then moves the entry on with idempotent writes and only afterwards
 * removes it. A process that dies in between leaves the entry where it was: the next sweep
 * (every worker's recoverExpired) moves it on. Nothing is lost; at worst it moves late.
 *
 * - A queue's outbox `{prefix:queue}:outbox` (settle.lua, recover.lua, flow-cancel.lua,
 *   retry-failed.lua): chain links to other queues (a JSON array: queue name and the 9 fields of
 *   enqueue.lua), stored with enqueue.lua, which skips ids that exist; and batch events (a JSON
 *   object: batch, job, the job's batch sequence number, event, error), applied by
 *   batch-apply.lua, which applies each sequence number of a job once.
 * - The cross-queue outbox `{prefix}:outbox`, in the slot of batches and schedules (batch-store,
 *   batch-apply, claim-tick): jobs to store in their queues (a JSON array of rows: queue name, the
 *   9 fields, group), stored with outbox-insert.lua, which skips ids that exist: batch jobs,
 *   callbacks that became due, schedule ticks.
 */
export interface OutboxHost {
  readonly prefix: string;
  readonly channel: string;
  command(name: string, ...args: Array<string | number>): Promise<unknown>;
  run<T = unknown>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T>;
  keys(queue: string): QueueKeys;
  registerQueue(queue: string): Promise<void>;
  /** Moves a cross-queue entry a script just wrote: `ClusterOutbox.moveCross` (a hook for crash tests). */
  moveCross(entry: string): Promise<void>;
}

/** Entries moved per round trip of LRANGE. */
const STEP = 100;
/** Rows stored per outbox-insert call (as enqueue's calls of 100). */
const INSERT_CHUNK = 100;
/** The queue name and the 9 fields of enqueue.lua. */
const LINK_FIELDS = 10;
/** A cross-queue row: the queue name, the 9 fields, the group. */
const ROW_FIELDS = 11;

interface BatchEvent {
  b: string;
  j: string;
  s: number;
  e: string;
  m: string;
}

function parse(entry: string): unknown {
  try {
    return JSON.parse(entry) as unknown;
  } catch {
    // Written by the scripts only; an entry that does not parse can never be moved: dropped.
    return null;
  }
}

function isBatchEvent(value: unknown): value is BatchEvent {
  const e = value as BatchEvent | null;
  return typeof e === 'object' && e !== null && typeof e.b === 'string' && typeof e.j === 'string';
}

export class ClusterOutbox {
  constructor(private readonly host: OutboxHost) {}

  /** `{prefix}:outbox`: the cross-queue outbox, in the slot of batches and schedules. */
  get crossKey(): string {
    return `{${this.host.prefix}}:outbox`;
  }

  /** Moves up to `limit` entries out of `k`'s outbox; returns how many were moved. */
  async drainQueue(k: QueueKeys, limit = 1000): Promise<number> {
    return this.drain(k.outbox, limit, (entry) => this.moveQueueEntry(entry));
  }

  /**
   * Moves the entries a settle just wrote to `k`'s outbox, then removes them: only these, so
   * that busy workers of one queue do not all move each other's entries.
   */
  async moveQueueEntries(k: QueueKeys, entries: string[]): Promise<void> {
    for (const entry of entries) {
      await this.moveQueueEntry(entry);
      await this.host.command('LREM', k.outbox, 1, entry);
    }
  }

  private async moveQueueEntry(entry: string): Promise<void> {
    const value = parse(entry);
    if (Array.isArray(value)) {
      const [queue, ...fields] = value.map(String);
      if (queue && fields.length === LINK_FIELDS - 1) await this.insert(queue, [[...fields, '']]);
    } else if (isBatchEvent(value)) {
      await this.applyBatchEvent(value);
    }
  }

  /** Moves up to `limit` entries out of the cross-queue outbox; returns how many were moved. */
  async drainCross(limit = 1000): Promise<number> {
    return this.drain(this.crossKey, limit, (entry) => this.storeRows(entry));
  }

  /** Moves one entry a script just wrote to the cross-queue outbox, then removes it. */
  async moveCross(entry: string): Promise<void> {
    await this.storeRows(entry);
    await this.host.command('LREM', this.crossKey, 1, entry);
  }

  private async drain(list: string, limit: number, move: (entry: string) => Promise<void>): Promise<number> {
    let moved = 0;
    while (moved < limit) {
      const entries = (await this.host.command('LRANGE', list, 0, STEP - 1)) as string[];
      if (entries.length === 0) break;
      for (const entry of entries) {
        await move(entry);
        // LREM of this very entry (not a trim): two processes moving at once never drop another's.
        await this.host.command('LREM', list, 1, entry);
        moved++;
      }
    }
    return moved;
  }

  /** A batch event onto its batch (once per sequence number), then the callbacks it made due. */
  private async applyBatchEvent(event: BatchEvent): Promise<void> {
    const batch = `{${this.host.prefix}}:batch:${event.b}`;
    const written = await this.host.run<string[]>(
      'batch-apply',
      [batch, `${batch}:applied`, this.crossKey],
      [event.j, Number(event.s) || 0, String(event.e), String(event.m ?? '')],
    );
    for (const entry of written) await this.host.moveCross(String(entry));
  }

  /** Stores the rows of a cross-queue entry in their queues (ids that exist are skipped). */
  private async storeRows(entry: string): Promise<void> {
    const value = parse(entry);
    if (!Array.isArray(value)) return;
    const byQueue = new Map<string, string[][]>();
    for (const row of value) {
      if (!Array.isArray(row) || row.length !== ROW_FIELDS) continue;
      const [queue = '', ...fields] = row.map(String);
      const rows = byQueue.get(queue);
      if (rows) rows.push(fields);
      else byQueue.set(queue, [fields]);
    }
    for (const [queue, rows] of byQueue) await this.insert(queue, rows);
  }

  /** Stores rows (the 9 fields and the group) in `queue`, in calls of INSERT_CHUNK. */
  private async insert(queue: string, rows: string[][]): Promise<void> {
    await this.host.registerQueue(queue);
    const t = this.host.keys(queue);
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const args: Array<string | number> = [t.base, queue, this.host.channel];
      for (const row of rows.slice(i, i + INSERT_CHUNK)) args.push(...row);
      await this.host.run('outbox-insert', [t.ready, t.delayed, t.pending, t.all], args);
    }
  }
}
