/**
 * A worker (and/or scheduler) process for the composition fault tests, forked so that it can be
 * killed for real. Argument: JSON { store, ledger, mode, queue }:
 * - mode 'kill-before-settle': SIGKILLs itself when member `lastN` has returned from handle,
 *   before its outcome is written;
 * - mode 'kill-after-settle': SIGKILLs itself once the store accepted that member's completion
 *   (its batch's callbacks were stored in the same step);
 * - mode 'work': works the queue; mode 'schedule': runs the scheduler only.
 */
import { JobDispatcher } from '../../src/index.js';
import { ledger, MemberJob, NoteJob, openStore, type StoreArgs } from './process-jobs.js';

interface Args {
  store: StoreArgs;
  ledger: string;
  mode: 'kill-before-settle' | 'kill-after-settle' | 'work' | 'schedule';
  lastN: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
ledger.path = args.ledger;
const dispatcher = new JobDispatcher(openStore(args.store), {
  jobs: [MemberJob, NoteJob],
  config: { leaseSeconds: 1, leaseGraceSeconds: 0.3, pollIntervalMs: 50, shutdownGraceSeconds: 2 },
});
const isLast = new Set<string>();
dispatcher.use(async (job, ctx, _record, next) => {
  if (job instanceof MemberJob && job.n === args.lastN) isLast.add(ctx.jobId);
  await next();
  if (args.mode === 'kill-before-settle' && isLast.has(ctx.jobId)) process.kill(process.pid, 'SIGKILL');
});
dispatcher.on('job:completed', (e) => {
  if (args.mode === 'kill-after-settle' && isLast.has(e.jobId)) process.kill(process.pid, 'SIGKILL');
});
dispatcher.on('worker:error', (e) => process.stderr.write(`worker ${process.pid}: ${e.error.message}\n`));

if (args.mode === 'schedule') await dispatcher.startScheduler();
else await dispatcher.startWorker('default', 1);
process.send?.('ready');
process.on('SIGTERM', () => {
  void dispatcher.close({ graceSeconds: 1 }).then(() => process.exit(0));
});
