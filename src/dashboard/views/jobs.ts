import { html } from 'hono/html';
import { JOB_STATUSES } from '../../drivers/contract.js';
import type { JobRecord } from '../../job.js';
import type { JobDetail, JobList } from '../data.js';
import {
  formatAgo,
  formatCount,
  formatDuration,
  formatTime,
  payloadPreview,
  prettyPayload,
  splitError,
} from '../format.js';
import { type ListQuery, PAGE_SIZES } from '../params.js';
import { attemptsSection, classHref } from './insights.js';
import { actionForm, type Html, layout, type PageContext, statusBadge } from './layout.js';

/** The list URL for a query, with one part changed; only known, whitelisted parameters go in. */
export function listHref(
  ctx: PageContext,
  path: string,
  query: ListQuery,
  change: Partial<ListQuery>,
): string {
  const q = { ...query, ...change };
  const params = new URLSearchParams();
  if (q.queue) params.set('queue', q.queue);
  if (q.status) params.set('status', q.status);
  if (q.search) params.set('q', q.search);
  if (q.order !== 'newest') params.set('order', q.order);
  if (q.limit !== 25) params.set('limit', String(q.limit));
  if (q.page > 1) params.set('page', String(q.page));
  const text = params.toString();
  return `${ctx.base}${path}${text ? `?${text}` : ''}`;
}

export function pager(ctx: PageContext, path: string, query: ListQuery, list: JobList): Html {
  const first = list.total === 0 ? 0 : list.offset + 1;
  const last = Math.min(list.total, list.offset + list.jobs.length);
  return html`<div class="pager">
<span>${formatCount(first)}–${formatCount(last)} of ${formatCount(list.total)}</span>
${query.page > 1 ? html`<a class="button" rel="prev" href="${listHref(ctx, path, query, { page: query.page - 1 })}">← Newer</a>` : ''}
${query.page < list.pages ? html`<a class="button" rel="next" href="${listHref(ctx, path, query, { page: query.page + 1 })}">Older →</a>` : ''}
</div>`;
}

export function jobRows(ctx: PageContext, jobs: JobRecord[], extra?: (job: JobRecord) => Html): Html {
  const now = Date.now();
  return html`${jobs.map(
    (job) => html`<tr data-job="${job.id}">
<td class="mono"><a href="${ctx.base}/jobs/${encodeURIComponent(job.id)}">${job.id}</a></td>
<td>${job.jobName}</td>
<td>${job.queueName}</td>
<td>${statusBadge(job.status)}</td>
<td class="num">${job.attempts}/${job.maxAttempts}</td>
<td class="mono truncate">${payloadPreview(job.payload)}</td>
<td class="nowrap" title="${formatTime(job.createdAt)}">${formatAgo(job.createdAt, now)}</td>
${extra ? html`<td>${extra(job)}</td>` : ''}
</tr>`,
  )}`;
}

export function jobsPage(ctx: PageContext, query: ListQuery, list: JobList, queues: string[]): Html {
  const tab = (status: ListQuery['status'], label: string) =>
    html`<a href="${listHref(ctx, '/jobs', query, { status, page: 1 })}"${query.status === status ? html` class="active"` : ''}>${label}</a>`;
  const body = html`<h1>Jobs</h1>
<nav class="tabs" aria-label="Status">${tab(undefined, 'All')}${JOB_STATUSES.map((s) => tab(s, s))}</nav>
<form class="filters" method="get" action="${ctx.base}/jobs" role="search">
${query.status ? html`<input type="hidden" name="status" value="${query.status}">` : ''}
<input type="search" name="q" value="${query.search ?? ''}" placeholder="Id, job name, payload or error text" maxlength="200" aria-label="Search">
<select name="queue" aria-label="Queue"><option value="">All queues</option>${queues.map(
    (name) => html`<option value="${name}"${query.queue === name ? ' selected' : ''}>${name}</option>`,
  )}</select>
<select name="order" aria-label="Order"><option value="newest">Newest first</option><option value="oldest"${query.order === 'oldest' ? ' selected' : ''}>Oldest first</option></select>
<select name="limit" aria-label="Per page">${PAGE_SIZES.map(
    (n) => html`<option value="${n}"${query.limit === n ? ' selected' : ''}>${n} per page</option>`,
  )}</select>
<button type="submit" class="primary">Search</button>
</form>
${
  list.jobs.length === 0
    ? html`<div class="card empty">No jobs match.</div>`
    : html`<div class="table-wrap"><table id="jobs">
<thead><tr><th>Id</th><th>Job</th><th>Queue</th><th>Status</th><th class="num">Attempts</th><th>Payload</th><th>Created</th></tr></thead>
<tbody>${jobRows(ctx, list.jobs)}</tbody></table></div>`
}
${pager(ctx, '/jobs', query, list)}`;
  return layout(ctx, 'jobs', 'Jobs', body);
}

