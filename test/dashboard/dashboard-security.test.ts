import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDashboard, startDashboard } from '../../src/dashboard/index.js';
import { type JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { FlakyJob, makeDispatcher, waitFor } from './fixture.js';
import { DashboardClient } from './http-client.js';

const TOKEN = 'security-test-token-41c7aa90-x9m3p7w';

describe('dashboard security defaults', () => {
  let dispatcher: JobDispatcher;
  let failedId: string;

  beforeAll(async () => {
    dispatcher = makeDispatcher(new MemoryQueueDriver());
    FlakyJob.failing = true;
    failedId = await dispatcher.dispatch(new FlakyJob('S-1'));
    await dispatcher.startWorker('default', 1);
    await waitFor(
      'the flaky job to fail',
      async () => (await dispatcher.find(failedId))?.status === 'failed',
    );
  });

  afterAll(() => dispatcher.close({ graceSeconds: 1 }));

  test('every answer carries a nonce CSP without unsafe-inline, and frame protection', async () => {
    const server = await startDashboard({ dispatcher, port: 0, log: () => {} });
    try {
      const tab = new DashboardClient(server.url);
      for (const path of ['', 'jobs', `jobs/${failedId}`, 'failed', 'workers', 'api/overview', 'nope']) {
        const { response, text } = await tab.page(path);
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp, path).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{20,}'/);
        expect(csp).not.toContain('unsafe-inline');
        expect(csp).not.toContain('unsafe-eval');
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("default-src 'none'");
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        if (response.headers.get('content-type')?.startsWith('text/html')) {
          const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
          const scripts = [...text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
          expect(scripts.length).toBeGreaterThan(0);
          for (const attrs of scripts) expect(attrs).toBe(` nonce="${nonce}"`);
        }
      }
    } finally {
      await server.close();
    }
  });

  test('without a token it will not listen beyond loopback, and says where it listens', async () => {
    await expect(
      startDashboard({ dispatcher, port: 0, host: '0.0.0.0', token: '', log: () => {} }),
    ).rejects.toThrow(/without a token/);
    const lines: string[] = [];
    const server = await startDashboard({ dispatcher, port: 0, token: '', log: (line) => lines.push(line) });
    await server.close();
    expect(lines[0]).toMatch(
      /^jobwright dashboard on http:\/\/127\.0\.0\.1:\d+\/ \(no token configured: listening on 127\.0\.0\.1 only/,
    );
  });

  test('a short token is refused at start-up; JOBWRIGHT_DASHBOARD_TOKEN is read from the environment', async () => {
    expect(() => createDashboard({ dispatcher, token: 'short' })).toThrow(/at least 32 characters/);
    const before = process.env.JOBWRIGHT_DASHBOARD_TOKEN;
    process.env.JOBWRIGHT_DASHBOARD_TOKEN = TOKEN;
    try {
      const dashboard = createDashboard({ dispatcher });
      expect(dashboard.protected).toBe(true);
      const refused = await dashboard.fetch(new Request('http://127.0.0.1/api/overview'));
      expect(refused.status).toBe(401);
      const allowed = await dashboard.fetch(
        new Request('http://127.0.0.1/api/overview', { headers: { authorization: `Bearer ${TOKEN}` } }),
      );
      expect(allowed.status).toBe(200);
    } finally {
      if (before === undefined) delete process.env.JOBWRIGHT_DASHBOARD_TOKEN;
      else process.env.JOBWRIGHT_DASHBOARD_TOKEN = before;
    }
  });

  test('with no token, a request whose client address is unknown is refused', async () => {
    const dashboard = createDashboard({ dispatcher, token: '' });
    const response = await dashboard.fetch(new Request('http://127.0.0.1/api/overview'));
    expect(response.status).toBe(403);
  });

  test('login: CSRF-checked, no open redirect, session cookie HttpOnly SameSite=Strict, sign out', async () => {
    const server = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
    try {
      const tab = new DashboardClient(server.url);
      const first = await tab.request('failed', { headers: { accept: 'text/html' } });
      expect(first.status).toBe(303);
      expect(first.headers.get('location')).toBe('/login?next=%2Ffailed');
      const login = await tab.page('login?next=https://evil.example/');
      expect(login.text).toContain('name="next" value="/"');
      expect((await tab.form('login', { token: TOKEN, next: '/', _csrf: '' })).status).toBe(403);
      const wrong = await tab.form('login', { token: 'nope-nope-nope-nope', next: '/' });
      expect(wrong.status).toBe(401);
      const evil = await tab.form('login', { token: TOKEN, next: '//evil.example/x' });
      expect(evil.status).toBe(303);
      expect(evil.headers.get('location')).toBe('/');
      const cookie = evil.headers.getSetCookie().find((c) => c.startsWith('jobwright_dashboard_session='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).not.toContain(TOKEN);
      expect((await tab.page('failed')).status).toBe(200);
      // Signed in by cookie, an API post still needs the CSRF token (as a header).
      const noCsrf = await tab.request(`api/jobs/${failedId}/retry`, { method: 'POST' });
      expect(noCsrf.status).toBe(403);
      const out = await tab.form('logout', {});
      expect(out.status).toBe(303);
      expect(tab.hasCookie('jobwright_dashboard_session')).toBe(false);
      expect((await tab.request('api/overview')).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  test('an authorize function lets the host app decide', async () => {
    const dashboard = createDashboard({
      dispatcher,
      token: '',
      authorize: (request) => request.headers.get('x-role') === 'admin',
    });
    const no = await dashboard.fetch(new Request('http://ops.example/api/overview'));
    expect(no.status).toBe(401);
    const yes = await dashboard.fetch(
      new Request('http://ops.example/api/overview', { headers: { 'x-role': 'admin' } }),
    );
    expect(yes.status).toBe(200);
    // The host app's own Bearer token is its business, not a wrong dashboard token.
    const jwt = await dashboard.fetch(
      new Request('http://ops.example/api/overview', {
        headers: { 'x-role': 'admin', authorization: 'Bearer eyJhbGciOi.host-app.jwt' },
      }),
    );
    expect(jwt.status).toBe(200);
  });

  test('the Node handler mounts under a base path, as Express does (mount path stripped) or not', async () => {
    const dashboard = createDashboard({ dispatcher, token: TOKEN, basePath: '/admin/jobs' });
    // Express-style: app.use('/admin/jobs', handler) strips the prefix from req.url and keeps originalUrl.
    const server: Server = createServer(
      (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
        if (req.url?.startsWith('/express/')) {
          req.originalUrl = req.url.replace('/express', '');
          req.url = req.url.slice('/express/admin/jobs'.length) || '/';
        }
        void dashboard.handler(req, res);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of ['/admin/jobs/', '/admin/jobs/failed', '/express/admin/jobs/failed']) {
        const tab = new DashboardClient(base, TOKEN);
        const page = await tab.page(path);
        expect(page.status, path).toBe(200);
        expect(page.text).toContain('href="/admin/jobs/workers"');
      }
      const outside = await new DashboardClient(base, TOKEN).page('/elsewhere');
      expect(outside.status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('the Hono app mounts inside another Hono app', async () => {
    const dashboard = createDashboard({ dispatcher, token: TOKEN, basePath: '/ops/queues' });
    const parent = new Hono();
    parent.get('/', (c) => c.text('home'));
    parent.route('/', dashboard.app);
    const response = await parent.request('/ops/queues/api/failed', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { total: number }).total).toBe(1);
  });
});
