import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobDispatcher } from '../dispatcher.js';
import { type JobMetrics, jobMetrics } from './job-metrics.js';

export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A Node `(req, res)` handler that answers with the dispatcher's Prometheus metrics; mount it
 * at `/metrics` in any http server, Express or Hono's node adapter. Rejects with
 * `MissingDependencyError` when prom-client is not installed, so a missing package shows at
 * start-up rather than at the first scrape.
 */
export async function metricsHandler(
  dispatcher: JobDispatcher,
  metrics?: JobMetrics,
): Promise<MetricsRequestHandler> {
  const source = metrics ?? (await jobMetrics(dispatcher));
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    source.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: Error) => {
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics collection failed: ${error.message}\n`);
      },
    );
  };
}

export interface MetricsServerOptions {
  port: number;
  /** Interface to listen on; 127.0.0.1 by default (use '0.0.0.0' for a Prometheus on another host). */
  host?: string;
  dispatcher: JobDispatcher;
  /** Path served; '/metrics' by default. */
  path?: string;
}

export interface MetricsServer {
  server: Server;
  /** The port listened on (the one chosen by the system when `port` was 0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves the dispatcher's metrics over HTTP (`artisan queue:work --metrics-port` uses it). */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const path = options.path ?? '/metrics';
  const host = options.host ?? '127.0.0.1';
  const handle = await metricsHandler(options.dispatcher);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === path) handle(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: metrics are at ${path}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    url: `http://${shownHost}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
