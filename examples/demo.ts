/**
 * `npm start`: the whole system on the default store (SQLite at ./storage/jobs.sqlite unless
 * QUEUE_CONNECTION, DATABASE_URL or REDIS_URL say otherwise). It dispatches the seed's example
 * jobs, including failures, retries, a delayed job and a chain, works them on five queues with
 * the seed's concurrencies, prints each job as it moves, and ends with every queue's stats.
 * Run it twice: the "before this run" totals show that the store kept the first run's jobs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import {
  attachLogger,
  configure,
  jobDispatcher,
  type QueueStats,
  REDACTED,
  redactRecord,
  registerJobs,
} from '../src/index.js';
import { encodePpm, gradientImage } from './files/ppm-image.js';
import { exampleData, readJsonLines } from './jobs/example-data.js';
import {
  AuditEventJob,
  BatchProcessJob,
  EXAMPLE_JOBS,
  GenerateReceiptJob,
  ProcessFileJob,
  ProcessPaymentJob,
  SendEmailJob,
  SendReminderJob,
} from './jobs/index.js';
import { closeMailer } from './jobs/mailer.js';
import { DECLINED_CARD, FLAKY_CARD } from './jobs/payment-gateway.js';

/** The seed's concurrencies (default 5, payments 10, emails 3) plus the file and batch queues. */
const WORKERS: Array<[string, number]> = [
  ['default', 5],
  ['payments', 10],
  ['emails', 3],
  ['file-processing', 2],
  ['batch-processing', 2],
];
const DEADLINE_MS = 25_000;

const t0 = Date.now();
const clock = () => pc.dim(`${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`);
const say = (line: string) => console.log(`${clock()}  ${line}`);

// Short waits so the demo moves in seconds: polls, retries and the shutdown grace.
configure({ pollIntervalMs: 50, shutdownGraceSeconds: 5 });
ProcessPaymentJob.retryDelaySeconds = 0.5;
registerJobs(EXAMPLE_JOBS);

const dispatcher = jobDispatcher();
if (process.env.JOBWRIGHT_LOG_LEVEL) attachLogger(dispatcher); // structured JSON lines as well
const driver = await dispatcher.driver();
const where =
  driver.name === 'sqlite'
    ? ` at ${resolve(dispatcher.config.sqlitePath)}`
    : driver.name === 'memory'
      ? ' (nothing persists across runs)'
      : '';
console.log(pc.bold(`jobwright demo: store ${driver.name}${where}`));

const totals = (stats: QueueStats[]) =>
  stats.reduce((t, s) => ({ completed: t.completed + s.completedJobs, failed: t.failed + s.failedJobs }), {
    completed: 0,
    failed: 0,
  });
const before = totals(await dispatcher.allStats());
const ledgerBefore = readJsonLines(join(exampleData.dir, 'payments.jsonl')).length;
console.log(
  before.completed + before.failed === 0
    ? 'Before this run: the store is empty (first run).'
    : `Before this run: ${before.completed} completed and ${before.failed} failed jobs in the store, ${ledgerBefore} payments in the ledger (kept from earlier runs).`,
);

// Small real input files for the file jobs.
const files = resolve(exampleData.dir, 'demo-files');
mkdirSync(files, { recursive: true });
writeFileSync(join(files, 'photo.ppm'), encodePpm(gradientImage(64, 48)));
writeFileSync(join(files, 'notes.md'), '# Release notes\n\n- **Faster** retries\n- SQLite by default\n');
writeFileSync(
  join(files, 'products.csv'),
  'sku,title,price\nA1,Lamp,19.90\nB2,Desk,120\nC3,"Chair, oak",75\n',
);

