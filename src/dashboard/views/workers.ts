import { html } from 'hono/html';
import type { WorkerInfo } from '../../drivers/contract.js';
import { formatAgo, formatCount, formatTime } from '../format.js';
import { type Html, layout, type PageContext } from './layout.js';

export function workersPage(ctx: PageContext, workers: WorkerInfo[]): Html {
  const now = Date.now();
  const slots = workers.reduce((sum, w) => sum + w.concurrency, 0);
  const hosts = new Set(workers.map((w) => w.host)).size;
  const body = html`<h1>Workers <span class="muted">${workers.length} live, ${slots} slots, on ${hosts} ${hosts === 1 ? 'host' : 'hosts'}</span></h1>
${
  workers.length === 0
    ? html`<div class="card empty">No live workers. Start one with <code>artisan queue:work</code>.</div>`
    : html`<div class="table-wrap"><table id="workers"><thead><tr><th>Worker</th><th>Host</th><th class="num">PID</th><th>Queues</th>
<th class="num">Concurrency</th><th class="num" title="Jobs held ahead: leased, not started">Held</th><th class="num">Jobs done</th><th>Started</th><th>Last heartbeat</th></tr></thead><tbody>
${workers.map(
  (
    w,
  ) => html`<tr data-worker="${w.workerId}"><td class="mono">${w.workerId}</td><td>${w.host}</td><td class="num">${w.pid}</td>
<td>${w.queues.join(', ')}</td><td class="num">${w.concurrency}</td><td class="num">${formatCount(w.held ?? 0)}</td><td class="num">${formatCount(w.jobsDone)}</td>
<td title="${formatTime(w.startedAt)}">${formatAgo(w.startedAt, now)}</td><td title="${formatTime(w.lastHeartbeatAt)}">${formatAgo(w.lastHeartbeatAt, now)}</td></tr>`,
)}</tbody></table></div>`
}`;
  return layout(ctx, 'workers', 'Workers', body);
}
