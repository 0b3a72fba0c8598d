import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { csvRecords, parseCsv } from '../../examples/files/csv.js';
import { markdownToHtml } from '../../examples/files/markdown.js';
import { encodePpm, gradientImage, parsePpm } from '../../examples/files/ppm-image.js';
import { exampleData, readJsonLines } from '../../examples/jobs/example-data.js';
import {
  AuditEventJob,
  BatchProcessJob,
  EXAMPLE_JOBS,
  GenerateReceiptJob,
  ProcessFileJob,
  ProcessPaymentJob,
  SendEmailJob,
  SendReminderJob,
} from '../../examples/jobs/index.js';
import { closeMailer } from '../../examples/jobs/mailer.js';
import { DECLINED_CARD, FLAKY_CARD, GOOD_CARD, luhnValid } from '../../examples/jobs/payment-gateway.js';
import {
  JobDispatcher,
  MemoryQueueDriver,
  REDACTED,
  redactRecord,
  setJobDispatcher,
} from '../../src/index.js';
import { waitFor, waitForStatus } from '../support/wait.js';

const QUEUES = ['default', 'payments', 'emails', 'file-processing', 'batch-processing'];

interface ReceivedMail {
  to: string[];
  raw: string;
}
const mails: ReceivedMail[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      mails.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});

