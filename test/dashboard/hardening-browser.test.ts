import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import { Job, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { browserAvailable, launchBrowser } from './browser.js';

const hasBrowser = browserAvailable();
const TOKEN = 'browser-hardening-token-4Hq8Zc2Nw6Ty1Pv';

class LiveChange extends Job {
  async handle() {}
}

/**
 * A reverse proxy on this machine, as nginx's `proxy_pass` runs it: it connects from loopback
 * and adds X-Forwarded-For; `keepHost` passes the browser's Host on (`proxy_set_header Host
 * $host`), otherwise it sends the upstream's (nginx's default).
 */
async function startProxy(
  upstream: string,
  keepHost: boolean,
): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, 'x-forwarded-for': '198.51.100.23' };
    if (!keepHost) headers.host = target.host;
    const forward = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
}

describe.skipIf(!hasBrowser)('dashboard hardening in chromium', () => {
  let browser: Browser;
  let dispatcher: JobDispatcher;
  let dashboard: RunningDashboard;

  beforeAll(async () => {
    dispatcher = new JobDispatcher(new MemoryQueueDriver());
    dashboard = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await dispatcher?.close();
  });

  test('a sign-in link whose next leads off-site lands on the dashboard', { timeout: 120_000 }, async () => {
    const own = new URL(dashboard.url).origin;
    for (const next of [
      '/.//evil.example',
      '%2F.%2F%2Fevil.example',
      '//evil.example',
      '/%09/evil.example',
    ]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, `${dashboard.url}login?next=${next}`, TOKEN);
      expect(new URL(page.url()).origin, next).toBe(own);
      expect(await page.title(), next).toContain('Overview');
      await context.close();
    }
  });

  test('a crafted login form (next edited in the page) still redirects within the dashboard', {
    timeout: 60_000,
  }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${dashboard.url}login`);
    // What a tampered page or a proxy rewriting the form would post.
    await page.locator('input[name="next"]').evaluate((input) => {
      (input as unknown as { value: string }).value = '/.//evil.example';
    });
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
    expect(new URL(page.url()).origin).toBe(new URL(dashboard.url).origin);
    await context.close();
  });

  test('wrong tokens typed into the form are slowed down, with a page that says so', {
    timeout: 120_000,
  }, async () => {
    const own = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const statuses: number[] = [];
      // Until the form answers 429: each wrong token checked doubles the wait, so it comes soon
      // even on a machine slow enough for one wait to pass between two submissions.
      for (let i = 0; i < 12 && !statuses.includes(429); i++) {
        await page.goto(`${own.url}login`);
        await page.fill('input[name="token"]', `not-the-token-${i}`);
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'),
          page.click('button[type="submit"]'),
        ]);
        statuses.push(response.status());
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses).toContain(429);
      expect(await page.locator('body').textContent()).toMatch(/Too many wrong tokens from this address/);
    } finally {
      await context.close();
      await own.close();
    }
  });

  test('behind a proxy on this machine, a dashboard without a token refuses; with one, it asks to sign in', {
    timeout: 60_000,
  }, async () => {
    const tokenless = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
    const openProxy = await startProxy(tokenless.url, false);
    const guardedProxy = await startProxy(dashboard.url, true);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const refused = await page.goto(openProxy.url);
      expect(refused?.status()).toBe(403);
      expect(await page.locator('body').textContent()).toContain('came through a proxy');

      await signIn(page, `${guardedProxy.url}login`, TOKEN);
      expect(await page.title()).toContain('Overview');
      expect(new URL(page.url()).origin).toBe(new URL(guardedProxy.url).origin);
    } finally {
      await context.close();
      await openProxy.close();
      await guardedProxy.close();
      await tokenless.close();
    }
  });
  test('a live update never replaces a search being typed: it waits until the form is sent or emptied', {
    timeout: 60_000,
  }, async () => {
    const own = await startDashboard({ dispatcher, port: 0, token: '', refreshSeconds: 1, log: () => {} });
    const context = await browser.newContext();
    type Body = { dataset: Record<string, string | undefined> };
    type Doc = { body: Body; activeElement: { blur(): void } | null };
    // Page functions are sent as source (no closures): each one names the document itself.
    try {
      const page = await context.newPage();
      await page.goto(`${own.url}jobs`);
      // The refresh every page makes once its event stream is open.
      await page.waitForFunction(
        () => (globalThis as unknown as { document: Doc }).document.body.dataset.refreshedAt !== undefined,
        null,
        {
          timeout: 15_000,
        },
      );
      await page.fill('input[name="q"]', 'typed, not sent');
      await page.evaluate(() => (globalThis as unknown as { document: Doc }).document.activeElement?.blur());
      await dispatcher.dispatch(new LiveChange());
      // The change arrives; the page holds its refresh instead of wiping the box.
      await page.waitForFunction(
        () => (globalThis as unknown as { document: Doc }).document.body.dataset.refreshHeld !== undefined,
        null,
        {
          timeout: 15_000,
        },
      );
      expect(await page.inputValue('input[name="q"]')).toBe('typed, not sent');
      // Emptied again, the next change refreshes the page.
      await page.fill('input[name="q"]', '');
      await page.evaluate(() => (globalThis as unknown as { document: Doc }).document.activeElement?.blur());
      const before = await page.evaluate(
        () => (globalThis as unknown as { document: Doc }).document.body.dataset.refreshedAt,
      );
      await dispatcher.dispatch(new LiveChange());
      await page.waitForFunction(
        (b) => (globalThis as unknown as { document: Doc }).document.body.dataset.refreshedAt !== b,
        before,
        { timeout: 15_000 },
      );
    } finally {
      await context.close();
      await own.close();
    }
  });
});
