/**
 * Exact continuous percentiles, computed as PostgreSQL's `percentile_cont` computes them: for a
 * fraction p of n sorted values, the value at row p·(n−1), interpolated linearly between its two
 * neighbours (`lo + (hi − lo) · (row − ⌊row⌋)`, in float64, like `float8_lerp`). The reports keep
 * their values in sorted order, so a percentile is the values at one or two ranks.
 */

/** The ranks (0-based, ascending, distinct) whose values the fractions of n values need. */
export function percentileRanks(n: number, fractions: readonly number[]): number[] {
  const ranks = new Set<number>();
  for (const p of fractions) {
    const row = p * (n - 1);
    ranks.add(Math.floor(row));
    ranks.add(Math.ceil(row));
  }
  return [...ranks].sort((a, b) => a - b);
}

/** The percentile p of n sorted values, given the value at each rank `percentileRanks` named. */
export function percentileCont(n: number, p: number, valueAt: (rank: number) => number): number {
  if (n <= 0) return Number.NaN;
  const row = p * (n - 1);
  const first = Math.floor(row);
  const second = Math.ceil(row);
  const lo = valueAt(first);
  if (first === second) return lo;
  return lo + (row - first) * (valueAt(second) - lo);
}

/** The percentiles of a sorted slice, [start, end) of `sorted`. */
export function percentilesOfSorted(
  sorted: ArrayLike<number>,
  start: number,
  end: number,
  fractions: readonly number[],
): number[] {
  return fractions.map((p) => percentileCont(end - start, p, (rank) => sorted[start + rank]));
}
