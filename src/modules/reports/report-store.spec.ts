import fc from 'fast-check';
import { percentilesOfSorted } from './percentiles';
import { type FactRow, ReportStore } from './report-store';

const HOUR_MS = 3_600_000;
const NOW = Date.UTC(2020, 6, 1);
const COUNTRIES = ['AF', 'SN', 'ML'];
const CATEGORIES = ['ppe', 'diagnostics', 'respiratory'];

const fact = fc.record({
  startedMs: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2020, 11, 31) }),
  durationMs: fc.option(fc.integer({ min: 0, max: 400 * HOUR_MS }), { freq: 4 }),
  withinSla: fc.option(fc.boolean()),
  country: fc.constantFrom(...COUNTRIES),
  categories: fc.subarray(CATEGORIES),
  clock: fc.option(
    fc.record({
      state: fc.constantFrom('running' as const, 'paused' as const),
      warnMs: fc.option(fc.integer({ min: NOW - 200 * HOUR_MS, max: NOW + 200 * HOUR_MS })),
      dueMs: fc.integer({ min: NOW - 100 * HOUR_MS, max: NOW + 200 * HOUR_MS }),
      leftMs: fc.integer({ min: -100 * HOUR_MS, max: 200 * HOUR_MS }),
    }),
  ),
});
const LIMITS = [0, 6, 24, 48, 96];

/** What a report must say, computed the slow way: filter, sort, interpolate. */
function naive(rows: Map<number, FactRow>, country?: string) {
  const groups = new Map<string, number[]>();
  for (const r of rows.values()) {
    if (r.durationMs === null || (country && r.country !== country)) continue;
    for (const c of r.categories.length ? r.categories : ['none']) {
      groups.set(c, [...(groups.get(c) ?? []), r.durationMs / HOUR_MS]);
    }
  }
  return [...groups.keys()].sort().map((key) => {
    const hours = Float64Array.from(groups.get(key)!).sort();
    const [p50, p90, p95] = percentilesOfSorted(hours, 0, hours.length, [0.5, 0.9, 0.95]);
    return { key, count: hours.length, p50, p90, p95, max: hours[hours.length - 1] };
  });
}

/** Stopped clocks met and breached, open ones by state now and by hours left. */
function compliance(rows: Map<number, FactRow>, country?: string) {
  const of = [...rows.values()].filter((r) => !country || r.country === country);
  const open = of.flatMap((r) => (r.clock ? [r.clock] : []));
  const running = open.filter((c) => c.state === 'running');
  const left = (c: (typeof open)[number]) =>
    (c.state === 'paused' ? c.leftMs! : c.dueMs! - NOW) / HOUR_MS;
  return {
    met: of.filter((r) => r.withinSla === true).length,
    breached: of.filter((r) => r.withinSla === false).length,
    breaching: running.filter((c) => c.dueMs! <= NOW).length,
    atRisk: running.filter((c) => c.dueMs! > NOW && c.warnMs !== null && c.warnMs <= NOW).length,
    running: running.filter((c) => c.dueMs! > NOW && (c.warnMs === null || c.warnMs > NOW)).length,
    paused: open.length - running.length,
    byRemaining: [-Infinity, ...LIMITS].map(
      (low, i) =>
        open.filter((c) => left(c) >= low && left(c) < ([...LIMITS, Infinity][i] ?? Infinity))
          .length,
    ),
  };
}

describe('ReportStore', () => {
  it('answers exact percentiles and outcomes as facts arrive and change, a few or many at a time', () => {
    fc.assert(
      fc.property(
        fc.array(fact, { minLength: 1, maxLength: 120 }),
        fc.array(fc.array(fc.tuple(fc.nat(), fact), { maxLength: 40 }), { maxLength: 6 }),
        fc.option(fc.constantFrom(...COUNTRIES)),
        (initial, batches, country) => {
          const store = new ReportStore();
          const rows = new Map<number, FactRow>();
          const put = (id: number, f: (typeof initial)[number]) => {
            const row: FactRow = {
              id,
              metric: 'dispatch_to_delivery',
              carrierId: null,
              priority: null,
              mode: null,
              ...f,
            };
            rows.set(id, row);
            store.putFact(row);
          };
          initial.forEach((f, i) => put(i + 1, f));
          for (const batch of [[], ...batches]) {
            // An id within reach of the existing ones rewrites that fact; a new one adds one.
            for (const [at, f] of batch) put((at % (rows.size + 3)) + 1, f);
            // Compliance first: it reads the sorted table before a turnaround tidies it.
            expect(
              store.compliance(
                { metric: 'dispatch_to_delivery', country: country ?? undefined },
                NOW,
                LIMITS,
              ),
            ).toEqual(compliance(rows, country ?? undefined));
            const got = store
              .turnaround(
                { metric: 'dispatch_to_delivery', country: country ?? undefined },
                'category',
              )
              .map((r) => ({
                key: r.key ?? 'none',
                count: r.count,
                p50: r.p50Hours,
                p90: r.p90Hours,
                p95: r.p95Hours,
                max: r.maxHours,
              }))
              .sort((a, b) => (a.key < b.key ? -1 : 1));
            expect(got).toEqual(naive(rows, country ?? undefined));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
