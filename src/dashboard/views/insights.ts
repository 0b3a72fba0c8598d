import { html } from 'hono/html';
import type { AttemptRecord, ClassMetrics, DurationSummary } from '../../drivers/insights.js';
import type { ErrorGroup } from '../../insights/error-groups.js';
import type { ClassInsight } from '../../insights/reader.js';
import { onGrid, timeChart } from '../chart.js';
import { formatAgo, formatCount, formatDuration, formatTime, splitError } from '../format.js';
import { jobRows } from './jobs.js';
import { actionForm, type Html, layout, type PageContext } from './layout.js';

/** Attempt history, per-queue and per-class metrics, error groups and the job class page. */

export type MetricWindow = 'hour' | 'day';

export const WINDOW_MINUTES: Record<MetricWindow, number> = { hour: 60, day: 24 * 60 };

export function classHref(ctx: PageContext, jobName: string): string {
  return `${ctx.base}/classes/${encodeURIComponent(jobName)}`;
}

function percent(rate: number | null): string {
  if (rate === null) return '—';
  const p = rate * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)} %`;
}

function durations(name: string, d: DurationSummary): Html {
  return html`<td class="num" data-metric="${name}-p50">${formatDuration(d.p50Ms)}</td><td class="num" data-metric="${name}-p95">${formatDuration(d.p95Ms)}</td><td class="num" data-metric="${name}-max">${formatDuration(d.maxMs)}</td>`;
}

const METRIC_HEAD = html`<th class="num" title="Completed jobs per minute">Per min</th><th class="num">Completed</th><th class="num" title="Failed for good, and retried attempts">Failed / retried</th><th class="num" title="Failed and retried attempts over all ended attempts">Failure rate</th>
<th class="num" title="From due to start">Wait p50</th><th class="num">Wait p95</th><th class="num">Wait max</th><th class="num">Run p50</th><th class="num">Run p95</th><th class="num">Run max</th>`;

function metricCells(m: ClassMetrics): Html {
  const perMinute =
    m.perMinute >= 10 ? Math.round(m.perMinute).toLocaleString('en-US') : m.perMinute.toFixed(1);
  return html`<td class="num" data-metric="per-minute">${perMinute}</td><td class="num" data-metric="completed">${formatCount(m.completed)}</td>
<td class="num" data-metric="failed">${formatCount(m.failed)} / ${formatCount(m.retried)}</td><td class="num" data-metric="failure-rate">${percent(m.failureRate)}</td>
${durations('wait', m.wait)}${durations('run', m.run)}`;
}

/** The overview's metric tables: each queue and each job class over the last hour or day. */
export function metricsSection(
  ctx: PageContext,
  window: MetricWindow,
  byQueue: ClassMetrics[],
  byClass: ClassMetrics[],
  supported: boolean,
): Html {
  const tab = (w: MetricWindow, label: string) =>
    html`<a href="${ctx.base}/?window=${w}"${window === w ? html` class="active" aria-current="true"` : ''}>${label}</a>`;
  if (!supported) {
    return html`<h2>Metrics</h2><div class="card empty">This store does not record metrics.</div>`;
  }
  return html`<h2 id="metrics">Metrics <span class="muted">wait and run times, failures</span></h2>
<nav class="tabs" aria-label="Window">${tab('hour', 'Last hour')}${tab('day', 'Last day')}</nav>
${
  byQueue.length === 0
    ? html`<div class="card empty">No attempt has ended in the last ${window}.</div>`
    : html`<div class="table-wrap"><table id="queue-metrics"><thead><tr><th>Queue</th>${METRIC_HEAD}</tr></thead><tbody>
${byQueue.map((m) => html`<tr data-queue="${m.queueName ?? ''}"><td><a href="${ctx.base}/jobs?queue=${encodeURIComponent(m.queueName ?? '')}">${m.queueName}</a></td>${metricCells(m)}</tr>`)}
</tbody></table></div>
<div class="table-wrap"><table id="class-metrics"><thead><tr><th>Job class</th>${METRIC_HEAD}</tr></thead><tbody>
${byClass.map((m) => html`<tr data-class="${m.jobName ?? ''}"><td><a href="${classHref(ctx, m.jobName ?? '')}">${m.jobName}</a></td>${metricCells(m)}</tr>`)}
</tbody></table></div>`
}`;
}

/** Every recorded attempt of a job, newest first, with its error expandable. */
export function attemptsSection(attempts: AttemptRecord[], supported: boolean): Html {
  return html`<h2>Attempts</h2>
