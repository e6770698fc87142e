import fc from 'fast-check';
import { percentilesCont, selectNth } from './percentiles';

/** The textbook definition: sort, then interpolate between the two rows around p·(n−1). */
function bySorting(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const row = p * (sorted.length - 1);
  const lo = sorted[Math.floor(row)];
  const hi = sorted[Math.ceil(row)];
  return Math.floor(row) === Math.ceil(row) ? lo : lo + (row - Math.floor(row)) * (hi - lo);
}

const values = fc.array(
  fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.integer({ min: 0, max: 5 })),
  {
    minLength: 1,
    maxLength: 300,
  },
);

describe('percentilesCont', () => {
  it('equals sorting and interpolating, for any values (duplicates included)', () => {
    fc.assert(
      fc.property(values, fc.double({ min: 0, max: 1, noNaN: true }), (vs, p) => {
        const [got] = percentilesCont(Float64Array.from(vs), 0, vs.length, [p]);
        expect(got).toBe(bySorting(vs, p));
      }),
    );
  });

  it('answers several fractions on one slice of a larger array, leaving the rest alone', () => {
    fc.assert(
      fc.property(values, values, values, (before, slice, after) => {
        const all = Float64Array.from([...before, ...slice, ...after]);
        const got = percentilesCont(
          all,
          before.length,
          before.length + slice.length,
          [0.5, 0.9, 0.95],
        );
        expect(got).toEqual([0.5, 0.9, 0.95].map((p) => bySorting(slice, p)));
        expect([...all.subarray(0, before.length)]).toEqual(before);
        expect([...all.subarray(before.length + slice.length)]).toEqual(after);
      }),
    );
  });

  it('gives the value itself for a single value, and NaN for none', () => {
    expect(percentilesCont(Float64Array.of(42.5), 0, 1, [0.5, 0.9, 0.95])).toEqual([
      42.5, 42.5, 42.5,
    ]);
    expect(percentilesCont(new Float64Array(0), 0, 0, [0.5])).toEqual([Number.NaN]);
  });

  it('selects the right value on sorted, reversed and constant input', () => {
    const n = 200_000;
    for (const make of [(i: number) => i, (i: number) => n - i, () => 7]) {
      const a = Float64Array.from({ length: n }, (_, i) => make(i));
      selectNth(a, 0, n - 1, n >> 1);
      const expected = [...Float64Array.from({ length: n }, (_, i) => make(i))].sort(
        (x, y) => x - y,
      );
      expect(a[n >> 1]).toBe(expected[n >> 1]);
    }
  });
});
