import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDashboard, type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import { LoginThrottle } from '../../src/dashboard/login-throttle.js';
import { DashboardSecurity } from '../../src/dashboard/security.js';
import { generateKey, JobDispatcher, MemoryQueueDriver } from '../../src/index.js';
import { DashboardClient } from './http-client.js';

const TOKEN = 'hardening-test-token-7Qm2Xv9Lp4Rt8Kw3';

let dispatcher: JobDispatcher;
let open: RunningDashboard;

beforeAll(async () => {
  dispatcher = new JobDispatcher(new MemoryQueueDriver());
  open = await startDashboard({ dispatcher, port: 0, token: '', log: () => {} });
});
afterAll(async () => {
  await open.close();
  await dispatcher.close();
});

/**
 * POSTs a body of `totalBytes` to `url` with back-pressure, as a slow client would, and stops
 * when the answer comes. Resolves with the status and how many bytes the server let in.
 */
function hugePost(
  url: string,
  totalBytes: number,
  chunked: boolean,
): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let answered = false;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (!chunked) headers['content-length'] = String(totalBytes);
    const req = request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    // The server closing the connection mid-upload is the expected end; only a missing answer fails.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('request bodies are limited before anything reads them', () => {
  test('a 400 MB POST /login is refused with 413, by its Content-Length or while streaming', {
    timeout: 60_000,
  }, async () => {
    const server = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
    try {
      const total = 400 * 1024 * 1024;
      for (const chunked of [false, true]) {
        const { status, sent } = await hugePost(`${server.url}login`, total, chunked);
        expect(status, chunked ? 'chunked' : 'content-length').toBe(413);
        // The server stopped reading: the client could push only what socket buffers hold.
        expect(sent, chunked ? 'chunked' : 'content-length').toBeLessThan(32 * 1024 * 1024);
      }
      // A normal form still works.
      const tab = new DashboardClient(server.url);
      await tab.page('login');
      expect((await tab.form('login', { token: TOKEN, next: '/' })).status).toBe(303);
    } finally {
      await server.close();
    }
  });
});

describe('without a token', () => {
  test('a request that came through a proxy is remote, whatever its Host', async () => {
    expect((await fetch(new URL('/api/overview', open.url))).status).toBe(200);
    const proxied: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-forwarded-host': '127.0.0.1' },
      { forwarded: 'for=203.0.113.9;proto=https' },
    ];
    for (const header of proxied) {
      const response = await fetch(new URL('/api/overview', open.url), { headers: header });
      expect(response.status, Object.keys(header)[0]).toBe(403);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('PROXIED_WITHOUT_TOKEN');
      expect(body.error.message).toContain('JOBWRIGHT_DASHBOARD_TOKEN');
    }
  });
});

describe('with a token', () => {
  let server: RunningDashboard;
  beforeAll(async () => {
    server = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
  });
  afterAll(() => server.close());

  test('POST /login only ever redirects to a path of this dashboard', async () => {
    const tricks = [
      '/.//evil.example',
      '//evil.example',
      '///evil.example',
      '/\\evil.example',
      '/\\/evil.example',
      '/%2F%2Fevil.example',
      '/%5Cevil.example',
      '/%2e%2e//evil.example',
      '/..//evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      'https://evil.example/',
      'http:evil.example',
      '/././/evil.example/x?y=1',
    ];
    const own = new URL(server.url).origin;
    for (const next of tricks) {
      const tab = new DashboardClient(server.url);
      await tab.page('login');
      const response = await tab.form('login', { token: TOKEN, next });
      expect(response.status, JSON.stringify(next)).toBe(303);
      const location = response.headers.get('location')!;
      expect(
        location.startsWith('/') && !location.startsWith('//'),
        `${JSON.stringify(next)} → ${location}`,
      ).toBe(true);
      expect(new URL(location, server.url).origin, JSON.stringify(next)).toBe(own);
      expect(new URL(location, server.url).host).not.toContain('evil');
    }
    // A real path survives.
    const tab = new DashboardClient(server.url);
    await tab.page('login');
    const fine = await tab.form('login', { token: TOKEN, next: '/failed?queue=emails' });
    expect(fine.headers.get('location')).toBe('/failed?queue=emails');
  });

  test('the Origin check never trusts a client-sent X-Forwarded-Host', async () => {
    const tab = new DashboardClient(server.url);
    await tab.page('login');
    await tab.form('login', { token: TOKEN, next: '/' });
    await tab.page('failed');
    const forged = await tab.form(
      'actions/clear-failed',
      {},
      { origin: 'http://evil.example', 'x-forwarded-host': 'evil.example', 'sec-fetch-site': 'same-origin' },
    );
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('another origin');
    // The same form from the dashboard's own origin passes.
    expect((await tab.form('actions/clear-failed', {})).status).toBe(303);
  });

  test('wrong tokens are slowed per client: of 40 quick guesses only a handful are checked', async () => {
    const guesser = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const tab = new DashboardClient(guesser.url);
        await tab.page('login');
        statuses.push((await tab.form('login', { token: `guess-${i}-${'x'.repeat(30)}`, next: '/' })).status);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      // Each wait doubles from one second: only a handful of the 40 were checked at all.
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(30);
    } finally {
      await guesser.close();
    }
  });

  test("a host app's own Bearer JWT that authorize accepts is never counted as a wrong token", async () => {
    const both = await startDashboard({
      dispatcher,
      port: 0,
      token: TOKEN,
      authorize: (request) => request.headers.get('authorization') === 'Bearer host-app.jwt.value',
      log: () => {},
    });
    try {
      for (let i = 0; i < 12; i++) {
        const response = await fetch(new URL('/api/overview', both.url), {
          headers: { authorization: 'Bearer host-app.jwt.value' },
        });
        expect(response.status, `request ${i + 1}`).toBe(200);
      }
    } finally {
      await both.close();
    }
  });

  test('tokens of any length are compared without error, and only the right one passes', async () => {
    for (const candidate of ['x', TOKEN.slice(0, -1), `${TOKEN}x`, 'y'.repeat(10_000), TOKEN]) {
      const fresh = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
      try {
        const response = await fetch(new URL('/api/overview', fresh.url), {
          headers: { authorization: `Bearer ${candidate}` },
        });
        expect(response.status, `${candidate.length} chars`).toBe(candidate === TOKEN ? 200 : 401);
      } finally {
        await fresh.close();
      }
    }
  });
});

