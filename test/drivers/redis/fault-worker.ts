/**
 * A worker process for the Redis fault tests, started with child_process.fork so it can be killed
 * for real. Argument: JSON { url, prefix, queue, concurrency, ledger }. Each job appends a
 * `start` line when its handle begins and a `done` line when it returns; the process appends a
 * `completed` line when the store accepted the completion. Lines are JSON, one per event.
 */
import { appendFileSync } from 'node:fs';
import { JobDispatcher, RedisQueueDriver } from '../../../src/index.js';
import { LedgerJob, ledger } from './ledger-job.js';

interface Args {
  url: string;
  prefix: string;
  queue: string;
  concurrency: number;
  ledger: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
/** Job id -> job number, set when a run starts, so the completion event can name the number. */
const jobNumbers = new Map<string, number>();

function write(event: string, n: number, attempt: number): void {
  appendFileSync(args.ledger, `${JSON.stringify({ event, n, attempt, pid: process.pid, at: Date.now() })}\n`);
}

ledger.record = (event, n, attempt, jobId) => {
  jobNumbers.set(jobId, n);
  write(event, n, attempt);
};

const dispatcher = new JobDispatcher(new RedisQueueDriver({ url: args.url, prefix: args.prefix }), {
  jobs: [LedgerJob],
  config: { leaseSeconds: 1, leaseGraceSeconds: 0.5, pollIntervalMs: 100, shutdownGraceSeconds: 5 },
});
// 'job:completed' fires only when the store accepted the completion (the lease still held).
dispatcher.on('job:completed', (e) => {
  const n = jobNumbers.get(e.jobId);
  if (n !== undefined) write('completed', n, e.attempt);
  jobNumbers.delete(e.jobId);
});
dispatcher.on('worker:error', (e) => {
  process.stderr.write(`worker ${process.pid} error: ${e.error.message}\n`);
});

await dispatcher.startWorker(args.queue, args.concurrency);
process.send?.('ready');
process.on('SIGTERM', () => {
  void dispatcher.close().then(() => process.exit(0));
});
