import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { JobDispatcher } from '../dispatcher.js';
import { ConfigError, JobwrightError } from '../errors.js';
import { registerApi } from './api.js';
import { DashboardData } from './data.js';
import { pageContext, type RouteDeps, registerPages } from './pages.js';
import { BadParamError, NotFoundError } from './params.js';
import {
  type Authorize,
  type DashboardEnv,
  DashboardSecurity,
  isApiPath,
  MIN_TOKEN_DISTINCT_CHARS,
  MIN_TOKEN_LENGTH,
} from './security.js';
import { layout } from './views/layout.js';

export interface DashboardOptions {
  dispatcher: JobDispatcher;
  /** Required to sign in; defaults to the JOBWRIGHT_DASHBOARD_TOKEN environment variable. */
  token?: string;
  /** Your own check (your app's session, SSO header...): true lets the request in. */
  authorize?: Authorize;
  /** Where the dashboard is mounted, e.g. '/admin/jobs'; '' (the root) by default. */
  basePath?: string;
  /**
   * 0 turns live pages off. Otherwise pages update through server-sent events (`/events`) when
   * something changes, and poll every this many seconds only when they cannot hold a stream. Default 5.
   */
  refreshSeconds?: number;
  /** Origins besides the dashboard's own allowed to POST (when a proxy rewrites Host). */
  trustedOrigins?: string[];
}

export interface Dashboard {
  /** The Hono app; its routes already include basePath. */
  app: Hono<DashboardEnv>;
  /** A fetch handler (Request → Response) for Hono, Bun, Deno or tests. */
  fetch: (request: Request) => Promise<Response>;
  /** A plain Node handler for http.createServer, Express (`app.use(base, handler)`) or Fastify. */
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Whether a token or authorize function protects it; false means loopback only. */
  protected: boolean;
  basePath: string;
}

function normalizeBase(basePath: string | undefined): string {
  const base = (basePath ?? '').replace(/\/+$/, '');
  if (base !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(base)) {
    throw new ConfigError(
      'INVALID_DASHBOARD_BASE_PATH',
      `Invalid dashboard basePath ${JSON.stringify(basePath)}: use a path like '/admin/jobs'`,
    );
  }
  return base;
}

/** The dashboard token from the options or JOBWRIGHT_DASHBOARD_TOKEN; a short or repetitive one is refused. */
export function resolveToken(token: string | undefined, env = process.env): string | undefined {
  const value = token ?? env.JOBWRIGHT_DASHBOARD_TOKEN;
  if (value === undefined || value === '') return undefined;
  const distinct = new Set(value).size;
  if (value.length < MIN_TOKEN_LENGTH || /\s/.test(value) || distinct < MIN_TOKEN_DISTINCT_CHARS) {
    throw new ConfigError(
      'WEAK_DASHBOARD_TOKEN',
      `The dashboard token (JOBWRIGHT_DASHBOARD_TOKEN) must be random: at least ${MIN_TOKEN_LENGTH} characters, ` +
        `no spaces, at least ${MIN_TOKEN_DISTINCT_CHARS} different characters (this one has ${value.length} ` +
        `characters, ${distinct} different). Make one with \`npx artisan key:generate\` or \`openssl rand -base64 32\`.`,
    );
  }
  return value;
}

/** Builds the dashboard: pages, JSON API and security, reading through the dispatcher only. */
export function createDashboard(options: DashboardOptions): Dashboard {
  const base = normalizeBase(options.basePath);
  const security = new DashboardSecurity({
    token: resolveToken(options.token),
    authorize: options.authorize,
    basePath: base,
    trustedOrigins: options.trustedOrigins ?? [],
  });
  const refresh = options.refreshSeconds ?? 5;
  const deps: RouteDeps = {
    data: new DashboardData(options.dispatcher),
    security,
    base,
    refreshSeconds: Number.isFinite(refresh) ? Math.min(3600, Math.max(0, Math.trunc(refresh))) : 5,
  };

  const root = new Hono<DashboardEnv>({ strict: false });
  const app = base ? root.basePath(base) : root;
  app.use('*', security.headers());
  // First: nothing after this (login, CSRF) may read a body before its size is known to be small.
  app.use('*', security.limitBody());
  app.use('*', security.loopbackOnly());
  app.use('*', security.authenticate(`${base}/login`));
  app.use('*', security.csrf());
  app.use('*', security.guardActions());
  registerApi(app, deps);
  registerPages(app, deps);

  app.notFound((c) => failure(c, deps, 404, 'NOT_FOUND', 'There is no such page.'));
  app.onError((error, c) => {
    if (error instanceof BadParamError) return failure(c, deps, 400, 'BAD_PARAM', error.message);
    if (error instanceof NotFoundError) return failure(c, deps, 404, 'NOT_FOUND', error.message);
    if (
      error instanceof JobwrightError &&
      (error.code === 'UNSUPPORTED' || error.code.startsWith('INVALID_'))
    ) {
      return failure(c, deps, 400, error.code, error.message);
    }
    // Store errors can carry connection strings or SQL: log them here, show a plain message.
    console.error('jobwright dashboard:', error);
    return failure(
      c,
      deps,
      500,
      'INTERNAL',
      'The dashboard could not read the queue store; see the server log.',
    );
  });

  const fetch = async (request: Request) => app.fetch(request);
  const listener = getRequestListener((request, env) => app.fetch(request, env));
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    // Express strips its mount path from req.url; put it back so links and routes line up.
    if (base && !startsWithBase(req.url ?? '/', base)) {
      const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl;
      req.url =
        original && startsWithBase(original, base) ? original : `${base}${req.url === '/' ? '' : req.url}`;
    }
    return listener(req, res);
  };
  return { app, fetch, handler, protected: security.protected, basePath: base };
}

function startsWithBase(url: string, base: string): boolean {
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}

async function failure(
  c: Context<DashboardEnv>,
  deps: RouteDeps,
  status: 400 | 404 | 500,
  code: string,
  message: string,
): Promise<Response> {
  const wantsHtml = (c.req.header('accept') ?? '').includes('text/html');
  if (isApiPath(c.req.path, deps.base) || !wantsHtml || !c.get('nonce')) {
    return c.json({ error: { code, message } }, status);
  }
  try {
    const ctx = await pageContext(c, deps);
    const body = html`<h1>${status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Error'}</h1>
<div class="card"><p>${message}</p><p><a href="${deps.base}/">Back to the overview</a></p></div>`;
    return c.html(await layout({ ...ctx, refreshSeconds: 0 }, 'overview', 'Error', body), status);
  } catch {
    return c.json({ error: { code, message } }, status);
  }
}
