// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, whose innerText() is the rendered text a user sees
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import { Job, JobDispatcher } from '../../src/index.js';
import { serviceAvailable } from '../support/services.js';
import { postgresTarget, redisTarget, type StoreTarget, sqliteTarget } from '../support/targets.js';
import { browserAvailable, browserPerFile } from './browser.js';
import { waitFor } from './fixture.js';

/**
 * The dashboard's "why" pages in Chromium on every store: attempts on the job page, error
 * groups on the failed list (search in error text, retry or delete a group), metrics per queue
 * and class with the class page, workers with their running jobs, and live updates by
 * server-sent events.
 */
const hasBrowser = browserAvailable();
const browser = browserPerFile(hasBrowser);

type Mode = 'ok' | 'smtp' | 'full';

class MailJob extends Job {
  constructor(
    public userId: number,
    public mode: Mode,
  ) {
    super();
  }
  override jobName() {
    return 'MailJob';
  }
  override queueName() {
    return 'mail';
  }
  override maxAttempts() {
    return 2;
  }
  override retryDelay() {
    return 0;
  }
  async handle() {
    if (this.mode === 'smtp') throw new Error(`SMTP 421 for user ${this.userId}`);
    if (this.mode === 'full') throw new Error(`Mailbox full for user${this.userId}@example.com`);
  }
}

/** Runs until released, so the workers page has a running job to show. */
class SlowJob extends Job {
  static release: () => void = () => {};
  static gate: Promise<void> = Promise.resolve();
  /** A new gate for each suite: its slow job runs until that suite ends. */
  static close(): void {
    SlowJob.gate = new Promise<void>((resolve) => {
      SlowJob.release = resolve;
    });
  }
  override jobName() {
    return 'SlowJob';
  }
  override queueName() {
    return 'slow';
  }
  async handle() {
    await SlowJob.gate;
  }
}

