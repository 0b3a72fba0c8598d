/**
 * A worker process for fault tests, driver-agnostic. Start it with `spawnLedgerWorker()` from
 * ./spawn-worker.ts (which forks `node --import tsx ledger-worker.ts`), or by hand:
 *
 *   FAULT_DRIVER=sqlite FAULT_DRIVER_SPEC='{"file":"/tmp/x.sqlite"}' FAULT_LEDGER=/tmp/ledger.tsv \
 *   FAULT_QUEUE=fault FAULT_CONCURRENCY=5 JOB_LEASE_SECONDS=1 JOB_LEASE_GRACE_SECONDS=0.5 \
 *   node --import tsx test/support/fault/ledger-worker.ts
 *
 * It opens the store named by FAULT_DRIVER (a key of the fixed map in ./drivers.ts) with the
 * JSON spec in FAULT_DRIVER_SPEC, registers LedgerJob, works FAULT_QUEUE with FAULT_CONCURRENCY
 * slots, and appends to the FAULT_LEDGER file: `start`/`end` from the job itself, `done` when
 * the store accepted a completion, `refused` when it refused a transition (lease lost), `failed`
 * when it recorded a failure. Settings such as leases come from the usual JOB_* variables.
 *
 * It tells its parent `{ type: 'ready' }` over IPC once the worker runs, stops gracefully on
 * SIGTERM or an IPC `{ type: 'stop' }` (exit code 0), and can be killed with SIGKILL or frozen
 * with SIGSTOP/SIGCONT to play a crashed or stalled machine. Check the outcome with ./checker.ts.
 */
import { JobDispatcher } from '../../../src/index.js';
import { openFaultDriver } from './drivers.js';
import { appendLedger, type LedgerKind } from './ledger.js';
import { jobNumbers, LedgerJob, ledgerTarget } from './ledger-job.js';
import { startSampling } from './samples.js';

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`ledger-worker needs ${name}`);
  return value;
}

const ledger = env('FAULT_LEDGER');
ledgerTarget.path = ledger;
const queue = env('FAULT_QUEUE', 'fault');
const concurrency = Number(env('FAULT_CONCURRENCY', '5'));
const driver = await openFaultDriver(env('FAULT_DRIVER'), JSON.parse(env('FAULT_DRIVER_SPEC')));
const dispatcher = new JobDispatcher(driver, { jobs: [LedgerJob] });

const record = (kind: LedgerKind) => (event: { jobId: string; attempt: number }) => {
  appendLedger(ledger, {
    kind,
    n: jobNumbers.get(event.jobId) ?? -1,
    jobId: event.jobId,
    attempt: event.attempt,
  });
  if (kind !== 'refused') jobNumbers.delete(event.jobId);
};
dispatcher.on('job:completed', record('done'));
dispatcher.on('job:lease-lost', record('refused'));
dispatcher.on('job:failed', record('failed'));
dispatcher.on('worker:error', ({ error }) => {
  process.stderr.write(`ledger-worker ${process.pid}: ${error.message}\n`);
  // Tests wait for this (a store outage the worker has seen) instead of sleeping through one.
  process.send?.({ type: 'worker-error' });
});

// The soak samples memory, event-loop delay, handles and sockets (FAULT_SAMPLES, every FAULT_SAMPLE_MS).
const stopSampling = process.env.FAULT_SAMPLES
  ? startSampling(process.env.FAULT_SAMPLES, Number(env('FAULT_SAMPLE_MS', '60000')))
  : () => {};

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  stopSampling();
  await dispatcher.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
// The parent (a test or `npm run chaos`) is gone: stop too, rather than work on as an orphan.
process.on('disconnect', () => void stop());
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') void stop();
});

await dispatcher.startWorker(queue, concurrency);
process.send?.({ type: 'ready', pid: process.pid });
