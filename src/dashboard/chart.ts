import { html } from 'hono/html';
import type { ThroughputBucket } from '../drivers/contract.js';

/**
 * Bar charts over time as inline SVG, drawn on the server: no chart library, no script, and the
 * CSP stays strict. The time axis is labelled every 10 minutes (every 3 hours on hourly bars);
 * each bar's slot carries a <title> (the hover value) and highlights under the pointer.
 */

export interface ChartOptions {
  title: string;
  /** 'completed' or 'failed' count of each bucket. */
  field: 'completed' | 'failed';
  /** CSS class giving the bar colour. */
  tone: 'ok' | 'bad';
}

export interface TimePoint {
  at: Date;
  value: number;
}

export interface TimeChartOptions {
  title: string;
  tone: 'ok' | 'bad' | 'info';
  /** What one value is, for the hover text: 'completed', 'ms'... */
  unit: string;
  /** Bar width in time: one minute (default) or one hour. */
  stepMs?: number;
  /** The caption after the title; default "per minute, last N min — T in all". */
  caption?: string;
  /** How a value reads in hover text and on the axis (default: a whole number). */
  format?: (value: number) => string;
  /** An id for the figure, for links and tests. */
  id?: string;
}

const WIDTH = 600;
const HEIGHT = 160;
const LEFT = 44;
const BOTTOM = 22;
const TOP = 8;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** A round upper bound for the axis, so the label reads well (1, 2, 5, 10, 20, 50...). */
function niceMax(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

const hhmm = (date: Date) => date.toISOString().slice(11, 16);
const whole = (value: number) => Math.round(value).toLocaleString('en-US');

/** The throughput chart of the overview: completed or failed jobs per minute. */
export function barChart(buckets: ThroughputBucket[], options: ChartOptions) {
  const total = buckets.reduce((sum, b) => sum + b[options.field], 0);
  return timeChart(
    buckets.map((b) => ({ at: b.minute, value: b[options.field] })),
    {
      title: options.title,
      tone: options.tone,
      unit: options.field,
      caption: `per minute, last ${buckets.length} min — ${total.toLocaleString('en-US')} in all`,
    },
  );
}

export function timeChart(points: TimePoint[], options: TimeChartOptions) {
  const step = options.stepMs ?? MINUTE_MS;
  const format = options.format ?? whole;
  const values = points.map((p) => p.value);
  const total = values.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(0, ...values));
  const plotWidth = WIDTH - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = points.length > 0 ? plotWidth / points.length : plotWidth;
  const barWidth = Math.max(1, slot - (slot > 4 ? 1.5 : 0.5));
  const base = TOP + plotHeight;
  // Labels every 10 minutes on minute bars, every 3 hours on hour bars: on whole clock times.
  const labelEvery = step >= HOUR_MS ? 3 * HOUR_MS : 10 * MINUTE_MS;
  const slots = points.map((point, i) => {
    const h = point.value === 0 ? 0 : Math.max(1.5, (point.value / max) * plotHeight);
    const x = LEFT + i * slot;
    const when =
      step >= HOUR_MS ? `${point.at.toISOString().slice(5, 10)} ${hhmm(point.at)}` : hhmm(point.at);
    return html`<g class="slot"><rect class="hit" x="${x.toFixed(1)}" y="${TOP}" width="${slot.toFixed(1)}" height="${plotHeight}"></rect><rect class="bar ${options.tone}" x="${x.toFixed(1)}" y="${(base - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"></rect><title>${when} UTC: ${format(point.value)} ${options.unit}</title></g>`;
  });
  const ticks = points.flatMap((point, i) => {
    if (point.at.getTime() % labelEvery !== 0) return [];
    const x = LEFT + i * slot;
    return [
      html`<line class="tick" x1="${x.toFixed(1)}" y1="${base}" x2="${x.toFixed(1)}" y2="${base + 4}"></line><text class="label x" x="${x.toFixed(1)}" y="${HEIGHT - 4}" text-anchor="middle">${hhmm(point.at)}</text>`,
    ];
  });
  const mid = TOP + plotHeight / 2;
  const span = points.length * step;
  const caption =
    options.caption ??
    `per ${step >= HOUR_MS ? 'hour' : 'minute'}, last ${step >= HOUR_MS ? `${span / HOUR_MS} h` : `${span / MINUTE_MS} min`} — ${format(total)} in all`;
  return html`<figure class="chart"${options.id ? html` id="${options.id}"` : ''}>
  <figcaption>${options.title} <span class="muted">${caption}</span></figcaption>
  <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${options.title}: ${format(total)} ${options.unit} in the last ${points.length} ${step >= HOUR_MS ? 'hours' : 'minutes'}">
    <line class="grid" x1="${LEFT}" y1="${TOP}" x2="${WIDTH - 4}" y2="${TOP}"></line>
    <line class="grid" x1="${LEFT}" y1="${mid.toFixed(1)}" x2="${WIDTH - 4}" y2="${mid.toFixed(1)}"></line>
    <line class="axis" x1="${LEFT}" y1="${base}" x2="${WIDTH - 4}" y2="${base}"></line>
    <text class="label" x="${LEFT - 6}" y="${TOP + 4}" text-anchor="end">${format(max)}</text>
    <text class="label" x="${LEFT - 6}" y="${(mid + 4).toFixed(1)}" text-anchor="end">${format(max / 2)}</text>
    <text class="label" x="${LEFT - 6}" y="${base + 4}" text-anchor="end">0</text>
    ${slots}
    ${ticks}
    <text class="label" x="${WIDTH - 4}" y="${TOP + 4}" text-anchor="end">UTC</text>
  </svg>
</figure>`;
}

/** Points on a full grid (one per step, oldest first, empty steps as 0) ending at `end`. */
export function onGrid(
  points: Array<{ at: Date; value: number }>,
  count: number,
  end: Date,
  stepMs = MINUTE_MS,
): TimePoint[] {
  const last = Math.floor(end.getTime() / stepMs);
  const byStep = new Map<number, number>();
  for (const p of points) {
    const s = Math.floor(p.at.getTime() / stepMs);
    byStep.set(s, (byStep.get(s) ?? 0) + p.value);
  }
  const out: TimePoint[] = [];
  for (let s = last - count + 1; s <= last; s++)
    out.push({ at: new Date(s * stepMs), value: byStep.get(s) ?? 0 });
  return out;
}
