/** bench/views' statistics: p50 (the median) and p95 (nearest rank: with 30 samples, the second slowest). */
import { median as exactMedian, round1, Timings, timings } from '../lib/stats';

export type Stats = Timings<'p50Ms', 'p95Ms'>;

export const stats = (samples: number[]): Stats =>
  timings(samples, 'p50Ms', 'p95Ms', 0.95);

/** The median, to 0.1. */
export const median = (samples: number[]) => round1(exactMedian(samples));

/** The smallest, median and largest of some counts, e.g. kube requests per request. */
export const spread = (xs: number[]) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

/** A ratio for the table; `upper` when the peer's time is only a lower bound. */
export function times(x: number, upper = false): string {
  if (x < 0.001) return '< 0.001x';
  return `${upper ? '< ' : ''}${x.toFixed(3)}x`;
}
