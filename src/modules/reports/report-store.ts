import { percentileCont, percentileRanks } from './percentiles';
import { dayOf, monthKey, monthOf, regionOf, weekKey, weekOf } from './report-keys';
import { type ReportMetric, type TurnaroundGroupBy } from './report-vocabulary';
import { sortByValue } from './sort-by-value';

/**
 * The report rollups held in memory as columns, one slot per row id of `report_facts` and
 * `coverage_cells`, so a report over a million facts is a few linear passes over typed arrays
 * instead of a sort in PostgreSQL. Strings are stored as small codes (0 = none). Pure: the
 * service loads rows into it and asks it questions.
 */

export interface FactRow {
  id: number;
  metric: ReportMetric;
  startedMs: number | null;
  durationMs: number | null;
  withinSla: boolean | null;
  country: string | null;
  carrierId: string | null;
  priority: string | null;
  mode: string | null;
  categories: string[];
}

export interface CellRow {
  id: number;
  day: number;
  country: string;
  itemId: string;
  requested: number;
  dispatched: number;
  delivered: number;
}

export interface FactFilter {
  metric: ReportMetric;
  fromMs?: number;
  toMs?: number;
  country?: string;
  region?: string;
  carrierId?: string;
  priority?: string;
  mode?: string;
  category?: string;
}

export interface TurnaroundFigures {
  /** The group's value: a country code, a carrier id, `2020-W12`... null when unknown. */
  key: string | null;
  count: number;
  meanHours: number;
  p50Hours: number;
  p90Hours: number;
  p95Hours: number;
  maxHours: number;
  /** met / (met + breached) among values whose SLA clock stopped; null without any. */
  withinSlaShare: number | null;
}

export interface CoverageFigures {
  country: string;
  itemId: string;
  requested: number;
  dispatched: number;
  delivered: number;
}

const HOUR_MS = 3_600_000;
const FRACTIONS = [0.5, 0.9, 0.95] as const;
const METRIC_CODES: Record<ReportMetric, number> = {
  request_to_first_dispatch: 1,
  dispatch_to_delivery: 2,
  request_to_delivery: 3,
};
// Week and month numbers are offset so instants back to the 1930s index arrays directly.
const WEEK_BASE = 2_100;
const WEEK_SPAN = 14_200;
const MONTH_BASE = 480;
const MONTH_SPAN = 3_300;
const MAX_CATEGORIES = 16;
// Days are offset the same way (1930 to 2200) for the month table; values that start outside
// those years are in no report.
const DAY_BASE = 14_610;
const DAY_SPAN = 98_700;
const EARLIEST_MS = Date.UTC(1930, 0, 1);
const LATEST_MS = Date.UTC(2200, 0, 1);

/** Strings to small integer codes and back; code 0 is "none". */
class Codes {
  private readonly codes = new Map<string, number>();
  readonly values: (string | null)[] = [null];

  constructor(private readonly max: number) {}

  code(value: string | null): number {
    if (value === null) return 0;
    let code = this.codes.get(value);
    if (code === undefined) {
      if (this.values.length > this.max) throw new Error(`More than ${this.max} distinct values`);
      code = this.values.length;
      this.codes.set(value, code);
      this.values.push(value);
    }
    return code;
  }

  find(value: string): number | undefined {
    return this.codes.get(value);
  }
}

function grow<T extends Float64Array | Uint8Array | Int8Array | Uint16Array | Uint32Array>(
  array: T,
  capacity: number,
  fill?: number,
): T {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  if (fill !== undefined) next.fill(fill, array.length);
  return next;
}

export class ReportStore {
  private size = 0;
  private metric = new Uint8Array(0);
  private started = new Float64Array(0);
  private duration = new Float64Array(0);
  private within = new Int8Array(0);
  private country = new Uint8Array(0);
  private carrier = new Uint16Array(0);
  private priority = new Uint8Array(0);
  private mode = new Uint8Array(0);
  private categories = new Uint16Array(0);
  /** A flag per slot, clear between uses (see `sortedSlots`). */
  private marks = new Uint8Array(0);

  private cellCount = 0;
  private cellDay = new Float64Array(0);
  private cellCountry = new Uint8Array(0);
  private cellItem = new Uint32Array(0);
  private cellRequested = new Float64Array(0);
  private cellDispatched = new Float64Array(0);
  private cellDelivered = new Float64Array(0);