let dir = '';
let d: JobDispatcher;
const savedDataDir = exampleData.dir;
const savedRetry = ProcessPaymentJob.retryDelaySeconds;

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as { port: number }).port;
  process.env.SMTP_URL = `smtp://127.0.0.1:${port}`;
});
afterAll(async () => {
  delete process.env.SMTP_URL;
  closeMailer();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  exampleData.dir = savedDataDir;
  ProcessPaymentJob.retryDelaySeconds = savedRetry;
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobwright-examples-'));
  exampleData.dir = dir;
  ProcessPaymentJob.retryDelaySeconds = 0.05;
  mails.length = 0;
  d = new JobDispatcher(new MemoryQueueDriver(), { jobs: EXAMPLE_JOBS, config: { pollIntervalMs: 20 } });
  // GenerateReceiptJob dispatches its email through the global dispatcher.
  setJobDispatcher(d);
  for (const q of QUEUES) await d.startWorker(q, 3);
});
afterEach(async () => {
  await d.close({ graceSeconds: 1 });
  setJobDispatcher(undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('ProcessPaymentJob', () => {
  it('charges a card into the ledger, retries a flaky gateway, and fails a declined card for good', async () => {
    expect([GOOD_CARD, FLAKY_CARD, DECLINED_CARD].every(luhnValid)).toBe(true);
    const good = await d.dispatch(new ProcessPaymentJob('pay_1', 99.99, 'USD', 'cus_1'));
    const flaky = await d.dispatch(new ProcessPaymentJob('pay_2', 10, 'EUR', 'cus_2', FLAKY_CARD));
    const declined = await d.dispatch(new ProcessPaymentJob('pay_3', 5, 'USD', 'cus_3', DECLINED_CARD));
    await waitForStatus(d, good, ['completed']);
    expect((await waitForStatus(d, flaky, ['completed'])).attempts).toBe(3);
    const failed = await waitForStatus(d, declined, ['failed']);
    expect(failed.attempts).toBe(5);
    expect(failed.errorMessage).toContain(`CardDeclinedError: Card ${REDACTED} was declined`);
    expect(failed.errorMessage).not.toContain(DECLINED_CARD);

    const ledger = readJsonLines<{ paymentId: string; amountCents: number; feeCents: number }>(
      join(dir, 'payments.jsonl'),
    );
    expect(ledger.map((c) => [c.paymentId, c.amountCents, c.feeCents])).toEqual(
      expect.arrayContaining([
        ['pay_1', 9999, 320],
        ['pay_2', 1000, 59],
      ]),
    );
    await waitFor(
      'one payment failure line',
      () => readJsonLines(join(dir, 'payment-failures.jsonl')).length === 1,
    );
    const activity = await d.activity({ jobId: flaky, limit: 10 });
    expect(activity.map((e) => e.event)).toEqual([
      'completed',
      'started',
      'failed',
      'started',
      'failed',
      'started',
    ]);
    expect(
      activity.every((e) => e.causer === 'cus_2' && JSON.parse(e.properties).cardNumber === REDACTED),
    ).toBe(true);
  });
});

describe('SendEmailJob', () => {
  it('sends the welcome and password-reset mails through SMTP, and hides the reset token from records', async () => {
    const welcome = await d.dispatch(
      SendEmailJob.welcome('ann@example.com', 'Ann', 'https://app.test/activate/1'),
    );
    const reset = await d.dispatch(SendEmailJob.passwordReset('bob@example.com', 'Bob', 'rst-998877'));
    await waitForStatus(d, welcome, ['completed']);
    const record = await waitForStatus(d, reset, ['completed']);
    await waitFor('two mails', () => mails.length === 2);
    const toAnn = mails.find((m) => m.to.includes('ann@example.com'))!;
    expect(toAnn.raw).toContain('Subject: Welcome, Ann!');
    expect(toAnn.raw).toContain('https://app.test/activate/1');
    const toBob = mails.find((m) => m.to.includes('bob@example.com'))!;
    expect(toBob.raw).toContain('Subject: Reset your password');
    expect(toBob.raw).toContain('rst-998877');
    expect(JSON.stringify(redactRecord(record, d.registry).payload)).not.toContain('rst-998877');
  });

  it('logs the mail instead of sending it when SMTP_URL is not set', async () => {
    const url = process.env.SMTP_URL;
    delete process.env.SMTP_URL;
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const id = await d.dispatch(SendEmailJob.welcome('cy@example.com', 'Cy'));
      await waitForStatus(d, id, ['completed']);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('to cy@example.com: Welcome, Cy!'));
      expect(mails).toHaveLength(0);
    } finally {
      log.mockRestore();
      process.env.SMTP_URL = url;
    }
  });
});

describe('ProcessFileJob', () => {
  it('resizes a PPM image', async () => {
    const src = join(dir, 'photo.ppm');
    writeFileSync(src, encodePpm(gradientImage(40, 30)));
    const id = await d.dispatch(
      new ProcessFileJob(src, 'u1', { type: 'ImageResize', width: 20, height: 15 }),
    );
    await waitForStatus(d, id, ['completed']);
    const out = parsePpm(readFileSync(join(dir, 'photo-20x15.ppm')));
    expect([out.width, out.height]).toEqual([20, 15]);
    // Corners keep their colour: black-ish top left (plus the green diagonal), red top right, blue bottom left.
    expect([...out.pixels.slice(0, 3)]).toEqual([0, 255, 0]);
    expect(out.pixels[(19 * 1 + 0) * 3]).toBe(255);
    expect(out.pixels[14 * 20 * 3 + 2]).toBe(255);
  });

  it('converts Markdown to HTML and CSV to JSON', async () => {
    const md = join(dir, 'notes.md');
    writeFileSync(md, '# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n[x](javascript:alert(1))\n');
    const csv = join(dir, 'people.csv');
    writeFileSync(csv, 'id,name,city\n1,Ann,"Paris, FR"\n2,"Bob ""B""",Oslo\n');
    const a = await d.dispatch(
      new ProcessFileJob(md, 'u1', { type: 'DocumentConvert', targetFormat: 'html' }),
    );
    const b = await d.dispatch(
      new ProcessFileJob(csv, 'u1', { type: 'DocumentConvert', targetFormat: 'json' }),
    );
    await waitForStatus(d, a, ['completed']);
    await waitForStatus(d, b, ['completed']);
    const html = readFileSync(join(dir, 'notes.html'), 'utf8');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<p>Some <strong>bold</strong> and <code>code</code>.</p>');
    expect(html).toContain('<ul>\n<li>one</li>\n<li>two</li>\n</ul>');
    expect(html).not.toContain('href="javascript');
    expect(JSON.parse(readFileSync(join(dir, 'people.json'), 'utf8'))).toEqual([
      { id: '1', name: 'Ann', city: 'Paris, FR' },
      { id: '2', name: 'Bob "B"', city: 'Oslo' },
    ]);
  });

  it('imports CSV rows into a SQLite table, idempotently, and refuses a hostile table name', async () => {
    const csv = join(dir, 'products.csv');
    writeFileSync(csv, 'sku,title,price\nA1,Lamp,19.90\nB2,Desk,120\n');
    for (let i = 0; i < 2; i++) {
      const id = await d.dispatch(
        new ProcessFileJob(csv, 'u1', { type: 'DataImport', tableName: 'products' }),
      );
      await waitForStatus(d, id, ['completed']);
    }
    const db = new Database(join(dir, 'imports.sqlite'), { readonly: true });
    expect(db.prepare('SELECT sku, title, price FROM products ORDER BY sku').all()).toEqual([
      { sku: 'A1', title: 'Lamp', price: '19.90' },
      { sku: 'B2', title: 'Desk', price: '120' },
    ]);
    db.close();
    const bad = await d.dispatch(
      new ProcessFileJob(csv, 'u1', { type: 'DataImport', tableName: 'x"; DROP TABLE products;--' }),
    );
    // The seed's ProcessFileJob keeps the default retries (a minute apart): the first attempt's error is stored.
    const record = await waitForStatus(d, bad, ['retrying', 'failed']);
    expect(record.errorMessage).toContain('is not a plain identifier');
  });

  it('parses CSV edge cases', () => {
    expect(parseCsv('a,b\r\n"x\ny",2\r\n')).toEqual([
      ['a', 'b'],
      ['x\ny', '2'],
    ]);
    expect(() => csvRecords('a,b\n1\n')).toThrow(/line 2 has 1 fields/);
    expect(markdownToHtml('1. a\n2. b')).toBe('<ol>\n<li>a</li>\n<li>b</li>\n</ol>');
  });
});

describe('BatchProcessJob', () => {
  it('works through its items in chunks, and a rerun resumes after the last chunk written', async () => {
    const items = Array.from({ length: 23 }, (_, i) => `item-${i}`);
    const id = await d.dispatch(new BatchProcessJob('batch_1', items, 5, 10));
    await waitForStatus(d, id, ['completed']);
    const lines = readJsonLines<{ chunk: number; items: string[]; digests: string[] }>(
      join(dir, 'batches', 'batch_1.jsonl'),
    );
    expect(lines.map((l) => l.items.length)).toEqual([5, 5, 5, 5, 3]);
    expect(lines.flatMap((l) => l.items)).toEqual(items);
    expect(lines[0]!.digests[0]).toMatch(/^[0-9a-f]{16}$/);
    // A rerun of the same batch (as after a crash) finds every chunk done and adds nothing.
    const again = await d.dispatch(new BatchProcessJob('batch_1', items, 5, 10));
    await waitForStatus(d, again, ['completed']);
    expect(readJsonLines(join(dir, 'batches', 'batch_1.jsonl'))).toHaveLength(5);
  });
});

describe('delayed, chained and conditional jobs', () => {
  it('runs a delayed job no earlier than it is due', async () => {
    // The store's clock is held a minute back until the due time has passed for real: a worker
    // that polls meanwhile cannot see the job as due, so no wall-clock race decides the outcome.
    let held: number | null = Date.now() - 60_000;
    const driver = new MemoryQueueDriver({ clock: () => held ?? Date.now() });
    const clocked = new JobDispatcher(driver, { jobs: EXAMPLE_JOBS, config: { pollIntervalMs: 20 } });
    try {
      const job = new SendReminderJob('dee@example.com', 'Your trial ends tomorrow', 0.3);
      const id = await clocked.dispatch(job);
      const queue = job.queueName();
      const dueAt = new Date(job.dueAt).getTime();
      await clocked.startWorker(queue, 1);
      expect(await driver.reserve({ queue, limit: 10, leaseMs: 30_000, workerId: 'probe' })).toEqual([]);
      await waitFor('the due time to pass', () => Date.now() >= dueAt);
      expect((await clocked.find(id))?.status).toBe('pending');
      held = null;
      clocked.wake(queue);
      const record = await waitForStatus(clocked, id, ['completed']);
      expect(record.attempts).toBe(1);
      expect(record.processedAt!.getTime()).toBeGreaterThanOrEqual(dueAt);
      await waitFor("dee's mail", () => mails.some((m) => m.to.includes('dee@example.com')));
    } finally {
      await clocked.close({ graceSeconds: 1 });
    }
  });

  it('runs a receipt after its payment, which then sends the receipt email; a failed payment ends the chain', async () => {
    const [pay, receipt] = await d.chain([
      new ProcessPaymentJob('pay_9', 42, 'GBP', 'cus_9'),
      new GenerateReceiptJob('pay_9', 'eve@example.com', 'Eve'),
    ]);
    await waitForStatus(d, pay!, ['completed']);
    await waitForStatus(d, receipt!, ['completed']);
    expect(readFileSync(join(dir, 'receipts', 'pay_9.txt'), 'utf8')).toContain('Amount:        42.00 GBP');
    await waitFor("eve's mail", () => mails.some((m) => m.to.includes('eve@example.com')));
    expect(mails.find((m) => m.to.includes('eve@example.com'))!.raw).toContain(
      'Subject: Your receipt for payment pay_9',
    );

    const [bad, never] = await d.chain([
      new ProcessPaymentJob('pay_10', 1, 'USD', 'cus_10', DECLINED_CARD),
      new GenerateReceiptJob('pay_10', 'fay@example.com', 'Fay'),
    ]);
    await waitForStatus(d, bad!, ['failed']);
    expect(await d.find(never!)).toBeNull();
  });

  it('queues an audit event during business hours and runs it inline outside them', async () => {
    const saved = AuditEventJob.clock;
    try {
      AuditEventJob.clock = () => new Date(2026, 0, 5, 10, 0);
      const queued = await d.dispatch(new AuditEventJob('login', 'u1'));
      expect(await d.find(queued)).not.toBeNull();
      await waitForStatus(d, queued, ['completed']);
      AuditEventJob.clock = () => new Date(2026, 0, 5, 22, 0);
      const inline = await d.dispatch(new AuditEventJob('logout', 'u1'));
      expect(await d.find(inline)).toBeNull(); // ran in dispatch, never stored
      expect(readJsonLines<{ action: string }>(join(dir, 'audit.jsonl')).map((e) => e.action)).toEqual([
        'login',
        'logout',
      ]);
    } finally {
      AuditEventJob.clock = saved;
    }
  });
});
