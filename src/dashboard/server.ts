import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ConfigError } from '../errors.js';
import { createDashboard, type Dashboard, type DashboardOptions } from './app.js';
import { isLoopbackHost } from './security.js';

export interface StartDashboardOptions extends DashboardOptions {
  /** 0 picks a free port. Default 4747. */
  port?: number;
  /** Default 127.0.0.1. Any other address needs a token or authorize function. */
  host?: string;
  /** Where the start-up line goes; default console.log. Pass () => {} for silence. */
  log?: (line: string) => void;
}

export interface RunningDashboard {
  url: string;
  host: string;
  port: number;
  dashboard: Dashboard;
  close(): Promise<void>;
}

export const DEFAULT_DASHBOARD_PORT = 4747;

/**
 * Serves the dashboard on its own port. Without a token it refuses to listen anywhere but
 * loopback, so starting it on a server never exposes the queues by accident.
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_DASHBOARD_PORT;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('INVALID_DASHBOARD_PORT', `Invalid dashboard port ${port}: use 0 to 65535`);
  }
  const dashboard = createDashboard(options);
  if (!dashboard.protected && host !== '::1' && !isLoopbackHost(host)) {
    throw new ConfigError(
      'DASHBOARD_UNPROTECTED',
      `Refusing to serve the dashboard on ${host} without a token: set JOBWRIGHT_DASHBOARD_TOKEN ` +
        '(or pass token/authorize), or listen on 127.0.0.1.',
    );
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      { fetch: (request, env) => dashboard.app.fetch(request, env), port, hostname: host },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}${dashboard.basePath}/`;
  const log = options.log ?? ((line: string) => console.log(line));
  log(
    dashboard.protected
      ? `jobwright dashboard on ${url} (token required)`
      : `jobwright dashboard on ${url} (no token configured: listening on 127.0.0.1 only; set JOBWRIGHT_DASHBOARD_TOKEN to open it to others)`,
  );
  return {
    url,
    host: address.address,
    port: address.port,
    dashboard,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Open keep-alive connections (a browser tab) would hold close() forever.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