  private readonly countries = new Codes(255);
  private readonly carriers = new Codes(2 ** 16 - 1);
  private readonly priorities = new Codes(255);
  private readonly modes = new Codes(255);
  private readonly categoryBits = new Codes(MAX_CATEGORIES);
  private readonly items = new Codes(2 ** 32 - 1);
  private readonly regions = new Codes(255);
  /** Country code -> region code (0: none), filled as countries appear. */
  private regionOfCountry = new Uint8Array(256);
  private months: Int32Array | undefined;
  /** The slots of each metric, so a report walks one metric's facts only. */
  private readonly metricFacts: MetricFacts[] = [];
  private readonly scratch = new Scratch();

  /** Makes room for `facts` fact slots and `cells` cell slots (a load knows its highest id). */
  reserve(facts: number, cells: number): void {
    if (facts > this.metric.length) {
      const n = Math.max(facts, Math.ceil(this.metric.length * 1.25));
      this.metric = grow(this.metric, n);
      this.started = grow(this.started, n, Number.NaN);
      this.duration = grow(this.duration, n, Number.NaN);
      this.within = grow(this.within, n, -1);
      this.country = grow(this.country, n);
      this.carrier = grow(this.carrier, n);
      this.priority = grow(this.priority, n);
      this.mode = grow(this.mode, n);
      this.categories = grow(this.categories, n);
      this.marks = grow(this.marks, n);
    }
    if (cells > this.cellDay.length) {
      const n = Math.max(cells, Math.ceil(this.cellDay.length * 1.25));
      this.cellDay = grow(this.cellDay, n, Number.NaN);
      this.cellCountry = grow(this.cellCountry, n);
      this.cellItem = grow(this.cellItem, n);
      this.cellRequested = grow(this.cellRequested, n);
      this.cellDispatched = grow(this.cellDispatched, n);
      this.cellDelivered = grow(this.cellDelivered, n);
    }
  }

  putFact(row: FactRow): void {
    const slot = row.id - 1;
    this.reserve(slot + 1, 0);
    this.size = Math.max(this.size, slot + 1);
    const metric = METRIC_CODES[row.metric];
    const facts = this.factsOf(metric);
    if (this.metric[slot] !== metric) facts.all.push(slot);
    this.metric[slot] = metric;
    this.started[slot] = row.startedMs ?? Number.NaN;
    const before = this.duration[slot];
    const after = row.durationMs ?? Number.NaN;
    if (before !== after && (before === before || after === after)) facts.changed.push(slot);
    this.duration[slot] = after;
    this.within[slot] = row.withinSla === null ? -1 : row.withinSla ? 1 : 0;
    const country = this.countries.code(row.country);
    if (row.country !== null && this.regionOfCountry[country] === 0) {
      this.regionOfCountry[country] = this.regions.code(regionOf(row.country)?.code ?? null);
    }
    this.country[slot] = country;
    this.carrier[slot] = this.carriers.code(row.carrierId);
    this.priority[slot] = this.priorities.code(row.priority);
    this.mode[slot] = this.modes.code(row.mode);
    let bits = 0;
    for (const category of row.categories) {
      const code = this.categoryBits.code(category);
      bits |= 1 << (code - 1);
    }
    this.categories[slot] = bits >>> 0;
  }

  putCell(row: CellRow): void {
    const slot = row.id - 1;
    this.reserve(0, slot + 1);
    this.cellCount = Math.max(this.cellCount, slot + 1);
    this.cellDay[slot] = row.day;
    this.cellCountry[slot] = this.countries.code(row.country);
    this.cellItem[slot] = this.items.code(row.itemId);
    this.cellRequested[slot] = row.requested;
    this.cellDispatched[slot] = row.dispatched;
    this.cellDelivered[slot] = row.delivered;
  }

