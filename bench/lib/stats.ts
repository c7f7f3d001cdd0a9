/** Statistics of the benches' samples (times in ms). */

export const round1 = (x: number) => Math.round(x * 10) / 10;
export const round2 = (x: number) => Math.round(x * 100) / 100;

const ascending = (samples: number[]) => [...samples].sort((x, y) => x - y);

/** The median: the middle sample, or the mean of the two middle ones. NaN without samples. */
export function median(samples: number[]): number {
  const sorted = ascending(samples);
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Nearest rank: the smallest sample with at least p of them at or below it
 * (p95 of 30 samples: the second slowest). NaN without samples.
 */
export function nearestRank(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const sorted = ascending(samples);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** ours / theirs, to 3 decimals. */
export const ratio = (ours: number, theirs: number) =>
  Math.round((ours / theirs) * 1000) / 1000;

export type Timings<M extends string, P extends string> = {
  samplesMs: number[];
} & { [K in M]: number } & { [K in P]: number } & {
  minMs: number;
  maxMs: number;
};

/**
 * Samples, median, one nearest-rank percentile, min and max, to 0.1 ms,
 * under the names a bench reports them by (e.g. `medianMs` and `p90Ms`).
 */
export function timings<M extends string, P extends string>(
  samples: number[],
  medianKey: M,
  percentileKey: P,
  p: number,
): Timings<M, P> {
  const sorted = ascending(samples);
  return {
    samplesMs: samples.map(round1),
    [medianKey]: round1(median(samples)),
    [percentileKey]: round1(nearestRank(samples, p)),
    minMs: round1(sorted[0]),
    maxMs: round1(sorted[sorted.length - 1]),
  } as Timings<M, P>;
}
