import type { QueueKeys } from './keys.js';

/**
 * The outbox of a queue on Redis Cluster. A script may only touch keys of one slot, and a chain
 * link to another queue lives in that queue's slot: so the completion script (settle.lua) writes
 * such a link into the outbox of the completed job's own queue (`{prefix:queue}:outbox`, same
 * slot), atomically with the completion. The settling process then moves it on: it stores the
 * job in its queue (enqueue.lua skips ids that exist, so moving twice stores once) and only then
 * removes the entry. If the process dies in between, the next sweep of that queue (every
 * worker's recoverExpired) moves it on: a link is never lost, at worst moved late.
 */
export interface OutboxContext {
  command(name: string, ...args: Array<string | number>): Promise<unknown>;
  enqueueRaw(queue: string, fields: string[]): Promise<unknown>;
}

/** Entries moved per round trip of LRANGE. */
const STEP = 100;

/** Moves up to `limit` links out of `k`'s outbox into their queues; returns how many were moved. */
export async function drainOutbox(ctx: OutboxContext, k: QueueKeys, limit = 1000): Promise<number> {
  let moved = 0;
  while (moved < limit) {
    const entries = (await ctx.command('LRANGE', k.outbox, 0, STEP - 1)) as string[];
    if (entries.length === 0) break;
    for (const entry of entries) {
      let fields: string[];
      try {
        fields = (JSON.parse(entry) as unknown[]).map(String);
      } catch {
        // Written by settle.lua only; an entry that does not parse can never be moved: drop it.
        fields = [];
      }
      const [queue, ...jobFields] = fields;
      if (queue && jobFields.length === 9) await ctx.enqueueRaw(queue, jobFields);
      // LREM of this very entry (not a trim): two processes moving at once never drop another's.
      await ctx.command('LREM', k.outbox, 1, entry);
      moved++;
    }
  }
  return moved;
}
