import { html } from 'hono/html';
import type { ScheduleInfo } from '../../schedules/schedule-info.js';
import { formatAgo, formatTime } from '../format.js';
import { type Html, layout, type PageContext } from './layout.js';

/** Stored schedules (`dispatcher.schedule`, `schedules` in the config) with their last and next tick. */
export function schedulesPage(ctx: PageContext, schedules: ScheduleInfo[]): Html {
  const now = Date.now();
  const when = (at: Date | null, empty: string) =>
    at
      ? html`<span title="${formatTime(at)}">${formatTime(at)} <span class="muted">(${formatAgo(at, now)})</span></span>`
      : empty;
  const body = html`<h1>Schedules <span class="muted">${schedules.length}</span></h1>
${
  schedules.length === 0
    ? html`<div class="card empty">No schedules. Store one with <code>dispatcher.schedule(name, cron, job)</code> or <code>schedules</code> in jobwright.config.ts, and run <code>artisan schedule:work</code>.</div>`
    : html`<div class="table-wrap"><table id="schedules"><thead><tr><th>Name</th><th>Cron</th><th>Time zone</th><th>Job</th><th>Queue</th>
<th>Missed ticks</th><th>Last tick</th><th>Next tick</th></tr></thead><tbody>
${schedules.map(
  (
    s,
  ) => html`<tr data-schedule="${s.name}"><td>${s.name}</td><td class="mono">${s.cron}</td><td>${s.timezone ?? 'UTC'}</td>
<td><a href="${ctx.base}/classes/${encodeURIComponent(s.jobName)}">${s.jobName}</a></td><td>${s.queueName}</td>
<td>${s.catchUp ? 'one catch-up run' : 'skipped'}</td><td>${when(s.lastTick, '—')}</td><td>${when(s.nextTick, 'never again')}</td></tr>`,
)}</tbody></table></div>`
}`;
  return layout(ctx, 'schedules', 'Schedules', body);
}
