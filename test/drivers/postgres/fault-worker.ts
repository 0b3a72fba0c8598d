/**
 * A worker process for the PostgreSQL fault tests, forked so that it can be killed for real.
 * Argument: JSON { url, schema, queue, concurrency, ledger, appName }. Jobs append `start` and
 * `done` lines to the ledger file; the process appends `completed` when the store accepted the
 * completion (the lease still held), so duplicates are counted from outside the store.
 */
import { DatabaseQueueDriver, JobDispatcher } from '../../../src/index.js';
import { LedgerJob, ledgerFile, writeLedger } from './ledger-job.js';

interface Args {
  url: string;
  schema: string;
  queue: string;
  concurrency: number;
  ledger: string;
  appName: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
ledgerFile.path = args.ledger;
const numbers = new Map<string, number>();

const driver = new DatabaseQueueDriver({
  connectionString: args.url,
  schema: args.schema,
  applicationName: args.appName,
  max: 4,
});
const dispatcher = new JobDispatcher(driver, {
  jobs: [LedgerJob],
  config: { leaseSeconds: 1, leaseGraceSeconds: 0.5, pollIntervalMs: 100, shutdownGraceSeconds: 5 },
});
dispatcher.use(async (job, ctx, _record, next) => {
  numbers.set(ctx.jobId, (job as LedgerJob).n);
  await next();
});
dispatcher.on('job:completed', (e) => {
  const n = numbers.get(e.jobId);
  if (n !== undefined) writeLedger('completed', n, e.attempt);
  numbers.delete(e.jobId);
});
dispatcher.on('worker:error', (e) => {
  process.stderr.write(`worker ${process.pid} error: ${e.error.message}\n`);
});

await dispatcher.startWorker(args.queue, args.concurrency);
process.send?.('ready');
process.on('SIGTERM', () => {
  void dispatcher.close().then(() => process.exit(0));
});
