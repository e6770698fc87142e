/**
 * Exact continuous percentiles, computed as PostgreSQL's `percentile_cont` computes them: for a
 * fraction p of n sorted values, the value at row p·(n−1), interpolated linearly between its two
 * neighbours (`lo + (hi − lo) · (row − ⌊row⌋)`, in float64, like `float8_lerp`). The values are
 * not sorted: each needed rank is selected in expected linear time, and the slice is reordered.
 */
export function percentilesCont(
  values: Float64Array,
  start: number,
  end: number,
  fractions: readonly number[],
): number[] {
  const n = end - start;
  if (n <= 0) return fractions.map(() => Number.NaN);
  const ranks = new Set<number>();
  for (const p of fractions) {
    const row = p * (n - 1);
    ranks.add(Math.floor(row));
    ranks.add(Math.ceil(row));
  }
  const at = new Map<number, number>();
  let from = start;
  let previous = -2;
  for (const rank of [...ranks].sort((a, b) => a - b)) {
    if (rank === previous + 1) {
      // The next rank after a selected one is the smallest value above it: one scan.
      let min = values[from];
      let where = from;
      for (let i = from + 1; i < end; i++) {
        if (values[i] < min) {
          min = values[i];
          where = i;
        }
      }
      swap(values, from, where);
    } else {
      selectNth(values, from, end - 1, start + rank);
    }
    at.set(rank, values[start + rank]);
    from = start + rank + 1;
    previous = rank;
  }
  return fractions.map((p) => {
    const row = p * (n - 1);
    const first = Math.floor(row);
    const second = Math.ceil(row);
    const lo = at.get(first)!;
    if (first === second) return lo;
    const hi = at.get(second)!;
    return lo + (row - first) * (hi - lo);
  });
}

/**
 * Reorders a[left..right] so that a[k] holds the value a full sort would put there, everything
 * before it is ≤ and everything after it ≥ (Hoare partitions around a median of three).
 */
export function selectNth(a: Float64Array, left: number, right: number, k: number): void {
  let lo = left;
  let hi = right;
  while (hi > lo) {
    const mid = lo + ((hi - lo) >> 1);
    // Median of three to a[mid], so sorted or reversed input stays linear.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and anything between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
