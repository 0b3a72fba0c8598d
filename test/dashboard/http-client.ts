/**
 * A tiny cookie-keeping HTTP client for the API tests: it plays a browser tab of the dashboard
 * (cookies, the CSRF token from a page) or a script (a Bearer header), and can forge the
 * headers another site's page would send.
 */
export class DashboardClient {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(
    readonly baseUrl: string,
    private readonly bearer?: string,
  ) {}

  async request(
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0 && !('cookie' in headers)) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if (this.bearer && !('authorization' in headers)) headers.authorization = `Bearer ${this.bearer}`;
    const response = await fetch(new URL(path, this.baseUrl), { redirect: 'manual', ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Opens a page as a browser would and keeps its CSRF token. */
  async page(path: string): Promise<{ status: number; text: string; response: Response }> {
    const response = await this.request(path, { headers: { accept: 'text/html' } });
    const text = await response.text();
    const match = /name="_csrf" value="([^"]+)"/.exec(text);
    if (match) this.csrf = match[1]!;
    return { status: response.status, text, response };
  }

  async json<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
    const response = await this.request(path);
    return { status: response.status, body: (await response.json()) as T };
  }

  /** A form post from the dashboard's own page: same origin, with the CSRF token. */
  form(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const origin = new URL(this.baseUrl).origin;
    return this.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin,
        'sec-fetch-site': 'same-origin',
        accept: 'text/html',
        ...headers,
      },
      body: new URLSearchParams({ _csrf: this.csrf, ...fields }).toString(),
    });
  }

  hasCookie(name: string): boolean {
    return this.cookies.has(name);
  }
}
