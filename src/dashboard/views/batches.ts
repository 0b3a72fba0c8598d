import { html } from 'hono/html';
import type { BatchRecord } from '../../batches/batch.js';
import { formatAgo, formatCount, formatTime } from '../format.js';
import { type Html, layout, type PageContext } from './layout.js';

/** Batches, newest first, with their progress (`dispatcher.batch`). */
export function batchesPage(ctx: PageContext, batches: BatchRecord[]): Html {
  const now = Date.now();
  const state = (b: BatchRecord) =>
    b.cancelledAt
      ? 'cancelled'
      : b.finishedAt
        ? b.failedJobs > 0
          ? 'finished with failures'
          : 'finished'
        : 'running';
  const body = html`<h1>Batches <span class="muted">${batches.length} newest</span></h1>
${
  batches.length === 0
    ? html`<div class="card empty">No batches. Store one with <code>dispatcher.batch([...])</code>.</div>`
    : html`<div class="table-wrap"><table id="batches"><thead><tr><th>Batch</th><th>Name</th><th>State</th><th class="num">Jobs</th>
<th class="num">Pending</th><th class="num">Failed</th><th>Progress</th><th>Created</th><th>Finished</th></tr></thead><tbody>
${batches.map(
  (
    b,
  ) => html`<tr data-batch="${b.id}"><td class="mono">${b.id}</td><td>${b.name ?? '—'}</td><td>${state(b)}</td>
<td class="num">${formatCount(b.totalJobs)}</td><td class="num">${formatCount(b.pendingJobs)}</td><td class="num">${formatCount(b.failedJobs)}</td>
<td><progress max="100" value="${b.progress}"></progress> ${b.progress}%</td>
<td title="${formatTime(b.createdAt)}">${formatAgo(b.createdAt, now)}</td><td>${b.finishedAt ? formatAgo(b.finishedAt, now) : '—'}</td></tr>`,
)}</tbody></table></div>`
}`;
  return layout(ctx, 'batches', 'Batches', body);
}