${
  attempts.length === 0
    ? html`<div class="card empty" id="attempts-empty">${supported ? 'No attempt has ended yet (or history is off: JOBWRIGHT_HISTORY).' : 'This store does not record attempts.'}</div>`
    : html`<div class="table-wrap"><table id="attempts"><thead><tr><th class="num">#</th><th>Started</th><th>Worker</th><th class="num">Waited</th><th class="num">Ran</th><th>Outcome</th><th>Error</th></tr></thead><tbody>
${attempts.map((a) => {
  const error = splitError(a.error);
  return html`<tr data-attempt="${a.attempt}" data-outcome="${a.outcome}"><td class="num">${a.attempt}</td>
<td class="nowrap" title="${formatTime(a.startedAt)}">${formatTime(a.startedAt)}</td><td class="mono nowrap">${a.workerId ?? '—'}</td>
<td class="num nowrap">${formatDuration(a.waitMs)}</td><td class="num nowrap" data-ran>${formatDuration(a.durationMs)}</td>
<td><span class="badge ${a.outcome === 'completed' ? 'completed' : a.outcome === 'failed' ? 'failed' : 'retrying'}">${a.outcome}</span></td>
<td class="mono">${a.error ? expandable(error.message, a.error) : ''}</td></tr>`;
})}</tbody></table></div>`
}`;
}

/** A one-line message that opens to the full text (stack included). */
export function expandable(summary: string, full: string): Html {
  if (summary === full) return html`<span class="msg" title="${full}">${summary}</span>`;
  return html`<details class="msg"><summary title="${full}">${summary}</summary><pre class="error">${full}</pre></details>`;
}

/** The failed list's groups: one row per masked message, with the group's actions. */
export function errorGroupsSection(
  ctx: PageContext,
  groups: ErrorGroup[],
  filter: { queue?: string; search?: string },
  back: string,
  scanned: number,
  total: number,
): Html {
  if (groups.length === 0) return html``;
  const now = Date.now();
  const fields = (fingerprint: string): Record<string, string> => ({
    group: fingerprint,
    ...(filter.queue ? { queue: filter.queue } : {}),
    ...(filter.search ? { q: filter.search } : {}),
  });
  return html`<h2>Errors <span class="muted">${groups.length} ${groups.length === 1 ? 'kind' : 'kinds'} of failure${scanned < total ? html` among the newest ${formatCount(scanned)} of ${formatCount(total)}` : ''}</span></h2>
<div class="table-wrap"><table id="error-groups"><thead><tr><th>Error</th><th class="num">Jobs</th><th>Classes</th><th>First seen</th><th>Last seen</th><th></th></tr></thead><tbody>
${groups.map(
  (
    g,
  ) => html`<tr data-group="${g.fingerprint}"><td class="mono group-error">${expandable(g.pattern, g.sample)}</td>
<td class="num" data-group-count>${formatCount(g.count)}</td>
<td>${g.jobNames.map((n, i) => html`${i > 0 ? ', ' : ''}<a href="${classHref(ctx, n)}">${n}</a>`)}</td>
<td class="nowrap" title="${formatTime(g.firstSeen)}">${formatAgo(g.firstSeen, now)}</td>
<td class="nowrap" title="${formatTime(g.lastSeen)}">${formatAgo(g.lastSeen, now)}</td>
<td><div class="actions">${actionForm(ctx, '/actions/retry-group', `Retry ${formatCount(g.count)}`, { fields: fields(g.fingerprint), back, tone: 'primary', confirm: `Retry the ${g.count} failed jobs of this error?` })}
${actionForm(ctx, '/actions/delete-group', `Delete ${formatCount(g.count)}`, { fields: fields(g.fingerprint), back, tone: 'danger', confirm: `Delete the ${g.count} failed jobs of this error? This cannot be undone.` })}</div></td></tr>`,
)}
</tbody></table></div>`;
}

function summaryTiles(label: string, m: ClassMetrics | null): Html {
  const tile = (k: string, v: string, name: string) =>
    html`<div class="tile" data-tile="${name}"><div class="k">${k}</div><div class="n">${v}</div></div>`;
  return html`<h2>${label}</h2><div class="tiles">
