import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { DashboardData } from './data.js';
import { registerLiveEvents } from './live-events.js';
import {
  BadParamError,
  NotFoundError,
  parseGroup,
  parseJobId,
  parseJobName,
  parseListQuery,
  parseMinutes,
  parseQueue,
  parseSearch,
  parseWindow,
} from './params.js';
import { type DashboardEnv, type DashboardSecurity, SESSION_COOKIE, sameOriginPath } from './security.js';
import { batchesPage } from './views/batches.js';
import { failedPage } from './views/failed.js';
import { classPage, WINDOW_MINUTES } from './views/insights.js';
import { jobPage, jobsPage } from './views/jobs.js';
import type { Html, PageContext } from './views/layout.js';
import { loginPage } from './views/login.js';
import { overviewPage } from './views/overview.js';
import { schedulesPage } from './views/schedules.js';
import { workersPage } from './views/workers.js';

export interface RouteDeps {
  data: DashboardData;
  security: DashboardSecurity;
  base: string;
  refreshSeconds: number;
}

type C = Context<DashboardEnv>;

/** Notices after an action, by code: the text is ours, only a count or queue name comes from the URL. */
function noticeText(c: C): string | undefined {
  const code = c.req.query('notice');
  if (!code) return undefined;
  const n = Number(c.req.query('n') ?? 0);
  const count = Number.isSafeInteger(n) && n >= 0 ? n : 0;
  const plural = (word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  let queue: string | undefined;
  try {
    queue = parseQueue(c.req.query('nq'));
  } catch {
    queue = undefined;
  }
  switch (code) {
    case 'retried':
      return count > 0 ? `Retried ${plural('failed job')}.` : 'Nothing retried: no failed job matched.';
    case 'cleared':
      return `Deleted ${plural('failed job')}.`;
    case 'deleted':
      return count > 0 ? 'Deleted the failed job.' : 'Nothing deleted: no failed job has that id.';
    case 'group-retried':
      return count > 0
        ? `Retried ${plural('failed job')} of that error.`
        : 'Nothing retried: that error has no failed job now.';
    case 'group-deleted':
      return count > 0
        ? `Deleted ${plural('failed job')} of that error.`
        : 'Nothing deleted: that error has no failed job now.';
    case 'paused':
      return queue ? `Paused queue ${queue}: workers take no new jobs from it.` : undefined;
    case 'resumed':
      return queue ? `Resumed queue ${queue}.` : undefined;
    default:
      return undefined;
  }
}

export async function pageContext(c: C, deps: RouteDeps): Promise<PageContext> {
  const info = await deps.data.driverInfo();
  return {
    base: deps.base,
    nonce: c.get('nonce'),
    csrf: c.get('csrf'),
    driverName: info.name,
    localOnly: !deps.security.protected,
    signedIn: deps.security.hasToken && Boolean(getCookie(c, SESSION_COOKIE)),
    refreshSeconds: deps.refreshSeconds,
    notice: noticeText(c),
    fragment: c.req.header('x-jobwright-fragment') === '1',
  };
}

/**
 * Where to go after an action: a path inside the dashboard from the form's `back` field, never
 * another site (an open redirect would let a link bounce people anywhere with our name on it).
 */
function redirectAfter(
  c: C,
  deps: RouteDeps,
  back: unknown,
  fallback: string,
  notice: Record<string, string>,
) {
  const target = new URL(sameOriginPath(back, fallback), 'http://dashboard.invalid');
  for (const key of ['notice', 'n', 'nq']) target.searchParams.delete(key);
  for (const [key, value] of Object.entries(notice)) target.searchParams.set(key, value);
  return c.redirect(`${deps.base}${target.pathname}${target.search}`, 303);
}

async function form(c: C): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value;
  return out;
}

async function render(c: C, page: Html, status: 200 | 401 | 404 = 200): Promise<Response> {
  return c.html(await page, status);
}

