import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A page on another origin (another port of 127.0.0.1: same site, so SameSite cookies are still
 * sent, which is exactly why the dashboard checks Origin) that posts a form at the dashboard.
 */
export interface EvilSite {
  url(target: string, fields: Record<string, string>): string;
  close(): Promise<void>;
}

export async function startEvilSite(): Promise<EvilSite> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const target = url.searchParams.get('target') ?? '';
    const fields = JSON.parse(url.searchParams.get('fields') ?? '{}') as Record<string, string>;
    const inputs = Object.entries(fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<!doctype html><title>free prizes</title><form method="post" action="${target}">${inputs}</form>` +
        '<script>document.forms[0].submit()</script>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (target, fields) =>
      `http://127.0.0.1:${port}/?target=${encodeURIComponent(target)}&fields=${encodeURIComponent(JSON.stringify(fields))}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
