/** Median of the values; NaN when there are none. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100) by the nearest-rank method. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Spread of the runs, as (max - min) / median, to show how noisy a figure is. */
export function spread(values: number[]): number {
  const m = median(values);
  if (values.length < 2 || !Number.isFinite(m) || m === 0) return 0;
  return (Math.max(...values) - Math.min(...values)) / m;
}