// Progress: one line per job outcome, and a summary line every second.
const tracked = new Set<string>();
const short = (id: string) => id.slice(-6);
dispatcher.on('job:dispatched', (e) => tracked.add(e.jobId));
dispatcher.on('job:completed', (e) =>
  say(
    `${pc.green('✓')} ${e.jobName} ${pc.dim(`${short(e.jobId)} ${e.queueName}`)} ${Math.round(e.durationMs)} ms`,
  ),
);
dispatcher.on('job:retrying', (e) =>
  say(
    `${pc.yellow('↻')} ${e.jobName} ${pc.dim(short(e.jobId))} attempt ${e.attempt}/${e.maxAttempts} failed: ${e.error.message}; retry in ${e.retryInSeconds} s`,
  ),
);
dispatcher.on('job:failed', (e) =>
  say(
    `${pc.red('✗')} ${e.jobName} ${pc.dim(short(e.jobId))} failed for good after ${e.attempt} attempts: ${e.error.message}`,
  ),
);
dispatcher.on('worker:error', (e) => say(pc.red(`worker error on ${e.queue}: ${e.error.message}`)));

const run = Date.now().toString(36);
const pay = (n: number, amount: number, card?: string) =>
  new ProcessPaymentJob(`pay_${run}_${n}`, amount, 'USD', `cus_${n}`, card);

say('dispatching jobs…');
await dispatcher.dispatchMany([pay(1, 19.99), pay(2, 5), pay(3, 250), pay(4, 42.5), pay(5, 12)]);
await dispatcher.dispatch(pay(6, 30, FLAKY_CARD)); // gateway errors twice, then succeeds
await dispatcher.dispatch(pay(7, 99, DECLINED_CARD)); // declined on all 5 attempts
await dispatcher.dispatch(
  SendEmailJob.welcome('ann@example.com', 'Ann', 'https://app.example.com/activate/ann'),
);
await dispatcher.dispatch(SendEmailJob.welcome('bob@example.com', 'Bob'));
await dispatcher.dispatch(SendEmailJob.passwordReset('cy@example.com', 'Cy', 'reset-4471'));
await dispatcher.dispatch(
  new ProcessFileJob(join(files, 'photo.ppm'), 'u1', { type: 'ImageResize', width: 32, height: 24 }),
);
await dispatcher.dispatch(
  new ProcessFileJob(join(files, 'notes.md'), 'u1', { type: 'DocumentConvert', targetFormat: 'html' }),
);
await dispatcher.dispatch(
  new ProcessFileJob(join(files, 'products.csv'), 'u1', { type: 'DocumentConvert', targetFormat: 'json' }),
);
await dispatcher.dispatch(
  new ProcessFileJob(join(files, 'products.csv'), 'u1', { type: 'DataImport', tableName: 'products' }),
);
const items = Array.from({ length: 40 }, (_, i) => `sku-${i}`);
await dispatcher.dispatch(new BatchProcessJob(`batch_${run}`, items, 8));
await dispatcher.dispatch(new SendReminderJob('dee@example.com', 'Your trial ends tomorrow', 3));
const chained = await dispatcher.chain([
  pay(8, 64),
  new GenerateReceiptJob(`pay_${run}_8`, 'eve@example.com', 'Eve'), // then dispatches the receipt email
]);
for (const id of chained) tracked.add(id);
const audit = new AuditEventJob('demo-run', 'u1');
const queuedAudit = audit.shouldQueue();
await dispatcher.dispatch(audit);
say(
  `dispatched ${tracked.size} jobs; the audit event ${queuedAudit ? 'was queued (business hours)' : 'ran inline (outside business hours)'}`,
);
say('a reminder is due in 3 s; the receipt waits for its payment');

// A batch (Laravel's Bus::batch): three payments, then a note once all settled, and one at the end.
const batch = await dispatcher.batch([pay(9, 15), pay(10, 25), pay(11, 35)], {
  name: `payments-${run}`,
  // biome-ignore lint/suspicious/noThenProperty: Laravel's name for the callback
  then: new SendReminderJob('ops@example.com', 'Every payment of the batch settled', 0),
  finally: new SendReminderJob('ops@example.com', 'The payment batch finished', 0),
});
say(`stored batch ${short(batch.id)} of ${batch.totalJobs} payments with then and finally callbacks`);
// A schedule, stored by name (a second run replaces it): every two seconds while the demo runs.
await dispatcher.schedule(
  'demo-ops-digest',
  '*/2 * * * * *',
  new SendReminderJob('ops@example.com', 'Ops digest', 0),
);
let ticks = 0;
dispatcher.on('job:dispatched', (e) => {
  if (e.jobName === 'SendReminderJob' && ++ticks <= 2)
    say(`${pc.magenta('⏱')} schedule demo-ops-digest dispatched ${short(e.jobId)}`);
  if (ticks === 2) void dispatcher.stopScheduler();
});
await dispatcher.startScheduler();

