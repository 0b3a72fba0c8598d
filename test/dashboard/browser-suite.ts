// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators, whose innerText() is the rendered text a user sees
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import type { JobDispatcher } from '../../src/index.js';
import { serviceAvailable } from '../support/services.js';
import { postgresTarget, redisTarget, type StoreTarget, sqliteTarget } from '../support/targets.js';
import { browserAvailable, browserPerFile } from './browser.js';
import { type EvilSite, startEvilSite } from './evil-site.js';
import { FlakyJob, HostileJob, makeDispatcher, type Seeded, seed, waitFor } from './fixture.js';

const hasBrowser = browserAvailable();
const TOKEN = 'dashboard-test-token-5f1c9a7e-b3d8k2q';

/** The page's globals, typed here because the tests compile without the DOM library. */
type PageGlobals = { document: { body: { dataset: Record<string, string> } }; __pwned?: number };

/** Dialogs, console errors and page errors a page produced: any of them from job data means script ran. */
function watch(page: Page) {
  const seen = { dialogs: [] as string[], errors: [] as string[] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
  return seen;
}

async function cell(page: Page, queue: string, count: string): Promise<string> {
  return (
    await page.locator(`#queues tr[data-queue="${queue}"] td[data-count="${count}"]`).innerText()
  ).trim();
}

function browserSuite(browser: () => Browser, target: StoreTarget, options: { skip?: boolean } = {}) {
  // A browser, a server and a store per case: on a machine running two suites at once a case
  // took over 30 s, so these get a minute.
  describe.skipIf(!hasBrowser || options.skip)(
    `dashboard in chromium, ${target.name} driver`,
    { timeout: 60_000 },
    () => {
      let context: BrowserContext;
      let dispatcher: JobDispatcher;
      let server: RunningDashboard;
      let evil: EvilSite;
      let seeded: Seeded;

      beforeAll(async () => {
        dispatcher = makeDispatcher(await target.make());
        seeded = await seed(dispatcher);
        server = await startDashboard({ dispatcher, port: 0, token: '', refreshSeconds: 1, log: () => {} });
        evil = await startEvilSite();
        context = await browser().newContext();
      }, 90_000);

      afterAll(async () => {
        await context?.close();
        await evil?.close();
        await server?.close();
        await dispatcher?.close({ graceSeconds: 1 });
        await target.cleanup();
      }, 60_000);

      test('the overview shows the counts the store holds, and charts of the last hour', async () => {
        const page = await context.newPage();
        await page.goto(server.url);
        expect(await page.title()).toContain('Overview');
        const stats = await dispatcher.allStats();
        expect(stats.map((s) => s.queueName)).toEqual(['default', 'reports']);
        for (const s of stats) {
          expect(await cell(page, s.queueName, 'pending')).toBe(String(s.pendingJobs));
          expect(await cell(page, s.queueName, 'processing')).toBe(String(s.processingJobs));
          expect(await cell(page, s.queueName, 'retrying')).toBe(String(s.retryingJobs));
          expect(await cell(page, s.queueName, 'completed')).toBe(String(s.completedJobs));
          expect(await cell(page, s.queueName, 'failed')).toBe(String(s.failedJobs));
          expect(await cell(page, s.queueName, 'workers')).toBe(String(s.workersCount));
        }
        expect(await cell(page, 'reports', 'pending')).toBe('4');
        expect(await cell(page, 'default', 'completed')).toBe('4');
        expect(await cell(page, 'default', 'failed')).toBe('2');
        expect(await cell(page, 'default', 'workers')).toBe('2');
        expect(await page.locator('[data-total="failed"] .n').innerText()).toBe('2');
        // Oldest wait of the queue nobody works: some seconds, not a dash.
        expect(await cell(page, 'reports', 'oldest')).toMatch(/\d/);
        const captions = await page.locator('figure.chart figcaption').allInnerTexts();
        expect(captions[0]).toMatch(/Throughput.*4 in all/);
        expect(captions[1]).toMatch(/Failures.*2 in all/);
        expect(await page.locator('figure.chart svg rect.bar.ok').count()).toBeGreaterThan(0);
        await page.close();
      });

      test('jobs: search by id, job name and payload text, with paging', async () => {
        const page = await context.newPage();
        await page.goto(`${server.url}jobs?q=A-1001`);
        expect(await page.locator('#jobs tbody tr').count()).toBe(1);
        expect(await page.locator('#jobs tbody tr td').nth(1).innerText()).toBe('FlakyJob');

        await page.goto(`${server.url}jobs?q=${seeded.reportIds[1]}`);
        expect(await page.locator('#jobs tbody tr').count()).toBe(1);
        expect(await page.locator('#jobs tbody tr').getAttribute('data-job')).toBe(seeded.reportIds[1]);

        await page.goto(`${server.url}jobs`);
        await page.fill('input[name="q"]', 'ReportJob');
        await page.click('form.filters button[type="submit"]');
        await page.waitForURL(/q=ReportJob/);
        expect(await page.locator('#jobs tbody tr').count()).toBe(4);

        await page.goto(`${server.url}jobs?queue=default&limit=2`);
        expect(await page.locator('#jobs tbody tr').count()).toBe(2);
        expect(await page.locator('.pager span').innerText()).toBe('1–2 of 6');
        await page.click('a[rel="next"]');
        await page.waitForURL(/page=2/);
        expect(await page.locator('.pager span').innerText()).toBe('3–4 of 6');

        await page.goto(`${server.url}jobs?status=failed`);
        expect(await page.locator('#jobs tbody tr').count()).toBe(2);
        const bad = await page.goto(`${server.url}jobs?status=deleted`);
        expect(bad?.status()).toBe(400);
        await page.close();
      });

      test('a payload and error holding <script> and <img onerror> render as text and run nothing', async () => {
        const page = await context.newPage();
        const seen = watch(page);
        for (const path of [`jobs/${seeded.hostileId}`, 'failed', 'jobs?q=HostileJob', 'jobs', '']) {
          await page.goto(`${server.url}${path}`);
          // Let one self-refresh replace the page's content too.
          // Functions (sent to the page as source, so no closures), not strings: the page's CSP
          // has no unsafe-eval and refuses string evaluation.
          await page.waitForFunction(
            () => (globalThis as unknown as PageGlobals).document.body.dataset.refreshedAt !== undefined,
            null,
            {
              timeout: 15_000,
            },
          );
          expect(await page.evaluate(() => typeof (globalThis as unknown as PageGlobals).__pwned)).toBe(
            'undefined',
          );
          expect(await page.locator('main img, main script, main [onerror], main [onload]').count()).toBe(0);
        }
        await page.goto(`${server.url}jobs/${seeded.hostileId}`);
        const payload = await page.locator('#payload').innerText();
        expect(payload).toContain("<script>window.__pwned = 1; alert('payload')</script>");
        expect(payload).toContain('<img src=x onerror=');
        expect(await page.locator('#error-message').innerText()).toContain(
          '"><svg onload="window.__pwned = 3">',
        );
        expect(await page.locator('#error-stack').innerText()).toContain('at HostileJob.handle');
        expect(seen.dialogs).toEqual([]);
        expect(seen.errors, seen.errors.join('\n')).toEqual([]);
        await page.close();
      });

      test('a failed job retried from its page runs again on the worker and completes', async () => {
        const page = await context.newPage();
        await page.goto(`${server.url}jobs/${seeded.flakyId}`);
        expect(await page.locator('#job-status').getAttribute('data-status')).toBe('failed');
        expect(await page.locator('#error-message').innerText()).toContain('payment gateway timed out');
        FlakyJob.failing = false;
        await page.click('#job-actions button');
        await page.waitForURL(/notice=retried/);
        expect(await page.locator('.notice').innerText()).toBe('Retried 1 failed job.');
        // The page refreshes itself until the worker has run the job.
        await page.waitForSelector('#job-status[data-status="completed"]', { timeout: 20_000 });
        const job = await dispatcher.find(seeded.flakyId);
        expect(job?.status).toBe('completed');
        expect(job?.attempts).toBe(1);
        await page.close();
      });

      test('pause and resume a queue from the overview', async () => {
        const page = await context.newPage();
        await page.goto(server.url);
        await page.click('#queues tr[data-queue="reports"] button:has-text("Pause")');
        await page.waitForURL(/notice=paused/);
        expect(await page.locator('.notice').innerText()).toContain('Paused queue reports');
        expect(await page.locator('#queues tr[data-queue="reports"] .badge.paused').count()).toBe(1);
        expect(await dispatcher.pausedQueues()).toEqual(['reports']);
        await page.click('#queues tr[data-queue="reports"] button:has-text("Resume")');
        await page.waitForURL(/notice=resumed/);
        expect(await dispatcher.pausedQueues()).toEqual([]);
        await page.close();
      });

      test('workers: the live worker of this process is listed', async () => {
        const page = await context.newPage();
        await page.goto(`${server.url}workers`);
        const rows = page.locator('#workers tbody tr');
        expect(await rows.count()).toBe(1);
        expect(await rows.first().getAttribute('data-worker')).toMatch(/^default@/);
        expect(await rows.first().locator('td').nth(1).innerText()).toMatch(new RegExp(` · ${process.pid}$`));
        await page.close();
      });

      test('a form posted from another origin is refused and changes nothing', async () => {
        const before = await dispatcher.find(seeded.hostileId);
        const page = await context.newPage();
        // The victim has the dashboard open (so holds its cookies), then visits the other site.
        await page.goto(server.url);
        const response = page.waitForResponse((r) => r.url().includes('/actions/retry/'));
        await page.goto(
          evil.url(`${server.url}actions/retry/${seeded.hostileId}`, { _csrf: 'guessed', back: '/' }),
        );
        expect((await response).status()).toBe(403);
        await page.waitForLoadState();
        expect(await page.locator('body').innerText()).toContain('Refused');
        const after = await dispatcher.find(seeded.hostileId);
        expect(after?.failedAt?.getTime()).toBe(before?.failedAt?.getTime());
        expect(after?.updatedAt.getTime()).toBe(before?.updatedAt.getTime());
        await page.close();
      });

      test('delete one failed job from the failed list and from its own page (asks first)', async () => {
        const [fromList, fromDetail] = await dispatcher.dispatchMany([
          new HostileJob('delete from the list'),
          new HostileJob('delete from its page'),
        ]);
        await waitFor('both to fail', async () => {
          const jobs = await Promise.all([dispatcher.find(fromList!), dispatcher.find(fromDetail!)]);
          return jobs.every((job) => job?.status === 'failed');
        });
        const page = await context.newPage();
        await page.goto(`${server.url}failed`);
        const row = page.locator(`#failed tr[data-job="${fromList}"]`);
        expect(await row.count()).toBe(1);
        page.once('dialog', (dialog) => void dialog.accept());
        await row.locator('button:has-text("Delete")').click();
        await page.waitForURL(/notice=deleted/);
        expect(await page.locator('.notice').innerText()).toBe('Deleted the failed job.');
        expect(await page.locator(`#failed tr[data-job="${fromList}"]`).count()).toBe(0);
        expect(await page.locator(`#failed tr[data-job="${fromDetail}"]`).count()).toBe(1);
        expect(await dispatcher.find(fromList!)).toBeNull();

        await page.goto(`${server.url}jobs/${fromDetail}`);
        page.once('dialog', (dialog) => void dialog.accept());
        await page.click('#job-actions button:has-text("Delete")');
        await page.waitForURL(/\/failed\?notice=deleted/);
        expect(await page.locator(`#failed tr[data-job="${fromDetail}"]`).count()).toBe(0);
        expect(await dispatcher.find(fromDetail!)).toBeNull();
        await page.close();
      });

      test('failed page: retry all, then clear all, per queue (asks first)', async () => {
        FlakyJob.failing = true;
        const ids = await dispatcher.dispatchMany([new FlakyJob('B-1'), new FlakyJob('B-2')]);
        await waitFor('two more failures', async () => (await dispatcher.stats('default')).failedJobs === 3);
        FlakyJob.failing = false;
        const page = await context.newPage();
        await page.goto(`${server.url}failed`);
        expect(await page.locator('#failed tbody tr').count()).toBe(3);
        page.once('dialog', (dialog) => void dialog.accept());
        await page.click('#failed-queues tr[data-queue="default"] button:has-text("Retry all")');
        await page.waitForURL(/notice=retried/);
        expect(await page.locator('.notice').innerText()).toBe('Retried 3 failed jobs.');
        for (const id of ids) {
          await waitFor(`${id} to complete`, async () => (await dispatcher.find(id))?.status === 'completed');
        }
        // The hostile job fails again; clear it.
        await waitFor(
          'the hostile job to fail again',
          async () => (await dispatcher.stats('default')).failedJobs === 1,
        );
        await page.goto(`${server.url}failed`);
        page.once('dialog', (dialog) => void dialog.accept());
        await page.click('#failed-queues tr[data-queue="default"] button:has-text("Clear all")');
        await page.waitForURL(/notice=cleared/);
        expect(await page.locator('.notice').innerText()).toBe('Deleted 1 failed job.');
        expect((await dispatcher.stats('default')).failedJobs).toBe(0);
        expect(await page.locator('#failed').count()).toBe(0);
        await page.close();
      });
    },
  );

  describe.skipIf(!hasBrowser || options.skip)(
    `dashboard with a token in chromium, ${target.name} driver`,
    () => {
      let dispatcher: JobDispatcher;
      let server: RunningDashboard;
      let evil: EvilSite;
      let seeded: Seeded;

      beforeAll(async () => {
        dispatcher = makeDispatcher(await target.make());
        seeded = await seed(dispatcher);
        server = await startDashboard({
          dispatcher,
          port: 0,
          token: TOKEN,
          refreshSeconds: 0,
          log: () => {},
        });
        evil = await startEvilSite();
      }, 90_000);

      afterAll(async () => {
        await evil?.close();
        await server?.close();
        await dispatcher?.close({ graceSeconds: 1 });
        await target.cleanup();
      }, 60_000);

      test('pages ask for the token; a wrong one is refused, the right one signs in with a strict cookie', async () => {
        const context = await browser().newContext();
        const page = await context.newPage();
        await page.goto(`${server.url}failed`);
        expect(page.url()).toContain('/login');
        await page.fill('#token', 'not-the-token-at-all');
        await page.click('button[type="submit"]');
        expect(await page.locator('[role="alert"]').innerText()).toContain('not right');
        await page.fill('#token', TOKEN);
        await page.click('button[type="submit"]');
        await page.waitForURL(/\/failed$/);
        expect(await page.locator('#failed tbody tr').count()).toBe(2);
        const session = (await context.cookies()).find((c) => c.name === 'jobwright_dashboard_session');
        expect(session?.httpOnly).toBe(true);
        expect(session?.sameSite).toBe('Strict');
        expect(session?.value).not.toContain(TOKEN);
        await context.close();
      });

      test('an action without the token is refused', async () => {
        const context = await browser().newContext();
        const api = await context.request.post(`${server.url}api/jobs/${seeded.flakyId}/retry`);
        expect(api.status()).toBe(401);
        const form = await context.request.post(`${server.url}actions/retry/${seeded.flakyId}`, {
          form: { back: '/' },
          maxRedirects: 0,
        });
        expect(form.status()).toBe(401);
        const wrong = await context.request.post(`${server.url}api/jobs/${seeded.flakyId}/retry`, {
          headers: { authorization: 'Bearer wrong-token-wrong-token' },
        });
        expect(wrong.status()).toBe(401);
        expect((await dispatcher.find(seeded.flakyId))?.status).toBe('failed');
        await context.close();
      });

      test('signed in, a form posted from another origin is still refused', async () => {
        const before = await dispatcher.find(seeded.flakyId);
        const context = await browser().newContext();
        const page = await context.newPage();
        await page.goto(`${server.url}login`);
        await page.fill('#token', TOKEN);
        await page.click('button[type="submit"]');
        await page.waitForURL((url) => !url.pathname.includes('login'));
        const response = page.waitForResponse((r) => r.url().includes('/actions/retry/'));
        await page.goto(evil.url(`${server.url}actions/retry/${seeded.flakyId}`, { back: '/' }));
        expect((await response).status()).toBe(403);
        const after = await dispatcher.find(seeded.flakyId);
        expect(after?.status).toBe('failed');
        expect(after?.updatedAt.getTime()).toBe(before?.updatedAt.getTime());
        // The same action from the dashboard's own page goes through.
        FlakyJob.failing = false;
        await page.goto(`${server.url}jobs/${seeded.flakyId}`);
        await page.click('#job-actions button');
        await page.waitForURL(/notice=retried/);
        await waitFor('the retried job to complete', async () => {
          return (await dispatcher.find(seeded.flakyId))?.status === 'completed';
        });
        await context.close();
      });
    },
  );
}

/**
 * The dashboard's browser cases, against each store named: one Chromium for the calling test
 * file. The stores are spread over two files so that they run side by side.
 */
export async function dashboardBrowserSuites(stores: Array<'sqlite' | 'postgres' | 'redis'>) {
  const browser = browserPerFile(hasBrowser);
  for (const store of stores) {
    if (store === 'sqlite') browserSuite(browser, sqliteTarget('jw_dash'));
    // The stores of many machines, when their services answer (required under CI).
    if (store === 'postgres')
      browserSuite(browser, postgresTarget('jw_dash'), { skip: !(await serviceAvailable('postgres')) });
    if (store === 'redis')
      browserSuite(browser, redisTarget('jw_dash'), { skip: !(await serviceAvailable('redis')) });
  }
}
