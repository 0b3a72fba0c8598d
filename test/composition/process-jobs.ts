import { appendFileSync } from 'node:fs';
import {
  DatabaseQueueDriver,
  Job,
  type JobContext,
  type QueueDriver,
  RedisQueueDriver,
  SqliteQueueDriver,
} from '../../src/index.js';

/** Where the jobs of this process append their ledger lines (set by the process). */
export const ledger = { path: '' };

/** One ledger line per event, written outside the store under test. */
export function writeLine(event: string, n: number | string): void {
  appendFileSync(ledger.path, `${JSON.stringify({ event, n, pid: process.pid })}\n`);
}

export interface StoreArgs {
  kind: 'sqlite' | 'postgres' | 'redis';
  /** SQLite file, PostgreSQL schema or Redis prefix. */
  where: string;
  url: string;
}

export function openStore(args: StoreArgs): QueueDriver {
  if (args.kind === 'sqlite') return new SqliteQueueDriver(args.where);
  if (args.kind === 'postgres')
    return new DatabaseQueueDriver({ connectionString: args.url, schema: args.where, max: 3 });
  return new RedisQueueDriver({ url: args.url, prefix: args.where });
}

/** A batch member: notes that it ran. */
export class MemberJob extends Job {
  constructor(public n = 0) {
    super();
  }
  override jobName() {
    return 'process.Member';
  }
  handle(ctx: JobContext) {
    writeLine(`ran:${ctx.attempt}`, this.n);
    return { n: this.n };
  }
}

/** A batch callback or a scheduled job: notes which one ran. */
export class NoteJob extends Job {
  constructor(public which = '') {
    super();
  }
  override jobName() {
    return 'process.Note';
  }
  handle(ctx: JobContext) {
    writeLine(this.which, ctx.jobId);
  }
}
