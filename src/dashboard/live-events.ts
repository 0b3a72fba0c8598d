import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { RouteDeps } from './pages.js';
import type { DashboardEnv } from './security.js';

/**
 * Live pages: `GET /events` is a server-sent event stream that says `change` whenever what the
 * pages show may have changed (counts per queue, workers, jobs done), looked up once a second on
 * the server. An open page fetches its fresh <main> only then, instead of reloading every few
 * seconds. The stream goes through the same authentication as the pages (the session cookie is
 * sent by EventSource on the same origin); nothing in it comes from job data.
 */

/** How often the stream compares the store's state. */
const CHECK_MS = 1000;
/** A comment line this often keeps proxies from closing an idle stream. */
const PING_MS = 15_000;
/** Streams end after this long; the browser's EventSource reconnects by itself. */
const MAX_STREAM_MS = 10 * 60_000;
/** Open streams at most per dashboard: each looks at the store once a second. Past it, 503 (pages fall back to polling). */
export const MAX_LIVE_STREAMS = 32;

export function registerLiveEvents(app: Hono<DashboardEnv>, deps: RouteDeps): void {
  let open = 0;
  app.get('/events', async (c) => {
    if (deps.refreshSeconds === 0)
      return c.json({ error: { code: 'LIVE_OFF', message: 'Live updates are off' } }, 404);
    if (open >= MAX_LIVE_STREAMS) {
      return c.json({ error: { code: 'TOO_MANY_STREAMS', message: 'Too many live pages open' } }, 503);
    }
    open++;
    return streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
      });
      try {
        const started = Date.now();
        let lastPing = started;
        let last = await deps.data.liveSignature().catch(() => '');
        await stream.writeSSE({ event: 'ready', data: String(started) });
        while (!closed && Date.now() - started < MAX_STREAM_MS) {
          await stream.sleep(CHECK_MS);
          if (closed) break;
          let now: string;
          try {
            now = await deps.data.liveSignature();
          } catch {
            // The store may be restarting: look again at the next check.
            continue;
          }
          if (now !== last) {
            last = now;
            await stream.writeSSE({ event: 'change', data: String(Date.now()) });
          } else if (Date.now() - lastPing >= PING_MS) {
            lastPing = Date.now();
            await stream.write(': ping\n\n');
          }
        }
      } finally {
        open--;
      }
    });
  });
}