describe('tokens', () => {
  test('short or repetitive tokens are refused at start-up, saying how to make one', async () => {
    for (const weak of ['short-token-1234', 'a'.repeat(64), 'ab'.repeat(20), '0123456789'.repeat(3)]) {
      expect(() => createDashboard({ dispatcher, token: weak }), weak).toThrow(
        expect.objectContaining({
          name: 'ConfigError',
          code: 'WEAK_DASHBOARD_TOKEN',
          message: expect.stringMatching(/artisan key:generate.*openssl rand -base64 32/),
        }),
      );
      await expect(startDashboard({ dispatcher, port: 0, token: weak, log: () => {} })).rejects.toMatchObject(
        {
          code: 'WEAK_DASHBOARD_TOKEN',
        },
      );
    }
    expect(createDashboard({ dispatcher, token: generateKey() }).protected).toBe(true);
  });

  test('while a client waits, not even the right token is checked (form and Bearer alike)', async () => {
    let now = 0;
    const security = new DashboardSecurity({
      token: TOKEN,
      authorize: undefined,
      basePath: '',
      trustedOrigins: [],
      throttle: new LoginThrottle({ now: () => now }),
    });
    const from = (address: string) =>
      ({ env: { incoming: { socket: { remoteAddress: address } } } }) as never;
    for (let i = 0; i < 6; i++) expect(security.attemptToken(from('10.0.0.7'), `wrong-${i}`).ok).toBe(false);
    expect(security.attemptToken(from('10.0.0.7'), TOKEN)).toEqual({ ok: false, retryAfterMs: 1000 });
    // Another client is not held up by this one.
    expect(security.attemptToken(from('10.0.0.8'), TOKEN).ok).toBe(true);
    now += 1000;
    expect(security.attemptToken(from('10.0.0.7'), TOKEN).ok).toBe(true);
    expect(security.throttle.waitMs('10.0.0.7')).toBe(0);

    // Over HTTP, a Bearer header from a client that must wait gets 429 with Retry-After.
    const server = await startDashboard({ dispatcher, port: 0, token: TOKEN, log: () => {} });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12 && !statuses.includes(429); i++) {
        const response = await fetch(new URL('/api/overview', server.url), {
          headers: { authorization: `Bearer wrong-${i}-${'z'.repeat(32)}` },
        });
        statuses.push(response.status);
        if (response.status === 429)
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses).toContain(429);
    } finally {
      await server.close();
    }
  });

  test('the per-client table of wrong guesses is bounded, and backs off by doubling', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxClients: 1000, now: () => now });
    for (let i = 0; i < 50_000; i++) throttle.failed(`198.51.${i >> 8}.${i & 255}`);
    expect(throttle.size).toBe(1000);

    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      throttle.failed('192.0.2.1');
      waits.push(throttle.waitMs('192.0.2.1'));
    }
    expect(waits).toEqual([0, 0, 0, 0, 0, 1000, 2000, 4000]);
    now += 4000;
    expect(throttle.waitMs('192.0.2.1')).toBe(0);
    throttle.succeeded('192.0.2.1');
    throttle.failed('192.0.2.1');
    expect(throttle.waitMs('192.0.2.1')).toBe(0);
    expect(throttle.size).toBeLessThanOrEqual(1000);
  });
});
