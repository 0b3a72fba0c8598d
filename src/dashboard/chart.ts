import { html } from 'hono/html';
import type { ThroughputBucket } from '../drivers/contract.js';

/**
 * A per-minute bar chart as inline SVG, drawn on the server from the throughput buckets: no
 * chart library, no script, and the CSP stays strict. Each bar has a <title> tooltip.
 */

export interface ChartOptions {
  title: string;
  /** 'completed' or 'failed' count of each bucket. */
  field: 'completed' | 'failed';
  /** CSS class giving the bar colour. */
  tone: 'ok' | 'bad';
}

const WIDTH = 600;
const HEIGHT = 150;
const LEFT = 38;
const BOTTOM = 20;
const TOP = 8;

/** A round upper bound for the axis, so the label reads well (1, 2, 5, 10, 20, 50...). */
function niceMax(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

export function barChart(buckets: ThroughputBucket[], options: ChartOptions) {
  const values = buckets.map((b) => b[options.field]);
  const total = values.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(0, ...values));
  const plotWidth = WIDTH - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = buckets.length > 0 ? plotWidth / buckets.length : plotWidth;
  const barWidth = Math.max(1, slot - 1.5);
  const bars = buckets.map((bucket, i) => {
    const value = bucket[options.field];
    const h = value === 0 ? 0 : Math.max(1.5, (value / max) * plotHeight);
    const x = LEFT + i * slot;
    const y = TOP + plotHeight - h;
    const time = bucket.minute.toISOString().slice(11, 16);
    return html`<rect class="bar ${options.tone}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"><title>${time} UTC: ${value} ${options.field}</title></rect>`;
  });
  const minutes = buckets.length;
  const first = buckets[0]?.minute.toISOString().slice(11, 16) ?? '';
  const last = buckets[buckets.length - 1]?.minute.toISOString().slice(11, 16) ?? '';
  const mid = (TOP + plotHeight / 2).toFixed(1);
  return html`<figure class="chart">
  <figcaption>${options.title} <span class="muted">per minute, last ${minutes} min — ${total.toLocaleString('en-US')} in all</span></figcaption>
  <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${options.title}: ${total} in the last ${minutes} minutes">
    <line class="grid" x1="${LEFT}" y1="${TOP}" x2="${WIDTH - 4}" y2="${TOP}"></line>
    <line class="grid" x1="${LEFT}" y1="${mid}" x2="${WIDTH - 4}" y2="${mid}"></line>
    <line class="axis" x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - 4}" y2="${TOP + plotHeight}"></line>
    <text class="label" x="${LEFT - 6}" y="${TOP + 4}" text-anchor="end">${max}</text>
    <text class="label" x="${LEFT - 6}" y="${Number(mid) + 4}" text-anchor="end">${max / 2}</text>
    <text class="label" x="${LEFT - 6}" y="${TOP + plotHeight + 4}" text-anchor="end">0</text>
    ${bars}
    <text class="label" x="${LEFT}" y="${HEIGHT - 4}">${first}</text>
    <text class="label" x="${WIDTH - 4}" y="${HEIGHT - 4}" text-anchor="end">${last} UTC</text>
  </svg>
</figure>`;
}
