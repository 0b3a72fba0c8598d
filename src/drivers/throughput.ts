import type { ThroughputBucket } from './contract.js';

export const MINUTE_MS = 60_000;

/**
 * The empty per-minute grid of `throughput`: one bucket per minute from firstMinute to lastMinute
 * (minute numbers, i.e. epoch ms / 60 000), oldest first, so minutes with no jobs still show.
 */
export function minuteBuckets(firstMinute: number, lastMinute: number): ThroughputBucket[] {
  const buckets: ThroughputBucket[] = [];
  for (let m = firstMinute; m <= lastMinute; m++) {
    buckets.push({ minute: new Date(m * MINUTE_MS), completed: 0, failed: 0 });
  }
  return buckets;
}