${tile('Completed', formatCount(m?.completed ?? 0), 'completed')}
${tile('Failure rate', percent(m?.failureRate ?? null), 'failure-rate')}
${tile('Run p50 / p95', m ? `${formatDuration(m.run.p50Ms)} / ${formatDuration(m.run.p95Ms)}` : '—', 'run')}
${tile('Run max', formatDuration(m?.run.maxMs), 'run-max')}
${tile('Wait p95', formatDuration(m?.wait.p95Ms), 'wait')}
</div>`;
}

/** One job class: its numbers over the hour and day, per-minute charts, recent and slowest jobs. */
export function classPage(ctx: PageContext, insight: ClassInsight, now: Date): Html {
  const perMinute = (series: string[]) =>
    onGrid(
      insight.timeline
        .filter((p) => series.includes(p.series))
        .map((p) => ({ at: p.minute, value: p.count })),
      60,
      now,
    );
  const meanRun = onGrid(
    (() => {
      const byMinute = new Map<number, { sum: number; n: number }>();
      for (const p of insight.timeline) {
        if (p.series === 'wait') continue;
        const m = byMinute.get(p.minute.getTime()) ?? { sum: 0, n: 0 };
        m.sum += p.sumMs;
        m.n += p.count;
        byMinute.set(p.minute.getTime(), m);
      }
      return [...byMinute].map(([at, m]) => ({ at: new Date(at), value: m.n === 0 ? 0 : m.sum / m.n }));
    })(),
    60,
    now,
  );
  const body = html`<h1>${insight.jobName} <span class="muted">job class</span></h1>
${summaryTiles('Last hour', insight.hour)}
${summaryTiles('Last day', insight.day)}
<div class="charts">
${timeChart(perMinute(['completed']), { title: 'Completed', tone: 'ok', unit: 'completed', id: 'class-completed' })}
${timeChart(perMinute(['failed', 'retried']), { title: 'Failed and retried', tone: 'bad', unit: 'failed or retried', id: 'class-failed' })}
${timeChart(meanRun, { title: 'Mean run time', tone: 'info', unit: '', format: (v) => formatDuration(v), caption: 'per minute, last 60 min', id: 'class-run' })}
</div>
<h2>Slowest recent runs</h2>
${
  insight.slowest.length === 0
    ? html`<div class="card empty">No finished run among the recent jobs.</div>`
    : html`<div class="table-wrap"><table id="slowest"><thead><tr><th>Id</th><th>Queue</th><th>Status</th><th class="num">Attempts</th><th>Last started</th><th class="num">Ran</th></tr></thead><tbody>
${insight.slowest.map(
  (
    r,
  ) => html`<tr data-job="${r.id}"><td class="mono"><a href="${ctx.base}/jobs/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${r.queueName}</td>
<td><span class="badge ${r.status}">${r.status}</span></td><td class="num">${r.attempts}</td><td class="nowrap">${formatTime(r.startedAt)}</td><td class="num">${formatDuration(r.durationMs)}</td></tr>`,
)}</tbody></table></div>`
}
<h2>Recent jobs</h2>
${
  insight.recent.length === 0
    ? html`<div class="card empty">No stored job of this class.</div>`
    : html`<div class="table-wrap"><table id="recent"><thead><tr><th>Id</th><th>Job</th><th>Queue</th><th>Status</th><th class="num">Attempts</th><th>Payload</th><th>Created</th></tr></thead>
<tbody>${jobRows(ctx, insight.recent)}</tbody></table></div>`
}`;
  return layout(ctx, 'overview', `${insight.jobName} (job class)`, body);
}