say(`starting workers: ${WORKERS.map(([q, n]) => `${q} ×${n}`).join(', ')}`);
for (const [queue, concurrency] of WORKERS) await dispatcher.startWorker(queue, concurrency);

const summary = setInterval(async () => {
  const stats = await dispatcher.allStats().catch(() => []);
  const sum = (k: keyof QueueStats) => stats.reduce((n, s) => n + Number(s[k]), 0);
  say(
    pc.cyan(
      `waiting ${sum('pendingJobs')} · running ${sum('processingJobs')} · retrying ${sum('retryingJobs')} · completed ${sum('completedJobs') - before.completed} · failed ${sum('failedJobs') - before.failed} (this run)`,
    ),
  );
}, 1000);

// Done when every job of this run (the chain's and those dispatched by jobs too) is completed or failed.
const deadline = Date.now() + DEADLINE_MS;
for (;;) {
  const records = await Promise.all([...tracked].map((id) => dispatcher.find(id)));
  const open = records.filter((r) => r && r.status !== 'completed' && r.status !== 'failed');
  if (open.length === 0) break;
  if (Date.now() > deadline) {
    say(pc.red(`${open.length} jobs still open after ${DEADLINE_MS / 1000} s; stopping anyway`));
    break;
  }
  await new Promise((r) => setTimeout(r, 200));
}
clearInterval(summary);
await dispatcher.stopScheduler();
// The batch's callbacks were stored by the step that finished its last payment: let them run.
for (let waited = 0; waited < 5000; waited += 100) {
  const emails = await dispatcher.stats('emails');
  if (emails.pendingJobs + emails.processingJobs === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
const settled = await dispatcher.findBatch(batch.id);
if (settled) {
  say(
    `batch ${short(settled.id)}: ${settled.processedJobs}/${settled.totalJobs} processed, ${settled.failedJobs} failed, ${settled.progress}%${settled.finishedAt ? ', finished' : ''}`,
  );
}

// Each queue's stats while the workers are still live, so workersCount shows them.
const stats = await dispatcher.allStats();
console.log(`\n${pc.bold('Queue stats')}`);
const header = ['queue', 'pending', 'processing', 'retrying', 'completed', 'failed', 'workers'];
const rows = stats.map((s) => [
  s.queueName,
  s.pendingJobs,
  s.processingJobs,
  s.retryingJobs,
  s.completedJobs,
  s.failedJobs,
  s.workersCount,
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells: Array<string | number>) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
console.log(pc.dim(line(header)));
for (const r of rows) console.log(line(r));

const failed = (await dispatcher.failedJobs({ queue: 'payments', limit: 1 }))[0];
if (failed) {
  const shown = redactRecord(failed, dispatcher.registry);
  console.log(
    `\n${pc.bold('Latest failed job')} (as the CLI and dashboard show it, card number ${REDACTED}):`,
  );
  console.log(`  ${shown.jobName} ${shown.id}: ${JSON.stringify(shown.payload)}`);
  console.log(`  ${shown.errorMessage?.split('\n')[0]}`);
}
const activity = await dispatcher.activity({ limit: 4 });
console.log(`\n${pc.bold('Recent activity log')} (ActivityLoggedJob: ProcessPaymentJob)`);
for (const a of activity) {
  console.log(
    `  ${a.createdAt.toISOString()} ${a.event.padEnd(9)} ${a.jobName} attempt ${a.attempt} by ${a.causer}${a.durationMs === null ? '' : ` in ${a.durationMs} ms`}`,
  );
}

const after = totals(stats);
console.log(
  `\nAll runs so far: ${after.completed} completed, ${after.failed} failed; ${readJsonLines(join(exampleData.dir, 'payments.jsonl')).length} payments in ${resolve(exampleData.dir, 'payments.jsonl')}.`,
);
if (driver.name === 'sqlite') console.log(pc.dim('Run `npm start` again: the totals above carry over.'));
await dispatcher.close({ graceSeconds: 5 });
closeMailer();
say(pc.bold('done'));