  /**
   * Turnaround per group: count, mean, exact p50 / p90 / p95 (as `percentile_cont` over the
   * hours) and max of the measured values matching the filter, groups in key order. The values
   * come in ascending order (`sortedSlots`), so each group's are too: one pass counts the
   * groups, and a second picks the values at the ranks the percentiles need.
   */
  turnaround(filter: FactFilter, groupBy: TurnaroundGroupBy): TurnaroundFigures[] {
    const rows = this.select(filter, this.sortedSlots(this.factsOf(METRIC_CODES[filter.metric])));
    if (rows.length === 0) return [];
    const { groups, slots, span, label } = this.groupsOf(rows, groupBy);
    const counts = new Uint32Array(span);
    const sumMs = new Float64Array(span);
    const maxMs = new Float64Array(span);
    const met = new Uint32Array(span);
    const judged = new Uint32Array(span);
    const duration = this.duration;
    const within = this.within;
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k];
      const i = slots[k];
      const ms = duration[i];
      counts[g]++;
      sumMs[g] += ms;
      maxMs[g] = ms; // ascending: the last is the largest
      const w = within[i];
      if (w >= 0) {
        judged[g]++;
        met[g] += w;
      }
    }
    // The ranks each group needs, side by side; `next` walks them as the group's values pass.
    const ranks: number[][] = [];
    const firstRank = new Uint32Array(span + 1);
    const wanted: number[] = [];
    for (let g = 0; g < span; g++) {
      ranks[g] = counts[g] === 0 ? [] : percentileRanks(counts[g], FRACTIONS);
      firstRank[g] = wanted.length;
      wanted.push(...ranks[g]);
    }
    firstRank[span] = wanted.length;
    const rankAt = Int32Array.from(wanted);
    const hoursAt = new Float64Array(wanted.length);
    const next = firstRank.slice(0, span);
    const seen = new Uint32Array(span);
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k];
      const t = next[g];
      if (t < firstRank[g + 1] && rankAt[t] === seen[g]) {
        hoursAt[t] = duration[slots[k]] / HOUR_MS;
        next[g] = t + 1;
      }
      seen[g]++;
    }
    const result: TurnaroundFigures[] = [];
    for (let g = 0; g < span; g++) {
      const n = counts[g];
      if (n === 0) continue;
      const valueAt = (rank: number) => hoursAt[firstRank[g] + ranks[g].indexOf(rank)];
      const [p50, p90, p95] = FRACTIONS.map((p) => percentileCont(n, p, valueAt));
      result.push({
        key: label(g),
        count: n,
        meanHours: sumMs[g] / n / HOUR_MS,
        p50Hours: p50,
        p90Hours: p90,
        p95Hours: p95,
        maxHours: maxMs[g] / HOUR_MS,
        withinSlaShare: judged[g] === 0 ? null : met[g] / judged[g],
      });
    }
    return result.sort((x, y) => compareKeys(x.key, y.key));
  }

  /** Met and breached values (stopped SLA clocks) matching the filter. */
  compliance(filter: FactFilter): { met: number; breached: number } {
    const rows = this.select(filter, this.factsOf(METRIC_CODES[filter.metric]).all.view());
    const within = this.within;
    let met = 0;
    let judged = 0;
    for (let k = 0; k < rows.length; k++) {
      const w = within[rows[k]];
      if (w >= 0) {
        judged++;
        met += w;
      }
    }
    return { met, breached: judged - met };
  }

  /** Requests received per country in the range (facts of one request metric, measured or not). */
  requestsByCountry(filter: Omit<FactFilter, 'metric'>): Map<string, number> {
    const counts = new Uint32Array(256);
    const rows = this.select(
      filter,
      this.factsOf(METRIC_CODES.request_to_first_dispatch).all.view(),
    );
    for (let k = 0; k < rows.length; k++) counts[this.country[rows[k]]]++;
    const out = new Map<string, number>();
    counts.forEach((n, code) => {
      const country = this.countries.values[code];
      if (n > 0 && country) out.set(country, n);
    });
    return out;
  }

  /**
   * Quantities requested, dispatched and delivered per country and item, over requests received
   * on days in [fromDay, toDay). `itemIds` limits the items (a category filter).
   */
  coverage(
    fromDay: number,
    toDay: number,
    country: string | undefined,
    region: string | undefined,
    itemIds: Set<string> | null,
  ): CoverageFigures[] {
    const countryCode = country === undefined ? undefined : this.countries.find(country);
    const regionCode = region === undefined ? undefined : this.regions.find(region);
    if ((country && !countryCode) || (region && !regionCode)) return [];
    const items = itemIds
      ? new Set([...itemIds].map((id) => this.items.find(id)).filter((c) => c !== undefined))
      : null;
    const sums = new Map<number, CoverageFigures>();
    for (let i = 0; i < this.cellCount; i++) {
      const day = this.cellDay[i];
      if (!(day >= fromDay && day < toDay)) continue;
      const c = this.cellCountry[i];
      if (countryCode !== undefined && c !== countryCode) continue;
      if (regionCode !== undefined && this.regionOfCountry[c] !== regionCode) continue;
      const item = this.cellItem[i];
      if (items && !items.has(item)) continue;
      const key = item * 256 + c;
      let sum = sums.get(key);
      if (!sum) {
        sum = {
          country: this.countries.values[c]!,
          itemId: this.items.values[item]!,
          requested: 0,
          dispatched: 0,
          delivered: 0,
        };
        sums.set(key, sum);
      }
      sum.requested += this.cellRequested[i];
      sum.dispatched += this.cellDispatched[i];
      sum.delivered += this.cellDelivered[i];
    }
    return [...sums.values()].filter((s) => s.requested + s.dispatched + s.delivered > 0);
  }

  /**
   * The candidates (slots of one metric) matching the filter, in their order, in one pass with
   * the tests inlined: this loop is most of what a report costs.
   */
  private select(f: Omit<FactFilter, 'metric'>, candidates: Int32Array): Int32Array {
    const code = (codes: Codes, value: string | undefined): number =>
      value === undefined ? -1 : (codes.find(value) ?? -2);
    const country = code(this.countries, f.country);
    const region = code(this.regions, f.region);
    const carrier = code(this.carriers, f.carrierId);
    const priority = code(this.priorities, f.priority);
    const mode = code(this.modes, f.mode);
    const category = code(this.categoryBits, f.category);
    // A value never stored matches nothing.
    if ([country, region, carrier, priority, mode, category].includes(-2)) return new Int32Array(0);
    const bit = category > 0 ? 1 << (category - 1) : 0;
    const from = Math.max(f.fromMs ?? EARLIEST_MS, EARLIEST_MS);
    const to = Math.min(f.toMs ?? LATEST_MS, LATEST_MS);
    const out = this.scratch.slots(candidates.length);
    let n = 0;
    const { started: S, country: C, carrier: K, priority: P } = this;
    const { mode: O, categories: G, regionOfCountry: R } = this;
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k];
      const start = S[i];
      if (!(start >= from && start < to)) continue;
      if (country >= 0 && C[i] !== country) continue;
      if (region >= 0 && R[C[i]] !== region) continue;
      if (carrier >= 0 && K[i] !== carrier) continue;
      if (priority >= 0 && P[i] !== priority) continue;
      if (mode >= 0 && O[i] !== mode) continue;
      if (bit !== 0 && (G[i] & bit) === 0) continue;
      out[n++] = i;
    }
    return out.subarray(0, n);
  }

  /**
   * The group of each selected slot (a slot in several categories appears once per category),
   * how many groups there can be, and their keys.
   */
  private groupsOf(
    rows: Int32Array,
    groupBy: TurnaroundGroupBy,
  ): { groups: Uint16Array; slots: Int32Array; span: number; label: (g: number) => string | null } {
    const groups = this.scratch.groups(rows.length);
    const column = (values: Uint8Array | Uint16Array) => {
      for (let k = 0; k < rows.length; k++) groups[k] = values[rows[k]];
    };
    switch (groupBy) {
      case 'country':
        column(this.country);
        return { groups, slots: rows, span: 256, label: (g) => this.countries.values[g] ?? null };
      case 'carrier':
        column(this.carrier);
        return {
          groups,
          slots: rows,
          span: this.carriers.values.length,
          label: (g) => this.carriers.values[g] ?? null,
        };
      case 'priority':
        column(this.priority);
        return { groups, slots: rows, span: 256, label: (g) => this.priorities.values[g] ?? null };
      case 'mode':
        column(this.mode);
        return { groups, slots: rows, span: 256, label: (g) => this.modes.values[g] ?? null };
      case 'region':
        for (let k = 0; k < rows.length; k++) {
          groups[k] = this.regionOfCountry[this.country[rows[k]]];
        }
        return { groups, slots: rows, span: 256, label: (g) => this.regions.values[g] ?? null };
      case 'week':
        for (let k = 0; k < rows.length; k++) {
          groups[k] = weekOf(dayOf(this.started[rows[k]])) + WEEK_BASE;
        }
        return { groups, slots: rows, span: WEEK_SPAN, label: (g) => weekKey(g - WEEK_BASE) };
      case 'month': {
        const months = this.monthTable();
        for (let k = 0; k < rows.length; k++) {
          groups[k] = months[dayOf(this.started[rows[k]]) + DAY_BASE] + MONTH_BASE;
        }
        return { groups, slots: rows, span: MONTH_SPAN, label: (g) => monthKey(g - MONTH_BASE) };
      }
      case 'category': {
        let total = 0;
        for (let k = 0; k < rows.length; k++)
          total += Math.max(1, popcount(this.categories[rows[k]]));
        const many = this.scratch.groups(total);
        const slots = this.scratch.expanded(total);
        let n = 0;
        for (let k = 0; k < rows.length; k++) {
          let bits = this.categories[rows[k]];
          if (bits === 0) {
            slots[n] = rows[k];
            many[n++] = 0;
          }
          for (let b = 1; bits !== 0; b++, bits >>>= 1) {
            if (bits & 1) {
              slots[n] = rows[k];
              many[n++] = b;
            }
          }
        }
        return {
          groups: many,
          slots,
          span: MAX_CATEGORIES + 1,
          label: (g) => this.categoryBits.values[g] ?? null,
        };
      }
    }
  }

  private factsOf(metric: number): MetricFacts {
    let facts = this.metricFacts[metric];
    if (!facts) {
      facts = new MetricFacts();
      this.metricFacts[metric] = facts;
    }
    return facts;
  }

  /**
   * The metric's measured slots in ascending order of duration, brought up to date with the
   * durations that changed since the last call: a few changes are taken out and merged back in
   * (linear), many mean a new sort.
   */
  private sortedSlots(facts: MetricFacts): Int32Array {
    const changed = facts.changed.view();
    if (changed.length === 0) return facts.sorted;
    const D = this.duration;
    if (changed.length * 8 > facts.sorted.length) {
      const all = facts.all.view();
      const measured = this.scratch.slots(all.length);
      let n = 0;
      for (let k = 0; k < all.length; k++) if (D[all[k]] === D[all[k]]) measured[n++] = all[k];
      facts.sorted = sortByValue(measured.subarray(0, n), D);
    } else {
      const marks = this.marks;
      for (let k = 0; k < changed.length; k++) marks[changed[k]] = 1;
      const kept = new Int32Array(facts.sorted.length + changed.length);
      let n = 0;
      for (const slot of facts.sorted) if (marks[slot] === 0) kept[n++] = slot;
      const moved: number[] = [];
      for (const slot of changed) {
        if (marks[slot] === 0) continue; // listed twice
        marks[slot] = 0;
        if (D[slot] === D[slot]) moved.push(slot);
      }
      moved.sort((a, b) => D[a] - D[b]);
      // Merge from the back, in place: `kept` has room for the moved slots after its own.
      let a = n - 1;
      let b = moved.length - 1;
      for (let w = n + moved.length - 1; b >= 0; w--) {
        kept[w] = a >= 0 && D[kept[a]] > D[moved[b]] ? kept[a--] : moved[b--];
      }
      facts.sorted = kept.subarray(0, n + moved.length);
    }
    facts.changed.length = 0;
    return facts.sorted;
  }

  /** Month number of every day from 1930 to 2200, computed once. */
  private monthTable(): Int32Array {
    if (!this.months) {
      this.months = new Int32Array(DAY_SPAN);
      for (let d = 0; d < DAY_SPAN; d++) this.months[d] = monthOf(d - DAY_BASE);
    }
    return this.months;
  }
}

