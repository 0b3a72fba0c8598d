import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { LoginThrottle } from './login-throttle.js';

/**
 * Who may use the dashboard and how actions are protected:
 * - no token and no authorize function: only loopback clients that name a loopback host (the
 *   Host check stops DNS-rebinding pages from reaching a dashboard on 127.0.0.1), and that came
 *   through no proxy (a proxy on this machine connects from loopback on everyone's behalf);
 * - a token: a Bearer header, or a session cookie set by the login form (HttpOnly, SameSite=Strict);
 * - an authorize function: the host application's own check, given the request.
 * Every POST must come from the dashboard's own origin (Origin / Sec-Fetch-Site), and, unless it
 * carries a Bearer token (which a cross-site form cannot send), a CSRF token bound to a cookie.
 */

export type Authorize = (request: Request) => boolean | Promise<boolean>;

export interface DashboardVars {
  nonce: string;
  csrf: string;
  /** The request was authenticated by an Authorization header: no cookie, so no CSRF risk. */
  bearer: boolean;
}

export type DashboardEnv = { Variables: DashboardVars };

export const SESSION_COOKIE = 'jobwright_dashboard_session';
export const CSRF_COOKIE = 'jobwright_dashboard_csrf';
const SESSION_HOURS = 12;
/** A token short enough to guess is worse than none, because it looks like protection. */
export const MIN_TOKEN_LENGTH = 32;
/** Fewer different characters than this is not a random token ('aaaa…', 'abab…'). */
export const MIN_TOKEN_DISTINCT_CHARS = 10;
/** Request bodies are small forms (a CSRF token, a queue name, a path): anything larger is refused unread. */
export const MAX_BODY_BYTES = 8 * 1024;
/** Headers a proxy adds: a request carrying one did not come from a person on this machine. */
const PROXY_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'forwarded'];

export interface SecurityOptions {
  token: string | undefined;
  authorize: Authorize | undefined;
  basePath: string;
  /** Extra origins allowed to POST (e.g. 'https://ops.example.com' when a proxy rewrites Host). */
  trustedOrigins: string[];
  /** The wrong-token counter; a default one when absent (tests pass one with their own clock). */
  throttle?: LoginThrottle;
}

function hmac(key: string | Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}

/** Compares digests, so neither the content nor the length of `b` leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * `back` when it is a path on this site, else `fallback`. Parsing collapses dot segments and
 * drops tabs and newlines, so '/.//evil.example' or '/\t/evil.example' become '//evil.example',
 * which a browser reads as another host: the parsed result is checked, not only the input.
 */
export function sameOriginPath(back: unknown, fallback: string): string {
  if (typeof back !== 'string' || !back.startsWith('/') || back.includes('\\') || hasControlChar(back)) {
    return fallback;
  }
  let url: URL;
  try {
    url = new URL(back, 'http://dashboard.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://dashboard.invalid') return fallback;
  const path = url.pathname + url.search;
  return path.startsWith('//') || path.startsWith('/\\') ? fallback : path;
}

const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
}

