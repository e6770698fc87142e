import fc from 'fast-check';
import { percentileRanks, percentilesOfSorted } from './percentiles';

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
  { minLength: 1, maxLength: 300 },
);
const sorted = (vs: number[]) => Float64Array.from(vs).sort();

describe('percentiles of sorted values', () => {
  it('equal sorting and interpolating, for any values (duplicates included)', () => {
    fc.assert(
      fc.property(values, fc.double({ min: 0, max: 1, noNaN: true }), (vs, p) => {
        const [got] = percentilesOfSorted(sorted(vs), 0, vs.length, [p]);
        expect(got).toBe(bySorting(vs, p));
      }),
    );
  });

  it('answer several fractions on one slice of a larger array', () => {
    fc.assert(
      fc.property(values, values, values, (before, slice, after) => {
        const all = Float64Array.from([...before, ...sorted(slice), ...after]);
        const got = percentilesOfSorted(
          all,
          before.length,
          before.length + slice.length,
          [0.5, 0.9, 0.95],
        );
        expect(got).toEqual([0.5, 0.9, 0.95].map((p) => bySorting(slice, p)));
      }),
    );
  });

  it('read only the ranks percentileRanks names', () => {
    fc.assert(
      fc.property(values, fc.array(fc.double({ min: 0, max: 1, noNaN: true })), (vs, ps) => {
        const ranks = percentileRanks(vs.length, ps);
        expect(ranks).toEqual([...new Set(ranks)].sort((a, b) => a - b));
        // Every other rank poisoned: a read outside the named ranks would show as NaN.
        const poisoned = sorted(vs).map((v, i) => (ranks.includes(i) ? v : Number.NaN));
        expect(percentilesOfSorted(poisoned, 0, vs.length, ps)).toEqual(
          ps.map((p) => bySorting(vs, p)),
        );
      }),
    );
  });

  it('give the value itself for a single value, and NaN for none', () => {
    expect(percentilesOfSorted(Float64Array.of(42.5), 0, 1, [0.5, 0.9, 0.95])).toEqual([
      42.5, 42.5, 42.5,
    ]);
    expect(percentilesOfSorted(new Float64Array(0), 0, 0, [0.5])).toEqual([Number.NaN]);
  });
});
