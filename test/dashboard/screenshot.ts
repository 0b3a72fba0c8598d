/**
 * Makes the dashboard pictures of docs/: an hour of made-up traffic on five queues in a SQLite store, written through
 * the driver contract with a shifted store clock (so the charts, metrics and attempt history have
 * history), then the overview, failed list, a job, a job class and the workers photographed in
 * Debian's chromium.  Run: npx tsx test/dashboard/screenshot.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDashboard } from '../../src/dashboard/index.js';
import { completeJob, failJob, retryJob } from '../../src/drivers/settle-one.js';
import { JobDispatcher, SqliteQueueDriver } from '../../src/index.js';
import { newJob } from '../support/new-job.js';
import { launchBrowser } from './browser.js';

const MINUTE = 60_000;
let offset = -60 * MINUTE;
const dir = mkdtempSync(join(tmpdir(), 'jobwright-screenshot-'));
const driver = new SqliteQueueDriver(join(dir, 'jobs.sqlite'), { clock: () => Date.now() + offset });
await driver.migrate();
let seq = 0;
/** A seeded generator, so the picture is the same on every run. */
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

/** A ULID-looking id in time order (the dashboard sorts by id). */
function id(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let time = Date.now() + offset;
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = alphabet[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `${head}${String(++seq).padStart(16, '0')}`;
}

/** Run times in ms, per queue: a typical spread, with a long tail. */
const runMs: Record<string, () => number> = {
  emails: () => 120 + random() * 700 + (random() < 0.05 ? 3000 : 0),
  payments: () => 300 + random() * 1800,
  default: () => 40 + random() * 360,
  inventory: () => 200 + random() * 1300 + (random() < 0.08 ? 6000 : 0),
};

const kinds: Array<{ queue: string; name: string; payload: () => unknown; rate: number; failRate: number }> =
  [
    {
      queue: 'emails',
      name: 'SendWelcomeEmail',
      payload: () => ({ userId: 1000 + seq, template: 'welcome' }),
      rate: 14,
      failRate: 0.02,
    },
    {
      queue: 'payments',
      name: 'ProcessPaymentJob',
      payload: () => ({ paymentId: `pay_${seq}`, amount: 49.9, currency: 'EUR' }),
      rate: 6,
      failRate: 0.05,
    },
    {
      queue: 'default',
      name: 'ResizeImage',
      payload: () => ({ path: `uploads/${seq}.jpg`, sizes: [320, 1280] }),
      rate: 9,
      failRate: 0.01,
    },
    {
      queue: 'inventory',
      name: 'SyncInventory',
      payload: () => ({ warehouse: 'AMS-2', sku: `SKU-${seq}` }),
      rate: 4,
      failRate: 0.03,
    },
  ];

const jobRow = (queueName: string, jobName: string, payload: unknown, maxAttempts = 3) =>
  newJob({
    id: id(),
    queueName,
    jobName,
    payload: JSON.stringify(payload),
    maxAttempts,
    timeoutSeconds: 300,
  });

const stackOf = (message: string, where: string) =>
  `Error: ${message}\n    at ${where} (/srv/app/src/jobs/${where.split('.')[0]}.ts:42:11)\n    at runJob (/srv/app/node_modules/jobwright/dist/worker/run-job.js:112:24)`;

// An hour of traffic, minute by minute, with a burst of payment failures 20 minutes ago.
const currentMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
for (let minute = 0; minute < 60; minute++) {
  // The middle of each past minute, so that seeding taking a few seconds never spills a batch over.
  offset = currentMinute - (60 - minute) * MINUTE + 30_000 - Date.now();
  const wave = 1 + 0.6 * Math.sin(minute / 6);
  for (const kind of kinds) {
    const count = Math.round(kind.rate * wave + (minute % 7));
    const jobs = Array.from({ length: count }, () => jobRow(kind.queue, kind.name, kind.payload(), 1));
    await driver.enqueue({ jobs });
    // They wait a moment in the queue, then run for a while each.
    const due = offset;
    offset = due + 50 + random() * (kind.queue === 'emails' ? 4000 : 900);
    const reserved = await driver.reserve({
      queue: kind.queue,
      limit: count,
      leaseMs: 10 * MINUTE,
      workerId:
        kind.queue === 'payments' || kind.queue === 'inventory'
          ? 'payments@worker-a-1874'
          : 'emails@web-1-5121',
    });
    const started = offset;
    const burst = kind.queue === 'payments' && minute >= 38 && minute <= 41;
    for (const job of reserved) {
      offset = started + (burst ? 8000 + random() * 20_000 : runMs[kind.queue]!());
      if (random() < (burst ? 0.45 : kind.failRate)) {
        const message =
          kind.queue === 'payments'
            ? `Stripe API error 502: upstream timed out (request req_${1000 + seq})`
            : kind.queue === 'inventory'
              ? 'ECONNRESET while calling warehouse API'
              : kind.queue === 'default'
                ? 'sharp: Input buffer contains unsupported image format'
                : `SMTP 421 too many connections for user ${1000 + seq}`;
        await failJob(driver, {
          id: job.id,
          leaseToken: job.leaseToken,
          error: stackOf(message, `${kind.name}.handle`),
        });
      } else {
        await completeJob(driver, { id: job.id, leaseToken: job.leaseToken });
      }
    }
    offset = due;
  }
}

// One payment that failed three times on two workers: its page shows every attempt.
offset = -9 * MINUTE;
const [stubborn] = [
  jobRow('payments', 'ProcessPaymentJob', { paymentId: 'pay_8841', amount: 120, currency: 'EUR' }, 3),
];
await driver.enqueue({ jobs: [stubborn!] });
for (const [attempt, worker] of [
  [1, 'payments@worker-a-1874'],
  [2, 'payments@worker-b-1902'],
  [3, 'payments@worker-a-1874'],
] as const) {
  offset += 700;
  const [run] = await driver.reserve({ queue: 'payments', limit: 1, leaseMs: 10 * MINUTE, workerId: worker });
  offset += attempt === 2 ? 30_000 : 1400 + attempt * 300;
  const error = stackOf(
    attempt === 2
      ? 'Stripe API error 502: upstream timed out (request req_9912)'
      : 'Card declined: insufficient funds (code 51)',
    'ProcessPaymentJob.handle',
  );
  if (attempt < 3)
    await retryJob(driver, { id: run!.id, leaseToken: run!.leaseToken, delayMs: attempt * 60_000, error });
  else await failJob(driver, { id: run!.id, leaseToken: run!.leaseToken, error });
  offset += attempt * 60_000;
}

// Now: a backlog on reports, jobs running, one retrying, live workers on two hosts.
offset = 0;
await driver.enqueue({
  jobs: Array.from({ length: 37 }, (_, i) =>
    jobRow('reports', 'GenerateMonthlyReport', { month: '2026-11', team: i }),
  ),
});
offset = -4 * MINUTE;
await driver.enqueue({
  jobs: Array.from({ length: 5 }, (_, i) => jobRow('emails', 'SendWelcomeEmail', { userId: 9000 + i })),
});
offset = -47_000;
await driver.enqueue({
  jobs: Array.from({ length: 3 }, (_, i) =>
    jobRow('payments', 'ProcessPaymentJob', { paymentId: `pay_live_${i}` }),
  ),
});
await driver.reserve({
  queue: 'payments',
  limit: 2,
  leaseMs: 10 * MINUTE,
  workerId: 'payments@worker-a-1874',
});
offset = -8000;
await driver.enqueue({ jobs: [jobRow('default', 'ResizeImage', { path: 'uploads/big.tiff' })] });
await driver.reserve({ queue: 'default', limit: 1, leaseMs: 10 * MINUTE, workerId: 'emails@web-1-5121' });
offset = 0;
await driver.enqueue({ jobs: [jobRow('inventory', 'SyncInventory', { warehouse: 'AMS-2', sku: 'SKU-77' })] });
const [flaky] = await driver.reserve({
  queue: 'inventory',
  limit: 1,
  leaseMs: MINUTE,
  workerId: 'payments@worker-b-1902',
});
await retryJob(driver, {
  id: flaky!.id,
  leaseToken: flaky!.leaseToken,
  delayMs: 2 * MINUTE,
  error: 'ECONNRESET',
});
await driver.pauseQueue({ queue: 'reports' });
for (const [host, queues, concurrency, done] of [
  ['web-1', ['emails', 'default'], 10, 5121],
  ['worker-a', ['payments', 'inventory'], 5, 1874],
  ['worker-b', ['payments', 'inventory'], 5, 1902],
] as const) {
  await driver.registerWorker({
    workerId: `${queues[0]}@${host}-${done}`,
    host,
    pid: 4000 + done,
    queues: [...queues],
    concurrency,
    ttlMs: 10 * MINUTE,
    jobsDone: done,
  });
}

// A worker that stopped renewing its registration a minute and a half ago: marked stale.
offset = -90_000;
await driver.registerWorker({
  workerId: 'inventory@worker-c-733',
  host: 'worker-c',
  pid: 4733,
  queues: ['inventory'],
  concurrency: 2,
  ttlMs: 10 * MINUTE,
  jobsDone: 733,
});
offset = 0;

const dispatcher = new JobDispatcher(driver);
const server = await startDashboard({ dispatcher, port: 0, token: '', refreshSeconds: 5, log: () => {} });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  const docs = resolve(import.meta.dirname, '../../docs');
  for (const [path, name, full] of [
    ['', 'overview', true],
    ['failed?limit=10', 'failed', true],
    [`jobs/${stubborn!.id}`, 'job', true],
    ['classes/ProcessPaymentJob', 'class', true],
    ['workers', 'workers', false],
  ] as const) {
    await page.goto(`${server.url}${path}`);
    const out = `${docs}/dashboard-${name}.png`;
    await page.screenshot({ path: out, fullPage: full });
    console.log(`wrote ${out}`);
  }
  if (process.argv.includes('--all')) {
    await page.goto(`${server.url}jobs?limit=10`);
    await page.screenshot({ path: '/tmp/dashboard-jobs.png', fullPage: true });
  }
} finally {
  await browser.close();
  await server.close();
  await dispatcher.close();
  rmSync(dir, { recursive: true, force: true });
}