/** A metric's slots, and its measured slots by duration (see `ReportStore.sortedSlots`). */
class MetricFacts {
  readonly all = new SlotList();
  sorted: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Slots whose duration changed since `sorted` was built (a slot may appear twice). */
  readonly changed = new SlotList();
}

/** A growable list of slots. */
class SlotList {
  slots = new Int32Array(1024);
  length = 0;

  push(slot: number): void {
    if (this.length === this.slots.length) {
      const next = new Int32Array(Math.ceil(this.slots.length * 1.5));
      next.set(this.slots);
      this.slots = next;
    }
    this.slots[this.length++] = slot;
  }

  view(): Int32Array {
    return this.slots.subarray(0, this.length);
  }
}

/**
 * Working arrays reused by every report: a report is computed synchronously, start to end, so
 * one set serves them all, and report load allocates nothing large.
 */
class Scratch {
  private buffers = {
    slots: new Int32Array(0),
    groups: new Uint16Array(0),
    expanded: new Int32Array(0),
  };

  slots(n: number): Int32Array {
    return this.take('slots', n);
  }
  groups(n: number): Uint16Array {
    return this.take('groups', n);
  }
  expanded(n: number): Int32Array {
    return this.take('expanded', n);
  }

  private take<K extends keyof Scratch['buffers']>(name: K, n: number): Scratch['buffers'][K] {
    let buffer = this.buffers[name];
    if (buffer.length < n) {
      buffer = new (buffer.constructor as new (size: number) => Scratch['buffers'][K])(
        Math.ceil(n * 1.25),
      );
      this.buffers[name] = buffer;
    }
    return buffer.subarray(0, n) as Scratch['buffers'][K];
  }
}

function popcount(bits: number): number {
  let n = 0;
  for (let b = bits >>> 0; b !== 0; b >>>= 1) n += b & 1;
  return n;
}

/** Keys in order, unknown last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
