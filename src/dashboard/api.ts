import type { Context, Hono } from 'hono';
import type { RouteDeps } from './pages.js';
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
import type { DashboardEnv } from './security.js';
import { WINDOW_MINUTES } from './views/insights.js';

/**
 * The JSON API: everything the pages show and do. Reads are GET; every change is a POST, guarded
 * like the pages' forms (a Bearer token, or the session cookie plus an X-CSRF-Token header).
 */

type C = Context<DashboardEnv>;

/** A field from the query string, a JSON body or a form body, whichever the client used. */
async function field(c: C, name: string): Promise<string | undefined> {
  const fromQuery = c.req.query(name);
  if (fromQuery !== undefined) return fromQuery;
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/json')) {
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    const value = body && typeof body === 'object' ? body[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const value = (await c.req.parseBody())[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

export function registerApi(app: Hono<DashboardEnv>, deps: RouteDeps): void {
  const { data } = deps;

  app.get('/api', (c) =>
    c.json({
      endpoints: {
        'GET /api/overview': 'counts per queue, paused queues, throughput (?queue, ?minutes)',
        'GET /api/queues': 'counts per queue',
        'GET /api/throughput': 'completed and failed per minute (?queue, ?minutes 5..1440)',
        'GET /api/jobs': 'jobs (?queue, ?status, ?q, ?limit 1..100, ?offset or ?page, ?order newest|oldest)',
        'GET /api/jobs/:id': 'one job and its activity log',
        'GET /api/failed': 'failed jobs (?queue, ?limit, ?offset or ?page)',
        'GET /api/workers': 'live workers across processes',
        'POST /api/jobs/:id/retry': 'retry one failed job',
        'POST /api/jobs/:id/delete': 'delete one failed job',
        'POST /api/failed/retry-all': 'retry every failed job (queue optional)',
        'POST /api/failed/clear': 'delete every failed job (queue optional)',
        'POST /api/queues/:queue/pause': 'pause a queue',
        'POST /api/queues/:queue/resume': 'resume a queue',
      },
    }),
  );

  app.get('/api/overview', async (c) => {
    const queue = parseQueue(c.req.query('queue'));
    return c.json(await data.overview({ queue, minutes: parseMinutes(c.req.query('minutes')) }));
  });

  app.get('/api/queues', async (c) => {
    const overview = await data.overview({ minutes: 5 });
    return c.json({ pauseSupported: overview.pauseSupported, queues: overview.queues });
  });

  app.get('/api/throughput', async (c) => {
    const queue = parseQueue(c.req.query('queue'));
    const overview = await data.overview({ queue, minutes: parseMinutes(c.req.query('minutes')) });
    return c.json({ queue: queue ?? null, buckets: overview.throughput });
  });

  app.get('/api/jobs', async (c) => {
    return c.json(await data.jobs(parseListQuery((name) => c.req.query(name))));
  });

  app.get('/api/jobs/:id', async (c) => {
    const detail = await data.job(parseJobId(c.req.param('id')));
    if (!detail) throw new NotFoundError('No job with that id');
    return c.json(detail);
  });

  app.get('/api/failed', async (c) => {
    const query = { ...parseListQuery((name) => c.req.query(name)), status: 'failed' as const };
    const [list, queues] = await Promise.all([data.jobs(query), data.failedQueues()]);
    return c.json({ ...list, queues });
  });

  app.get('/api/workers', async (c) => c.json({ workers: await data.workersWithJobs() }));

  app.get('/api/metrics', async (c) => {
    const window = parseWindow(c.req.query('window'));
    return c.json({ window, ...(await data.metrics(WINDOW_MINUTES[window])) });
  });

  app.get('/api/classes/:name', async (c) => c.json(await data.jobClass(parseJobName(c.req.param('name')))));

  app.get('/api/failed/groups', async (c) => {
    const filter = { queue: parseQueue(c.req.query('queue')), search: parseSearch(c.req.query('q')) };
    return c.json(await data.errorGroups(filter));
  });

  app.post('/api/jobs/:id/retry', async (c) => {
    const id = parseJobId(c.req.param('id'));
    const retried = await data.retry(id);
    if (retried === 0) {
      return c.json({ error: { code: 'NOT_FAILED', message: 'No failed job with that id' }, retried }, 409);
    }
    return c.json({ retried });
  });

  app.post('/api/jobs/:id/delete', async (c) => {
    const id = parseJobId(c.req.param('id'));
    if (!(await data.deleteFailed(id))) {
      return c.json(
        { error: { code: 'NOT_FAILED', message: 'No failed job with that id' }, deleted: 0 },
        409,
      );
    }
    return c.json({ deleted: 1 });
  });

  app.post('/api/failed/retry-all', async (c) => {
    const queue = parseQueue(await field(c, 'queue'));
    return c.json({ queue: queue ?? null, retried: await data.retryAll(queue) });
  });

  app.post('/api/failed/clear', async (c) => {
    const queue = parseQueue(await field(c, 'queue'));
    return c.json({ queue: queue ?? null, cleared: await data.clearFailed(queue) });
  });

  for (const verb of ['retry', 'delete'] as const) {
    app.post(`/api/failed/groups/:group/${verb}`, async (c) => {
      const group = parseGroup(c.req.param('group'));
      const filter = { queue: parseQueue(await field(c, 'queue')), search: parseSearch(await field(c, 'q')) };
      const n =
        verb === 'retry' ? await data.retryGroup(group, filter) : await data.deleteGroup(group, filter);
      return c.json(verb === 'retry' ? { group, retried: n } : { group, deleted: n });
    });
  }

  app.post('/api/queues/:queue/pause', async (c) => {
    const queue = parseQueue(c.req.param('queue'));
    if (!queue) throw new BadParamError('queue', 'queue is required');
    await data.pause(queue);
    return c.json({ queue, paused: true });
  });

  app.post('/api/queues/:queue/resume', async (c) => {
    const queue = parseQueue(c.req.param('queue'));
    if (!queue) throw new BadParamError('queue', 'queue is required');
    await data.resume(queue);
    return c.json({ queue, paused: false });
  });
}
