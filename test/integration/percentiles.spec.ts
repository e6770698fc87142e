import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { percentilesOfSorted } from '../../src/modules/reports/percentiles';
import { dataSourceOptions } from '../../src/config/data-source';

/**
 * The report percentiles against PostgreSQL's own percentile_cont over the same float8 values:
 * they must be the same numbers, bit for bit.
 */
describe('report percentiles against PostgreSQL', () => {
  const db = new DataSource({ ...dataSourceOptions(process.env.DATABASE_URL!, 1), migrations: [] });
  beforeAll(() => db.initialize());
  afterAll(() => db.destroy());

  const hours = fc.oneof(
    // Durations in whole milliseconds, as hours, like the reports compute them.
    fc.integer({ min: 0, max: 90 * 24 * 3_600_000 }).map((ms) => ms / 3_600_000),
    fc.constantFrom(0, 96, 96.000001),
  );

  it('gives exactly what percentile_cont gives, for any values and fractions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hours, { minLength: 1, maxLength: 400 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        async (values, fractions) => {
          const [{ p }] = await db.query(
            `SELECT percentile_cont($2::float8[]) WITHIN GROUP (ORDER BY v) AS p
               FROM unnest($1::float8[]) AS v`,
            [values, fractions],
          );
          const mine = percentilesOfSorted(
            Float64Array.from(values).sort(),
            0,
            values.length,
            fractions,
          );
          expect(mine).toEqual(p);
        },
      ),
      { numRuns: 200 },
    );
  });
});