function suite(target: StoreTarget, skip = false) {
  describe.skipIf(!hasBrowser || skip)(`dashboard insights in chromium, ${target.name} driver`, () => {
    let context: BrowserContext;
    let dispatcher: JobDispatcher;
    let server: RunningDashboard;
    let smtpIds: string[];
    let slowId: string;

    const failedCount = async () => (await dispatcher.stats('mail')).failedJobs;

    beforeAll(async () => {
      dispatcher = new JobDispatcher(await target.make(), {
        jobs: [MailJob, SlowJob],
        config: { pollIntervalMs: 50 },
      });
      smtpIds = await dispatcher.dispatchMany([17, 18, 19].map((n) => new MailJob(n, 'smtp')));
      await dispatcher.dispatchMany([
        new MailJob(1, 'full'),
        new MailJob(2, 'full'),
        new MailJob(3, 'ok'),
        new MailJob(4, 'ok'),
      ]);
      await dispatcher.startWorker('mail', 2);
      await waitFor('the mail queue to settle', async () => {
        const s = await dispatcher.stats('mail');
        return s.completedJobs === 2 && s.failedJobs === 5;
      });
      SlowJob.close();
      slowId = await dispatcher.dispatch(new SlowJob());
      await dispatcher.startWorker('slow', 1);
      await waitFor(
        'the slow job to start',
        async () => (await dispatcher.find(slowId))?.status === 'processing',
      );
      server = await startDashboard({ dispatcher, port: 0, token: '', refreshSeconds: 1, log: () => {} });
      context = await browser().newContext();
    }, 90_000);

    afterAll(async () => {
      SlowJob.release();
      await context?.close();
      await server?.close();
      await dispatcher?.close({ graceSeconds: 1 });
      await target.cleanup();
    }, 60_000);

    async function open(path: string): Promise<Page> {
      const page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`${server.url}${path}`);
      return page;
    }

    test('the job page lists every attempt: started, worker, run time, outcome and full error', async () => {
      const page = await open(`jobs/${smtpIds[0]}`);
      const rows = page.locator('#attempts tbody tr');
      expect(await rows.count()).toBe(2);
      expect(await rows.nth(0).getAttribute('data-outcome')).toBe('failed');
      expect(await rows.nth(1).getAttribute('data-outcome')).toBe('retried');
      expect(await rows.nth(0).locator('td').nth(2).innerText()).not.toBe('—');
      expect(await rows.nth(0).locator('td[data-ran]').innerText()).toMatch(/\d+ (ms|s)/);
      await rows.nth(0).locator('details summary').click();
      expect(await rows.nth(0).locator('details pre').innerText()).toContain('SMTP 421 for user 17');
      await page.close();
    });

    test('the overview shows metrics per queue and class; the class page its numbers, charts and jobs', async () => {
      const page = await open('');
      const mail = page.locator('#queue-metrics tr[data-queue="mail"]');
      expect(await mail.locator('td[data-metric="completed"]').innerText()).toBe('2');
      // 2 completed, 5 failed for good, 5 retried attempts: 10 of 12 ended attempts went wrong.
      expect(await mail.locator('td[data-metric="failure-rate"]').innerText()).toBe('83 %');
      expect(await mail.locator('td[data-metric="run-p95"]').innerText()).toMatch(/\d/);
      expect(await mail.locator('td[data-metric="wait-max"]').innerText()).toMatch(/\d/);
      // Mean run time and wait per minute, with a hover value on each of the 60 minutes.
      expect(await page.locator('#overview-run svg .slot title').count()).toBe(60);
      expect(await page.locator('#overview-wait svg .slot title').count()).toBe(60);
      await page.click('#class-metrics tr[data-class="MailJob"] a');
      await page.waitForURL(/classes\/MailJob/);
      expect(await page.locator('h1').innerText()).toContain('MailJob');
      expect(await page.locator('[data-tile="completed"] .n').first().innerText()).toBe('2');
      const labels = await page.locator('#class-completed svg text.label.x').allTextContents();
      expect(labels.length).toBeGreaterThanOrEqual(5);
      for (const label of labels) expect(label).toMatch(/^\d\d:\d0$/);
      expect(await page.locator('#class-completed svg .slot title').count()).toBe(60);
      expect(await page.locator('#recent tbody tr').count()).toBe(7);
      expect(await page.locator('#slowest tbody tr').count()).toBe(7);
      await page.goto(`${server.url}?window=day`);
      expect(
        await page.locator('#queue-metrics tr[data-queue="mail"] td[data-metric="completed"]').innerText(),
      ).toBe('2');
      await page.close();
    });

    test('workers show the job each one runs, with its run time counting up', async () => {
      const page = await open('workers');
      const item = page.locator(`li[data-running="${slowId}"]`);
      expect(await item.innerText()).toContain('SlowJob');
      const first = await item.locator('.runtime').innerText();
      await page.waitForFunction(
        ([id, before]) => {
          const el = (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string } | null };
            }
          ).document.querySelector(`li[data-running="${id}"] .runtime`);
          return el !== null && el.textContent !== before;
        },
        [slowId, first] as const,
        { timeout: 15_000 },
      );
      expect(await page.locator('tr[data-stale]').count()).toBe(0);
      await page.close();
    });

    test('pages update live through server-sent events', async () => {
      const page = await context.newPage();
      const streams: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/events')) streams.push(request.url());
      });
      await page.goto(server.url);
      await page.waitForFunction(
        () =>
          (
            globalThis as unknown as {
              document: { getElementById(id: string): { textContent: string } | null };
            }
          ).document.getElementById('live-state')?.textContent === 'live',
      );
      expect(streams).toHaveLength(1);
      const completed = page.locator('#queues tr[data-queue="mail"] td[data-count="completed"]');
      expect(await completed.innerText()).toBe('2');
      await dispatcher.dispatch(new MailJob(5, 'ok'));
      await page.waitForFunction(
        () =>
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string } | null };
            }
          ).document
            .querySelector('#queues tr[data-queue="mail"] td[data-count="completed"]')
            ?.textContent?.trim() === '3',
        undefined,
        { timeout: 20_000 },
      );
      await page.close();
    });

    test('the failed list groups errors; search covers error text; a whole group is retried or deleted', async () => {
      const page = await open('failed');
      const groups = page.locator('#error-groups tbody tr');
      expect(await groups.count()).toBe(2);
      expect(await groups.nth(0).locator('td.group-error summary').innerText()).toBe(
        'Error: SMTP <n> for user <n>',
      );
      expect(await groups.nth(0).locator('td[data-group-count]').innerText()).toBe('3');
      expect(await groups.nth(1).locator('td.group-error summary').innerText()).toBe(
        'Error: Mailbox full for <email>',
      );
      await groups.nth(1).locator('td.group-error summary').click();
      expect(await groups.nth(1).locator('details pre').innerText()).toMatch(
        /Mailbox full for user\d@example\.com\n\s+at /,
      );

      await page.fill('input[name="q"]', 'Mailbox full');
      await page.click('form.filters button[type="submit"]');
      await page.waitForURL(/q=Mailbox/);
      expect(await page.locator('#failed tbody tr').count()).toBe(2);
      expect(await page.locator('#error-groups tbody tr').count()).toBe(1);
      await page.locator('#error-groups tbody tr').first().locator('button.danger').click();
      await page.waitForURL(/notice=group-deleted/);
      expect(await page.locator('.notice').innerText()).toBe('Deleted 2 failed jobs of that error.');
      expect(await failedCount()).toBe(3);

      await page.goto(`${server.url}failed`);
      await page.locator('#error-groups tbody tr').first().locator('button.primary').click();
      await page.waitForURL(/notice=group-retried/);
      expect(await page.locator('.notice').innerText()).toBe('Retried 3 failed jobs of that error.');
      // They run again (and fail again): each now has the attempts of both lives.
      await waitFor('the retried group to fail again', async () => {
        const job = await dispatcher.find(smtpIds[1]!);
        return job?.status === 'failed' && job.attempts === 2;
      });
      await page.goto(`${server.url}jobs/${smtpIds[1]}`);
      expect(await page.locator('#attempts tbody tr').count()).toBe(4);
      await page.close();
    });
  });
}

const pgUp = await serviceAvailable('postgres');
const redisUp = await serviceAvailable('redis');
suite(sqliteTarget('jw_dash'));
suite(postgresTarget('jw_dash'), !pgUp);
suite(redisTarget('jw_dash'), !redisUp);
