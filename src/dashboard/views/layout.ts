import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { SCRIPT, STYLES } from './assets.js';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What every page needs to draw its frame, links and forms. */
export interface PageContext {
  /** Where the dashboard is mounted ('' or '/jobs'): every link starts with it. */
  base: string;
  nonce: string;
  csrf: string;
  driverName: string;
  /** No token and no authorize function: say that it is local only. */
  localOnly: boolean;
  /** Show the sign-out button (token sessions). */
  signedIn: boolean;
  refreshSeconds: number;
  notice: string | undefined;
  /** The self-refresh asks for the <main> element only: no head, no second <style> to parse. */
  fragment: boolean;
}

export type Section = 'overview' | 'jobs' | 'failed' | 'workers' | 'batches' | 'schedules' | 'login';

/** A POST form with the CSRF token; `back` is where to return after the action. */
export function actionForm(
  ctx: PageContext,
  path: string,
  label: string,
  options: {
    fields?: Record<string, string>;
    back?: string;
    tone?: 'primary' | 'danger';
    confirm?: string;
  } = {},
): Html {
  const fields = Object.entries(options.fields ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  return html`<form class="inline" method="post" action="${ctx.base}${path}"${options.confirm ? html` data-confirm="${options.confirm}"` : ''}>
<input type="hidden" name="_csrf" value="${ctx.csrf}">${fields}${options.back ? html`<input type="hidden" name="back" value="${options.back}">` : ''}
<button type="submit"${options.tone ? html` class="${options.tone}"` : ''}>${label}</button></form>`;
}

export function layout(ctx: PageContext, section: Section, title: string, body: Html): Html {
  const main = html`<main>
${ctx.notice ? html`<div class="notice" role="status">${ctx.notice}</div>` : ''}
${body}
</main>`;
  if (ctx.fragment) return main;
  const link = (target: Section, path: string, label: string) =>
    html`<a href="${ctx.base}${path}"${section === target ? html` class="active" aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${title} · jobwright</title>
<style nonce="${ctx.nonce}">${raw(STYLES)}</style>
</head>
<body data-refresh="${section === 'login' ? 0 : ctx.refreshSeconds}" data-events="${ctx.base}/events">
<header class="top">
  <span class="brand">jobwright</span>
  ${
    section === 'login'
      ? ''
      : html`<nav>${link('overview', '/', 'Overview')}${link('jobs', '/jobs', 'Jobs')}${link('failed', '/failed', 'Failed')}${link('workers', '/workers', 'Workers')}${link('batches', '/batches', 'Batches')}${link('schedules', '/schedules', 'Schedules')}</nav>`
  }
  <span class="meta">
    <span>driver: ${ctx.driverName}</span>
    ${ctx.refreshSeconds > 0 && section !== 'login' ? html`<span id="live-state" title="Updates arrive as server-sent events when something changes">live</span>` : ''}
    ${ctx.localOnly ? html`<span title="No token configured: only this machine can open it">local only</span>` : ''}
    ${ctx.signedIn ? actionForm(ctx, '/logout', 'Sign out') : ''}
  </span>
</header>
${main}
<script nonce="${ctx.nonce}">${raw(SCRIPT)}</script>
</body>
</html>`;
}

export function statusBadge(status: string): Html {
  return html`<span class="badge ${status}">${status}</span>`;
}