export function jobPage(ctx: PageContext, detail: JobDetail): Html {
  const { job, activity } = detail;
  const error = splitError(job.errorMessage);
  const now = Date.now();
  const when = (label: string, date: Date | null) =>
    html`<dt>${label}</dt><dd>${formatTime(date)}${date ? html` <span class="muted">(${formatAgo(date, now)})</span>` : ''}</dd>`;
  const back = `/jobs/${encodeURIComponent(job.id)}`;
  const body = html`<h1><a href="${classHref(ctx, job.jobName)}" class="class-link">${job.jobName}</a> <span class="muted mono">${job.id}</span></h1>
<div class="card">
<dl class="facts">
<dt>Status</dt><dd id="job-status" data-status="${job.status}">${statusBadge(job.status)}</dd>
<dt>Queue</dt><dd><a href="${ctx.base}/jobs?queue=${encodeURIComponent(job.queueName)}">${job.queueName}</a></dd>
<dt>Attempts</dt><dd>${job.attempts} of ${job.maxAttempts}</dd>
<dt>Priority</dt><dd>${job.priority}</dd>
<dt>Timeout</dt><dd>${job.timeoutSeconds === null ? 'none' : `${job.timeoutSeconds} s`}</dd>
${when('Created', job.createdAt)}
${when('Available at', job.availableAt)}
${when('Last attempt started', job.reservedAt)}
${
  job.status === 'processing' && job.reservedAt
    ? html`<dt>Running for</dt><dd id="job-running"><span class="runtime" data-started="${job.reservedAt.getTime()}">${formatDuration(now - job.reservedAt.getTime())}</span></dd>`
    : ''
}
${when('Processed at', job.processedAt)}
${when('Failed at', job.failedAt)}
${when('Updated', job.updatedAt)}
</dl>
${
  job.status === 'failed'
    ? html`<div class="actions" id="job-actions">${actionForm(ctx, `/actions/retry/${encodeURIComponent(job.id)}`, 'Retry', { back, tone: 'primary' })}
${actionForm(ctx, `/actions/delete/${encodeURIComponent(job.id)}`, 'Delete', { back: '/failed', tone: 'danger', confirm: `Delete failed job ${job.id}? This cannot be undone.` })}</div>`
    : ''
}
</div>
${
  job.progress !== null && job.progress !== undefined
    ? html`<h2>Progress</h2>${typeof job.progress === 'number' ? html`<p id="progress"><progress max="100" value="${job.progress}"></progress> ${job.progress}%</p>` : html`<pre id="progress">${JSON.stringify(job.progress, null, 2)}</pre>`}`
    : ''
}
<h2>Payload</h2>
<pre id="payload">${prettyPayload(job.payload)}</pre>
${job.result !== null && job.result !== undefined ? html`<h2>Result</h2><pre id="result">${JSON.stringify(job.result, null, 2)}</pre>` : ''}
${
  job.errorMessage
    ? html`<h2>Error</h2><p id="error-message" class="mono">${error.message}</p>${error.stack ? html`<pre class="error" id="error-stack">${error.stack}</pre>` : ''}`
    : ''
}
${attemptsSection(detail.attempts, detail.attemptsSupported)}
<h2>Activity</h2>
${
  activity.length === 0
    ? html`<div class="card empty">No activity logged for this job (only ActivityLoggedJob jobs log it; every attempt is listed above).</div>`
    : html`<div class="table-wrap"><table id="activity"><thead><tr><th>When</th><th>Event</th><th class="num">Attempt</th><th class="num">Duration</th><th>Caused by</th><th>Properties</th><th>Error</th></tr></thead><tbody>
${activity.map(
  (
    a,
  ) => html`<tr><td title="${formatTime(a.createdAt)}">${formatAgo(a.createdAt, now)}</td><td>${a.event}</td><td class="num">${a.attempt}</td>
<td class="num">${formatDuration(a.durationMs)}</td><td>${a.causer ?? '—'}</td><td class="mono truncate">${a.properties}</td><td class="mono truncate">${a.error ?? ''}</td></tr>`,
)}</tbody></table></div>`
}`;
  return layout(ctx, 'jobs', `${job.jobName} ${job.id}`, body);
}
