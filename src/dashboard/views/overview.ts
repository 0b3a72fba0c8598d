import { html } from 'hono/html';
import { describeLimits } from '../../flow/dispatch-flow.js';
import { barChart, onGrid, timeChart } from '../chart.js';
import type { MetricsView, Overview, QueueOverview } from '../data.js';
import { formatCount, formatDuration } from '../format.js';
import { type MetricWindow, metricsSection } from './insights.js';
import { actionForm, type Html, layout, type PageContext } from './layout.js';

function tile(kind: string, label: string, value: string): Html {
  return html`<div class="tile ${kind}" data-total="${kind}"><div class="k">${label}</div><div class="n">${value}</div></div>`;
}

function queueRow(ctx: PageContext, data: Overview, q: QueueOverview): Html {
  const queue = encodeURIComponent(q.queueName);
  const cell = (name: string, value: number, href?: string) =>
    html`<td class="num" data-count="${name}">${href && value > 0 ? html`<a href="${href}">${formatCount(value)}</a>` : formatCount(value)}</td>`;
  const pauseButton = !data.pauseSupported
    ? html`<span class="muted">—</span>`
    : q.paused
      ? actionForm(ctx, '/actions/resume', 'Resume', { fields: { queue: q.queueName }, back: '/' })
      : actionForm(ctx, '/actions/pause', 'Pause', { fields: { queue: q.queueName }, back: '/' });
  return html`<tr data-queue="${q.queueName}">
<td><a href="${ctx.base}/jobs?queue=${queue}">${q.queueName}</a>${q.paused ? html` <span class="badge paused">paused</span>` : ''}${q.limits ? html` <span class="badge limited" data-limits title="queue limits">${describeLimits(q.limits)}</span>` : ''}</td>
${cell('pending', q.pendingJobs, `${ctx.base}/jobs?queue=${queue}&status=pending`)}
${cell('processing', q.processingJobs, `${ctx.base}/jobs?queue=${queue}&status=processing`)}
${cell('retrying', q.retryingJobs, `${ctx.base}/jobs?queue=${queue}&status=retrying`)}
${cell('completed', q.completedJobs, `${ctx.base}/jobs?queue=${queue}&status=completed`)}
${cell('failed', q.failedJobs, `${ctx.base}/failed?queue=${queue}`)}
<td class="num" data-count="oldest">${formatDuration(q.oldestPendingMs)}</td>
<td class="num" data-count="workers">${q.workersCount}</td>
<td>${pauseButton}</td>
</tr>`;
}

/** Mean run time and mean wait per minute over the last hour, all queues together. */
function timeCharts(metrics: MetricsView, now: Date): Html {
  const mean = (runs: boolean) => {
    const byMinute = new Map<number, { sum: number; n: number }>();
    for (const p of metrics.timeline) {
      if ((p.series === 'wait') === runs) continue;
      const m = byMinute.get(p.minute.getTime()) ?? { sum: 0, n: 0 };
      m.sum += p.sumMs;
      m.n += p.count;
      byMinute.set(p.minute.getTime(), m);
    }
    const points = [...byMinute].map(([at, m]) => ({ at: new Date(at), value: m.n === 0 ? 0 : m.sum / m.n }));
    return onGrid(points, 60, now);
  };
  const duration = (v: number) => formatDuration(v);
  return html`<div class="charts">
${timeChart(mean(true), { title: 'Mean run time', tone: 'info', unit: '', format: duration, caption: 'per minute, last 60 min, every queue', id: 'overview-run' })}
${timeChart(mean(false), { title: 'Mean wait', tone: 'info', unit: '', format: duration, caption: 'due to start, per minute, last 60 min', id: 'overview-wait' })}
</div>`;
}

export function overviewPage(
  ctx: PageContext,
  data: Overview,
  metrics: MetricsView = { supported: false, byQueue: [], byClass: [], timeline: [] },
  window: MetricWindow = 'hour',
): Html {
  const t = data.totals;
  const body = html`<h1>Overview</h1>
<div class="tiles">
${tile('pending', 'Pending', formatCount(t.pendingJobs))}
${tile('processing', 'Processing', formatCount(t.processingJobs))}
${tile('retrying', 'Retrying', formatCount(t.retryingJobs))}
${tile('completed', 'Completed', formatCount(t.completedJobs))}
${tile('failed', 'Failed', formatCount(t.failedJobs))}
</div>
<div class="charts">
${barChart(data.throughput, { title: 'Throughput', field: 'completed', tone: 'ok' })}
${barChart(data.throughput, { title: 'Failures', field: 'failed', tone: 'bad' })}
</div>
<h2>Queues <span class="muted">oldest wait ${formatDuration(t.oldestPendingMs)} · ${data.liveWorkers} live ${data.liveWorkers === 1 ? 'worker' : 'workers'}, ${data.workerSlots} slots</span></h2>
${
  data.queues.length === 0
    ? html`<div class="card empty">No queues yet: dispatch a job and its queue appears here.</div>`
    : html`<div class="table-wrap"><table id="queues">
<thead><tr><th>Queue</th><th class="num">Pending</th><th class="num">Processing</th><th class="num">Retrying</th>
<th class="num">Completed</th><th class="num">Failed</th><th class="num">Oldest wait</th><th class="num">Workers</th><th>${data.pauseSupported ? 'Pause' : ''}</th></tr></thead>
<tbody>${data.queues.map((q) => queueRow(ctx, data, q))}</tbody>
</table></div>`
}
${data.pauseSupported ? '' : html`<p class="muted">The ${data.driver} driver cannot pause queues.</p>`}
${metricsSection(ctx, window, metrics.byQueue, metrics.byClass, metrics.supported)}
${metrics.supported ? timeCharts(metrics, data.generatedAt) : ''}`;
  return layout(ctx, 'overview', 'Overview', body);
}