/** The TCP peer when the request came through @hono/node-server (serve or the Node handler). */
function remoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** Who the throttle counts wrong tokens against: the TCP peer (headers are the client's to forge). */
function clientOf(c: Context): string {
  return remoteAddress(c) ?? 'unknown';
}

export class DashboardSecurity {
  readonly protected: boolean;
  private readonly secret: Buffer;
  /** Wrong tokens per client (TCP peer): the login form and Bearer headers count alike. */
  readonly throttle: LoginThrottle;

  constructor(private readonly options: SecurityOptions) {
    this.protected = Boolean(options.token || options.authorize);
    this.throttle = options.throttle ?? new LoginThrottle();
    // With a token, every process serving the dashboard derives the same CSRF key from it, so
    // a page from one instance behind a load balancer can post to another.
    this.secret = options.token
      ? createHmac('sha256', options.token).update('jobwright-dashboard-csrf').digest()
      : randomBytes(32);
  }

  get hasToken(): boolean {
    return Boolean(this.options.token);
  }

  /** Sets the per-request nonce and the headers every answer carries. */
  headers(): MiddlewareHandler<DashboardEnv> {
    return async (c, next) => {
      const nonce = randomBytes(16).toString('base64');
      c.set('nonce', nonce);
      c.set('bearer', false);
      c.header(
        'Content-Security-Policy',
        [
          "default-src 'none'",
          `script-src 'nonce-${nonce}'`,
          `style-src 'nonce-${nonce}'`,
          "img-src 'self' data:",
          "connect-src 'self'",
          "form-action 'self'",
          "frame-ancestors 'none'",
          "base-uri 'none'",
        ].join('; '),
      );
      c.header('X-Frame-Options', 'DENY');
      c.header('X-Content-Type-Options', 'nosniff');
      // Not no-referrer: under it Chrome sends `Origin: null` on the dashboard's own form posts,
      // which the origin check must refuse. same-origin still tells other sites nothing.
      c.header('Referrer-Policy', 'same-origin');
      c.header('Cache-Control', 'no-store');
      c.header('Cross-Origin-Opener-Policy', 'same-origin');
      c.header('Cross-Origin-Resource-Policy', 'same-origin');
      await next();
    };
  }

  /** Without a token or authorize function, only this machine may look, and only by a loopback name. */
  loopbackOnly(): MiddlewareHandler<DashboardEnv> {
    return async (c, next) => {
      if (this.protected) return next();
      const address = remoteAddress(c);
      const host = c.req.header('host') ?? '';
      const proxied = PROXY_HEADERS.some((name) => c.req.header(name) !== undefined);
      if (proxied) {
        return this.refuse(
          c,
          403,
          'PROXIED_WITHOUT_TOKEN',
          'This dashboard has no token configured, and this request came through a proxy (it carries ' +
            'X-Forwarded-For, X-Forwarded-Host or Forwarded), so it may come from anywhere. ' +
            'Set JOBWRIGHT_DASHBOARD_TOKEN (make one with `npx artisan key:generate`) to serve it behind a proxy.',
        );
      }
      if (address === undefined || !LOOPBACK_ADDRESS.test(address) || !isLoopbackHost(host)) {
        return this.refuse(
          c,
          403,
          'LOOPBACK_ONLY',
          'This dashboard has no token configured, so it answers only http://127.0.0.1 or http://localhost ' +
            'from this machine. Set JOBWRIGHT_DASHBOARD_TOKEN (or pass token/authorize) to open it to others.',
        );
      }
      return next();
    };
  }

  /** Checks the token, session cookie or authorize function; the login page itself is open. */
  authenticate(loginPath: string): MiddlewareHandler<DashboardEnv> {
    return async (c, next) => {
      if (!this.protected || c.req.path === loginPath) return next();
      // A Bearer header with our token lets a script in. Any other Authorization header (a
      // proxy's Basic auth, the host app's own JWT) is left to the session and authorize checks.
      const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
      const client = clientOf(c);
      // A client that must wait gets its Bearer token not even checked.
      const waitMs = bearer && this.hasToken ? this.throttle.waitMs(client) : 0;
      if (bearer && this.hasToken && waitMs === 0 && this.verifyToken(bearer[1]!)) {
        this.throttle.succeeded(client);
        c.set('bearer', true);
        return next();
      }
      if (this.validSession(getCookie(c, SESSION_COOKIE))) return next();
      if (this.options.authorize && (await this.options.authorize(c.req.raw))) return next();
      if (bearer && this.hasToken) {
        // Counted only now: a host app's own Bearer JWT that authorize accepted is no guess.
        if (waitMs > 0) return this.tooManyAttempts(c, waitMs);
        this.throttle.failed(client);
        return this.refuse(
          c,
          401,
          'BAD_TOKEN',
          'The Authorization header does not carry the dashboard token.',
        );
      }
      const wantsPage = c.req.method === 'GET' && !isApiPath(c.req.path, this.options.basePath);
      if (wantsPage && this.hasToken) {
        const next = encodeURIComponent(c.req.path + (new URL(c.req.url).search || ''));
        return c.redirect(`${loginPath}?next=${next}`, 303);
      }
      const message = this.hasToken
        ? 'Sign in with the dashboard token (Authorization: Bearer <token>).'
        : 'Not authorized: the application this dashboard is mounted in did not let this request in.';
      return this.refuse(c, 401, 'UNAUTHORIZED', message);
    };
  }

  /** Issues the CSRF cookie when missing and exposes the matching token to the pages. */
  csrf(): MiddlewareHandler<DashboardEnv> {
    return async (c, next) => {
      let seed = getCookie(c, CSRF_COOKIE);
      if (!seed || !/^[A-Za-z0-9_-]{22,64}$/.test(seed)) {
        seed = randomBytes(18).toString('base64url');
        setCookie(c, CSRF_COOKIE, seed, this.cookieOptions(c));
      }
      c.set('csrf', hmac(this.secret, `csrf:${seed}`));
      return next();
    };
  }

  /** Refuses POSTs from other origins, and cookie- or loopback-authenticated POSTs without the CSRF token. */
  guardActions(): MiddlewareHandler<DashboardEnv> {
    return async (c, next) => {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      const site = c.req.header('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin') {
        return this.refuse(c, 403, 'CROSS_SITE', `Refused: a ${site} request may not change anything here.`);
      }
      const origin = c.req.header('origin');
      if (origin !== undefined && !this.sameOrigin(c, origin)) {
        return this.refuse(c, 403, 'CROSS_ORIGIN', 'Refused: the request comes from another origin.');
      }
      if (c.get('bearer')) return next();
      const sent = c.req.header('x-csrf-token') ?? (await formField(c, '_csrf'));
      if (!sent || !safeEqual(sent, c.get('csrf'))) {
        return this.refuse(
          c,
          403,
          'CSRF',
          'Refused: the form is stale or was not sent by this dashboard. Reload the page.',
        );
      }
      return next();
    };
  }

  verifyToken(candidate: string): boolean {
    return Boolean(this.options.token) && safeEqual(candidate, this.options.token!);
  }

  /**
   * Checks a token a client sent, counting its misses: while the client must wait, the token is
   * not even checked (`retryAfterMs` > 0), so a guesser learns nothing from answers sent early.
   */
  attemptToken(c: Context, candidate: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const client = clientOf(c);
    const waitMs = this.throttle.waitMs(client);
    if (waitMs > 0) return { ok: false, retryAfterMs: waitMs };
    if (this.verifyToken(candidate)) {
      this.throttle.succeeded(client);
      return { ok: true };
    }
    this.throttle.failed(client);
    return { ok: false, retryAfterMs: 0 };
  }

  tooManyAttempts(c: Context, retryAfterMs: number): Response {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    c.header('Retry-After', String(seconds));
    return this.refuse(
      c,
      429,
      'TOO_MANY_ATTEMPTS',
      `Too many wrong tokens from this address: try again in ${seconds} s.`,
    );
  }

  /** Refuses a body over MAX_BODY_BYTES before anything reads it (by Content-Length, or while streaming). */
  limitBody(): MiddlewareHandler<DashboardEnv> {
    return bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // Close the connection rather than read and discard the rest of a huge upload.
        c.header('Connection', 'close');
        return this.refuse(
          c,
          413,
          'BODY_TOO_LARGE',
          `Request bodies are limited to ${MAX_BODY_BYTES} bytes: the dashboard only takes small forms.`,
        );
      },
    });
  }

  /** Starts a session after a correct token on the login form. */
  startSession(c: Context): void {
    const expires = Date.now() + SESSION_HOURS * 3600_000;
    setCookie(c, SESSION_COOKIE, `${expires}.${hmac(this.options.token!, `session:${expires}`)}`, {
      ...this.cookieOptions(c),
      maxAge: SESSION_HOURS * 3600,
    });
  }

  endSession(c: Context): void {
    setCookie(c, SESSION_COOKIE, '', { ...this.cookieOptions(c), maxAge: 0 });
  }

  private validSession(value: string | undefined): boolean {
    if (!value || !this.options.token) return false;
    const match = /^(\d{10,16})\.([A-Za-z0-9_-]+)$/.exec(value);
    if (!match || Number(match[1]) < Date.now()) return false;
    return safeEqual(match[2]!, hmac(this.options.token, `session:${match[1]}`));
  }

  private sameOrigin(c: Context, origin: string): boolean {
    if (this.options.trustedOrigins.includes(origin)) return true;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false; // 'null' (sandboxed frames, file:) and garbage
    }
    // Only Host: X-Forwarded-Host is whatever the client put there unless a proxy overwrote it.
    // Behind a proxy that rewrites Host, list the public origin in trustedOrigins.
    return host === c.req.header('host');
  }

  /** A refusal as JSON for the API and scripts, as a short text page for browsers. */
  refuse(c: Context, status: 401 | 403 | 413 | 429, code: string, message: string): Response {
    const accept = c.req.header('accept') ?? '';
    if (accept.includes('text/html') && !isApiPath(c.req.path, this.options.basePath)) {
      const title = status === 401 ? 'Sign in needed' : status === 429 ? 'Slow down' : 'Refused';
      return c.html(
        `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${escapeText(message)}</p>`,
        status,
      );
    }
    return c.json({ error: { code, message } }, status);
  }

  private cookieOptions(c: Context) {
    const https =
      new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.startsWith('https');
    return {
      path: this.options.basePath || '/',
      httpOnly: true,
      sameSite: 'Strict' as const,
      secure: Boolean(https),
    };
  }
}

export function isApiPath(path: string, basePath: string): boolean {
  return path === `${basePath}/api` || path.startsWith(`${basePath}/api/`);
}

/** One field of a urlencoded or multipart body; Hono caches the parsed body for the route. */
async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    return undefined;
  }
  const body = await c.req.parseBody();
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