export function registerPages(app: Hono<DashboardEnv>, deps: RouteDeps): void {
  const { data, security, base } = deps;

  app.get('/', async (c) => {
    const queue = parseQueue(c.req.query('queue'));
    const window = parseWindow(c.req.query('window'));
    const [overview, metrics] = await Promise.all([
      data.overview({ queue, minutes: parseMinutes(c.req.query('minutes')) }),
      data.metrics(WINDOW_MINUTES[window]),
    ]);
    return render(c, overviewPage(await pageContext(c, deps), overview, metrics, window));
  });

  app.get('/classes/:name', async (c) => {
    const name = parseJobName(c.req.param('name'));
    return render(c, classPage(await pageContext(c, deps), await data.jobClass(name), new Date()));
  });

  app.get('/jobs', async (c) => {
    const query = parseListQuery((name) => c.req.query(name));
    const [list, queues] = await Promise.all([data.jobs(query), data.queueNames()]);
    return render(c, jobsPage(await pageContext(c, deps), query, list, queues));
  });

  app.get('/jobs/:id', async (c) => {
    const detail = await data.job(parseJobId(c.req.param('id')));
    if (!detail) throw new NotFoundError('No job with that id (it may have been pruned or cleared).');
    return render(c, jobPage(await pageContext(c, deps), detail));
  });

  app.get('/failed', async (c) => {
    const query = { ...parseListQuery((name) => c.req.query(name)), status: 'failed' as const };
    const [list, queues, grouped] = await Promise.all([
      data.jobs(query),
      data.failedQueues(),
      data.errorGroups({ queue: query.queue, search: query.search }),
    ]);
    return render(c, failedPage(await pageContext(c, deps), query, list, queues, grouped));
  });

  app.get('/batches', async (c) => {
    return render(c, batchesPage(await pageContext(c, deps), await data.batches()));
  });

  app.get('/schedules', async (c) => {
    return render(c, schedulesPage(await pageContext(c, deps), await data.schedules()));
  });

  app.get('/workers', async (c) => {
    return render(c, workersPage(await pageContext(c, deps), await data.workersWithJobs()));
  });

  app.get('/login', async (c) => {
    if (!security.hasToken) return c.redirect(`${base}/`, 303);
    const next = sameOriginPath(c.req.query('next')?.slice(base.length), '/');
    return render(c, loginPage(await pageContext(c, deps), next, false));
  });

  app.post('/login', async (c) => {
    if (!security.hasToken) return c.redirect(`${base}/`, 303);
    const body = await form(c);
    const next = sameOriginPath(body.next, '/');
    const attempt = security.attemptToken(c, body.token ?? '');
    if (attempt.ok) {
      security.startSession(c);
      return c.redirect(`${base}${next}`, 303);
    }
    // Wrong tokens are counted per client: past a few, the form waits before checking again.
    if (attempt.retryAfterMs > 0) return security.tooManyAttempts(c, attempt.retryAfterMs);
    return render(c, loginPage(await pageContext(c, deps), next, true), 401);
  });

  app.post('/logout', async (c) => {
    security.endSession(c);
    return c.redirect(`${base}/login`, 303);
  });

  app.post('/actions/retry/:id', async (c) => {
    const id = parseJobId(c.req.param('id'));
    const body = await form(c);
    const retried = await data.retry(id);
    return redirectAfter(c, deps, body.back, `/jobs/${id}`, { notice: 'retried', n: String(retried) });
  });

  app.post('/actions/delete/:id', async (c) => {
    const id = parseJobId(c.req.param('id'));
    const body = await form(c);
    const deleted = await data.deleteFailed(id);
    // The forms send a list page as `back`: the job's own page is gone once it is deleted.
    return redirectAfter(c, deps, body.back, '/failed', { notice: 'deleted', n: deleted ? '1' : '0' });
  });

  app.post('/actions/retry-all', async (c) => {
    const body = await form(c);
    const retried = await data.retryAll(parseQueue(body.queue));
    return redirectAfter(c, deps, body.back, '/failed', { notice: 'retried', n: String(retried) });
  });

  app.post('/actions/clear-failed', async (c) => {
    const body = await form(c);
    const cleared = await data.clearFailed(parseQueue(body.queue));
    return redirectAfter(c, deps, body.back, '/failed', { notice: 'cleared', n: String(cleared) });
  });

  for (const verb of ['retry', 'delete'] as const) {
    app.post(`/actions/${verb}-group`, async (c) => {
      const body = await form(c);
      const filter = { queue: parseQueue(body.queue), search: parseSearch(body.q) };
      const group = parseGroup(body.group);
      const n =
        verb === 'retry' ? await data.retryGroup(group, filter) : await data.deleteGroup(group, filter);
      return redirectAfter(c, deps, body.back, '/failed', {
        notice: verb === 'retry' ? 'group-retried' : 'group-deleted',
        n: String(n),
      });
    });
  }

  registerLiveEvents(app, deps);

  for (const verb of ['pause', 'resume'] as const) {
    app.post(`/actions/${verb}`, async (c) => {
      const body = await form(c);
      const queue = parseQueue(body.queue);
      if (!queue) throw new BadParamError('queue', 'Which queue? The form sent none.');
      await data[verb](queue);
      return redirectAfter(c, deps, body.back, '/', { notice: `${verb}d`, nq: queue });
    });
  }
}
