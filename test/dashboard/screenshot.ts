/**
 * Makes docs/dashboard-overview.png: an hour of made-up traffic on five queues in a SQLite store, written through
 * the driver contract with a shifted store clock (so the charts have history), then the overview
 * page photographed in Debian's chromium.  Run: npx tsx test/dashboard/screenshot.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDashboard } from '../../src/dashboard/index.js';
import { completeJob, failJob, retryJob } from '../../src/drivers/settle-one.js';
import { JobDispatcher, type NewJob, SqliteQueueDriver } from '../../src/index.js';
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

function newJob(queue: string, name: string, payload: unknown, maxAttempts = 3): NewJob {
  return {
    id: id(),
    queueName: queue,
    jobName: name,
    payload: JSON.stringify(payload),
    maxAttempts,
    priority: 0,
    timeoutSeconds: 300,
    delayMs: 0,
    availableAt: null,
    meta: null,
  };
}

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
    const jobs = Array.from({ length: count }, () => newJob(kind.queue, kind.name, kind.payload(), 1));
    await driver.enqueue({ jobs });
    const reserved = await driver.reserve({
      queue: kind.queue,
      limit: count,
      leaseMs: MINUTE,
      workerId: 'seed',
    });
    const burst = kind.queue === 'payments' && minute >= 38 && minute <= 41;
    for (const job of reserved) {
      if (random() < (burst ? 0.45 : kind.failRate)) {
        const message =
          kind.queue === 'payments'
            ? 'Stripe API error 502: upstream timed out'
            : kind.queue === 'inventory'
              ? 'ECONNRESET while calling warehouse API'
              : kind.queue === 'default'
                ? 'sharp: Input buffer contains unsupported image format'
                : 'SMTP 421 too many connections';
        await failJob(driver, {
          id: job.id,
          leaseToken: job.leaseToken,
          error: stackOf(message, `${kind.name}.handle`),
        });
      } else {
        await completeJob(driver, { id: job.id, leaseToken: job.leaseToken });
      }
    }
  }
}

// Now: a backlog on reports, jobs running, one retrying, live workers on two hosts.
offset = 0;
await driver.enqueue({
  jobs: Array.from({ length: 37 }, (_, i) =>
    newJob('reports', 'GenerateMonthlyReport', { month: '2026-11', team: i }),
  ),
});
offset = -4 * MINUTE;
await driver.enqueue({
  jobs: Array.from({ length: 5 }, (_, i) => newJob('emails', 'SendWelcomeEmail', { userId: 9000 + i })),
});
offset = 0;
await driver.enqueue({
  jobs: Array.from({ length: 3 }, (_, i) =>
    newJob('payments', 'ProcessPaymentJob', { paymentId: `pay_live_${i}` }),
  ),
});
await driver.reserve({ queue: 'payments', limit: 2, leaseMs: 10 * MINUTE, workerId: 'w1' });
await driver.enqueue({ jobs: [newJob('inventory', 'SyncInventory', { warehouse: 'AMS-2', sku: 'SKU-77' })] });
const [flaky] = await driver.reserve({ queue: 'inventory', limit: 1, leaseMs: MINUTE, workerId: 'w2' });
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

const dispatcher = new JobDispatcher(driver);
const server = await startDashboard({ dispatcher, port: 0, token: '', refreshSeconds: 5, log: () => {} });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  const out = resolve(import.meta.dirname, '../../docs/dashboard-overview.png');
  await page.screenshot({ path: out, fullPage: true });
  const failedId = (await dispatcher.failedJobs({ queue: 'payments', limit: 1 }))[0]?.id ?? '';
  for (const [path, name] of [
    ['failed', 'failed'],
    ['workers', 'workers'],
    ['jobs?limit=10', 'jobs'],
    [`jobs/${failedId}`, 'job'],
  ] as const) {
    if (process.argv.includes('--all')) {
      await page.goto(`${server.url}${path}`);
      await page.screenshot({ path: `/tmp/dashboard-${name}.png`, fullPage: true });
    }
  }
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
  await dispatcher.close();
  rmSync(dir, { recursive: true, force: true });
}
