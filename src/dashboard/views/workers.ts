import { html } from 'hono/html';
import type { WorkerWithJobs } from '../data.js';
import { formatAgo, formatCount, formatDuration, formatTime } from '../format.js';
import { classHref } from './insights.js';
import { type Html, layout, type PageContext } from './layout.js';

/** The jobs one worker runs now (with how long each has run), and how many it holds ahead. */
function currentJobs(ctx: PageContext, w: WorkerWithJobs, now: number): Html {
  const running = w.running.filter((j) => j.startedAt !== null);
  if (running.length === 0) return html`<span class="muted">idle</span>`;
  const shown = running.slice(0, 8);
  return html`<ul class="current">${shown.map(
    (j) =>
      html`<li data-running="${j.id}"><a class="mono" href="${ctx.base}/jobs/${encodeURIComponent(j.id)}">${j.id.slice(-8)}</a> <a href="${classHref(ctx, j.jobName)}">${j.jobName}</a> <span class="muted">${j.queueName} · attempt ${j.attempts}</span> <span class="runtime" data-started="${j.startedAt!.getTime()}" title="started ${formatTime(j.startedAt)}">${formatDuration(now - j.startedAt!.getTime())}</span></li>`,
  )}${running.length > shown.length ? html`<li class="muted">and ${running.length - shown.length} more</li>` : ''}</ul>`;
}

export function workersPage(ctx: PageContext, workers: WorkerWithJobs[]): Html {
  const now = Date.now();
  const slots = workers.reduce((sum, w) => sum + w.concurrency, 0);
  const hosts = new Set(workers.map((w) => w.host)).size;
  const busy = workers.reduce((sum, w) => sum + w.running.filter((j) => j.startedAt !== null).length, 0);
  const stale = workers.filter((w) => w.stale).length;
  const body = html`<h1>Workers <span class="muted">${workers.length} live, ${slots} slots, ${busy} running, on ${hosts} ${hosts === 1 ? 'host' : 'hosts'}</span></h1>
${stale > 0 ? html`<div class="warning" role="status">${stale} ${stale === 1 ? 'worker has' : 'workers have'} missed heartbeats: frozen, overloaded or cut off. Their jobs go back to the queue once their lease runs out.</div>` : ''}
${
  workers.length === 0
    ? html`<div class="card empty">No live workers. Start one with <code>artisan queue:work</code>.</div>`
    : html`<div class="table-wrap"><table id="workers"><thead><tr><th>Worker</th><th>Host · PID</th><th>Queues</th>
<th class="num">Slots</th><th>Running now</th><th class="num" title="Jobs held ahead: leased, not started">Held</th><th class="num">Jobs done</th><th>Last heartbeat</th></tr></thead><tbody>
${workers.map(
  (
    w,
  ) => html`<tr data-worker="${w.workerId}"${w.stale ? html` class="stale" data-stale="1"` : ''}><td class="mono" title="started ${formatTime(w.startedAt)} (${formatAgo(w.startedAt, now)})">${w.workerId}${w.stale ? html` <span class="badge failed" title="No heartbeat for ${formatDuration(now - w.lastHeartbeatAt.getTime())}">stale</span>` : ''}</td><td class="nowrap">${w.host} · ${w.pid}</td>
<td>${w.queues.join(', ')}</td><td class="num">${w.concurrency}</td><td data-current>${currentJobs(ctx, w, now)}</td><td class="num">${formatCount(w.held ?? 0)}</td><td class="num">${formatCount(w.jobsDone)}</td>
<td class="nowrap" title="${formatTime(w.lastHeartbeatAt)}">${formatAgo(w.lastHeartbeatAt, now)}</td></tr>`,
)}</tbody></table></div>`
}`;
  return layout(ctx, 'workers', 'Workers', body);
}
