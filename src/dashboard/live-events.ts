import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { RouteDeps } from './pages.js';
import type { DashboardEnv } from './security.js';

/**
 * Live pages: `GET /events` is a server-sent event stream that says `change` whenever what the
 * pages show may have changed (counts per queue, workers, jobs done). One watcher per dashboard
 * looks at the store once a second while at least one page listens, however many pages are open,
 * and every stream hears from it. An open page fetches its fresh <main> only then, instead of
 * reloading every few seconds. The stream goes through the same authentication as the pages (the
 * session cookie is sent by EventSource on the same origin); nothing in it comes from job data.
 */

/** How often the watcher compares the store's state. */
const CHECK_MS = 1000;
/** A comment line this often keeps proxies from closing an idle stream. */
const PING_MS = 15_000;
/** Streams end after this long; the browser's EventSource reconnects by itself. */
const MAX_STREAM_MS = 10 * 60_000;
/** Open streams at most per dashboard. Past it, 503 (pages fall back to polling). */
export const MAX_LIVE_STREAMS = 32;

/** Looks at the store once a second while anyone listens; tells every listener when it changed. */
class ChangeWatcher {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private last: string | undefined;
  private busy = false;

  constructor(private readonly signature: () => Promise<string>) {}

  get size(): number {
    return this.listeners.size;
  }

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), CHECK_MS);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.last = undefined;
      }
    };
  }

  /**
   * Reads the state later checks compare with, unless a check already has: a change between a
   * stream's start and the first check would otherwise become that check's starting point and
   * never be reported. Each stream waits for it before saying `ready` (when its page refreshes once).
   */
  async baseline(): Promise<void> {
    if (this.last !== undefined) return;
    const now = await this.signature().catch(() => undefined);
    if (this.listeners.size > 0) this.last ??= now;
  }

  private async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = await this.signature();
      const changed = this.last !== undefined && now !== this.last;
      this.last = now;
      if (changed) for (const listener of this.listeners) listener();
    } catch {
      // The store may be restarting: look again at the next check.
    } finally {
      this.busy = false;
    }
  }
}

export function registerLiveEvents(app: Hono<DashboardEnv>, deps: RouteDeps): void {
  const watcher = new ChangeWatcher(() => deps.data.liveSignature());
  app.get('/events', async (c) => {
    if (deps.refreshSeconds === 0) {
      return c.json({ error: { code: 'LIVE_OFF', message: 'Live updates are off' } }, 404);
    }
    if (watcher.size >= MAX_LIVE_STREAMS) {
      return c.json({ error: { code: 'TOO_MANY_STREAMS', message: 'Too many live pages open' } }, 503);
    }
    return streamSSE(c, async (stream) => {
      let pending = false;
      let wake: (() => void) | undefined;
      const stop = watcher.listen(() => {
        pending = true;
        wake?.();
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      try {
        await watcher.baseline();
        const started = Date.now();
        let lastWrite = started;
        await stream.writeSSE({ event: 'ready', data: String(started) });
        while (!closed && Date.now() - started < MAX_STREAM_MS) {
          if (!pending) {
            let timer: NodeJS.Timeout | undefined;
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, PING_MS);
            });
            clearTimeout(timer);
            wake = undefined;
          }
          if (closed) break;
          if (pending) {
            pending = false;
            await stream.writeSSE({ event: 'change', data: String(Date.now()) });
            lastWrite = Date.now();
          } else if (Date.now() - lastWrite >= PING_MS) {
            await stream.write(': ping\n\n');
            lastWrite = Date.now();
          }
        }
      } finally {
        stop();
      }
    });
  });
}
