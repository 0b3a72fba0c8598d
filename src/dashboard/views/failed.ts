import { html } from 'hono/html';
import type { ErrorGroup } from '../../insights/error-groups.js';
import type { JobRecord } from '../../job.js';
import type { JobList } from '../data.js';
import { formatAgo, formatCount, formatTime, splitError } from '../format.js';
import type { ListQuery } from '../params.js';
import { errorGroupsSection, expandable } from './insights.js';
import { listHref, pager } from './jobs.js';
import { actionForm, type Html, layout, type PageContext } from './layout.js';

function failedRow(ctx: PageContext, job: JobRecord, back: string, now: number): Html {
  const message = splitError(job.errorMessage).message;
  const full = job.errorMessage ?? '';
  return html`<tr data-job="${job.id}">
<td class="mono"><a href="${ctx.base}/jobs/${encodeURIComponent(job.id)}">${job.id}</a></td>
<td>${job.jobName}</td>
<td>${job.queueName}</td>
<td class="num">${job.attempts}/${job.maxAttempts}</td>
<td class="nowrap" title="${formatTime(job.failedAt)}">${formatAgo(job.failedAt, now)}</td>
<td class="mono error-cell">${expandable(message, full)}</td>
<td><div class="actions">${actionForm(ctx, `/actions/retry/${encodeURIComponent(job.id)}`, 'Retry', { back })}
${actionForm(ctx, `/actions/delete/${encodeURIComponent(job.id)}`, 'Delete', { back, tone: 'danger', confirm: `Delete failed job ${job.id}? This cannot be undone.` })}</div></td>
</tr>`;
}

/** Failed jobs with retry and delete per job, and retry-all / clear-all per queue. */
export function failedPage(
  ctx: PageContext,
  query: ListQuery,
  list: JobList,
  queues: Array<{ queueName: string; failedJobs: number }>,
  grouped: { groups: ErrorGroup[]; scanned: number; total: number } = { groups: [], scanned: 0, total: 0 },
): Html {
  const back = listHref(ctx, '/failed', query, {}).slice(ctx.base.length) || '/failed';
  const queueActions = (queue: string | undefined, count: number) => {
    const fields: Record<string, string> = queue ? { queue } : {};
    const scope = queue ? `queue ${queue}` : 'every queue';
    return html`<div class="actions">
${actionForm(ctx, '/actions/retry-all', `Retry all ${formatCount(count)}`, { fields, back, tone: 'primary', confirm: `Retry all ${count} failed jobs of ${scope}?` })}
${actionForm(ctx, '/actions/clear-failed', `Clear all ${formatCount(count)}`, { fields, back, tone: 'danger', confirm: `Delete all ${count} failed jobs of ${scope}? This cannot be undone.` })}
</div>`;
  };
  const total = queues.reduce((sum, q) => sum + q.failedJobs, 0);
  const now = Date.now();
  const body = html`<h1>Failed jobs</h1>
${
  queues.length === 0
    ? ''
    : html`<div class="table-wrap"><table id="failed-queues"><thead><tr><th>Queue</th><th class="num">Failed</th><th>Actions</th></tr></thead><tbody>
${queues.map(
  (
    q,
  ) => html`<tr data-queue="${q.queueName}"><td><a href="${ctx.base}/failed?queue=${encodeURIComponent(q.queueName)}">${q.queueName}</a></td>
<td class="num">${formatCount(q.failedJobs)}</td><td>${queueActions(q.queueName, q.failedJobs)}</td></tr>`,
)}
${queues.length > 1 ? html`<tr><td><strong>All queues</strong></td><td class="num">${formatCount(total)}</td><td>${queueActions(undefined, total)}</td></tr>` : ''}
</tbody></table></div>`
}
<form class="filters" method="get" action="${ctx.base}/failed" role="search">
${query.queue ? html`<input type="hidden" name="queue" value="${query.queue}">` : ''}
<input type="search" name="q" value="${query.search ?? ''}" placeholder="Error text, id, job name or payload" maxlength="200" aria-label="Search failed jobs">
<button type="submit" class="primary">Search</button>
${query.search ? html`<a href="${listHref(ctx, '/failed', query, { search: undefined, page: 1 })}">clear search</a>` : ''}
</form>
${query.queue ? html`<p>Showing queue <strong>${query.queue}</strong> · <a href="${ctx.base}/failed">all queues</a></p>` : ''}
${errorGroupsSection(ctx, grouped.groups, { queue: query.queue, search: query.search }, back, grouped.scanned, grouped.total)}
${grouped.groups.length > 0 ? html`<h2>Failed jobs</h2>` : ''}
${
  list.jobs.length === 0
    ? html`<div class="card empty">No failed jobs${query.queue ? html` on ${query.queue}` : ''}${query.search ? html` match “${query.search}”` : ''}.</div>`
    : html`<div class="table-wrap"><table id="failed"><thead><tr><th>Id</th><th>Job</th><th>Queue</th><th class="num">Attempts</th><th>Failed</th><th>Error</th><th></th></tr></thead>
<tbody>${list.jobs.map((job) => failedRow(ctx, job, back, now))}</tbody></table></div>`
}
${pager(ctx, '/failed', query, list)}
`;
  return layout(ctx, 'failed', 'Failed jobs', body);
}
