import fc from 'fast-check';
import { sortByValue } from './sort-by-value';

/** Slots 0..n-1 over these values, shuffled by the permutation given. */
function sortCase(values: number[], order: number[]) {
  const slots = Int32Array.from(order.map((o) => o % values.length));
  return { slots, values: Float64Array.from(values) };
}

const value = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: 0, max: 90 * 24 * 3_600_000 }),
  fc.constantFrom(0, -0, 1, -1, Number.MIN_VALUE, -Number.MAX_VALUE, Infinity, -Infinity),
);

describe('sortByValue', () => {
  it('orders slots by their values, any doubles included, and keeps every slot once', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 300 }),
        (vs, order) => {
          const { slots, values } = sortCase(vs, order);
          const got = sortByValue(slots, values);
          for (let k = 1; k < got.length; k++) {
            expect(values[got[k - 1]] <= values[got[k]]).toBe(true);
          }
          expect([...got].sort((a, b) => a - b)).toEqual([...slots].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('leaves its input alone and sorts a million slots of whole milliseconds', () => {
    const n = 1_000_000;
    const values = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 104_729) * 1000);
    const slots = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
    const got = sortByValue(slots, values);
    expect(slots[0]).toBe(n - 1);
    const expected = Float64Array.from(values).sort();
    expect(Float64Array.from(got, (slot) => values[slot])).toEqual(expected);
  });
});
