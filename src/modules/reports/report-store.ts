import { percentilesCont } from './percentiles';
import { dayOf, monthKey, monthOf, regionOf, weekKey, weekOf } from './report-keys';
import { type ReportMetric, type TurnaroundGroupBy } from './report-vocabulary';

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
const WEEK_SPAN = 12_000;
const MONTH_BASE = 480;
const MONTH_SPAN = 3_000;
const MAX_CATEGORIES = 32;

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
  private categories = new Uint32Array(0);

  private cellCount = 0;
  private cellDay = new Float64Array(0);
  private cellCountry = new Uint8Array(0);
  private cellItem = new Uint16Array(0);
  private cellRequested = new Float64Array(0);
  private cellDispatched = new Float64Array(0);
  private cellDelivered = new Float64Array(0);

  private readonly countries = new Codes(255);
  private readonly carriers = new Codes(65_535);
  private readonly priorities = new Codes(255);
  private readonly modes = new Codes(255);
  private readonly categoryBits = new Codes(MAX_CATEGORIES);
  private readonly items = new Codes(65_535);
  private readonly regions = new Codes(255);
  /** Country code -> region code (0: none), filled as countries appear. */
  private regionOfCountry = new Uint8Array(256);
  private readonly monthOfDay = new Map<number, number>();

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
    this.metric[slot] = METRIC_CODES[row.metric];
    this.started[slot] = row.startedMs ?? Number.NaN;
    this.duration[slot] = row.durationMs ?? Number.NaN;
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
   * hours) and max of the measured values matching the filter, groups in key order.
   */
  turnaround(filter: FactFilter, groupBy: TurnaroundGroupBy): TurnaroundFigures[] {
    const match = this.matcher(filter);
    if (!match) return [];
    const { group, span, label } = this.grouping(groupBy);
    const counts = new Uint32Array(span);
    for (let i = 0; i < this.size; i++) {
      if (match(i)) group(i, (g) => counts[g]++);
    }
    const offsets = new Uint32Array(span + 1);
    for (let g = 0; g < span; g++) offsets[g + 1] = offsets[g] + counts[g];
    const hours = new Float64Array(offsets[span]);
    const fill = offsets.slice(0, span);
    const sumMs = new Float64Array(span);
    const maxMs = new Float64Array(span).fill(-Infinity);
    const met = new Uint32Array(span);
    const judged = new Uint32Array(span);
    for (let i = 0; i < this.size; i++) {
      if (!match(i)) continue;
      const ms = this.duration[i];
      const within = this.within[i];
      group(i, (g) => {
        hours[fill[g]++] = ms / HOUR_MS;
        sumMs[g] += ms;
        if (ms > maxMs[g]) maxMs[g] = ms;
        if (within >= 0) {
          judged[g]++;
          met[g] += within;
        }
      });
    }
    const rows: TurnaroundFigures[] = [];
    for (let g = 0; g < span; g++) {
      const n = counts[g];
      if (n === 0) continue;
      const [p50, p90, p95] = percentilesCont(hours, offsets[g], offsets[g + 1], FRACTIONS);
      rows.push({
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
    return rows.sort((a, b) => compareKeys(a.key, b.key));
  }

  /** Met and breached values (stopped SLA clocks) matching the filter. */
  compliance(filter: FactFilter): { met: number; breached: number } {
    const match = this.matcher(filter);
    let met = 0;
    let breached = 0;
    if (match) {
      for (let i = 0; i < this.size; i++) {
        if (!match(i)) continue;
        if (this.within[i] === 1) met++;
        else if (this.within[i] === 0) breached++;
      }
    }
    return { met, breached };
  }

  /** Requests received per country in the range (facts of one request metric, measured or not). */
  requestsByCountry(filter: Omit<FactFilter, 'metric'>): Map<string, number> {
    const match = this.matcher({ ...filter, metric: 'request_to_first_dispatch' }, false);
    const counts = new Uint32Array(256);
    if (match) for (let i = 0; i < this.size; i++) if (match(i)) counts[this.country[i]]++;
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
      const key = c * 65_536 + item;
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
   * A predicate on slots for the filter, or null when nothing can match (a value never seen).
   * `measured`: only slots with a duration.
   */
  private matcher(f: FactFilter, measured = true): ((i: number) => boolean) | null {
    const metric = METRIC_CODES[f.metric];
    const from = f.fromMs ?? -Infinity;
    const to = f.toMs ?? Infinity;
    const want = (codes: Codes, value: string | undefined): number | null | undefined =>
      value === undefined ? null : codes.find(value);
    const country = want(this.countries, f.country);
    const region = want(this.regions, f.region);
    const carrier = want(this.carriers, f.carrierId);
    const priority = want(this.priorities, f.priority);
    const mode = want(this.modes, f.mode);
    const category = want(this.categoryBits, f.category);
    if ([country, region, carrier, priority, mode, category].includes(undefined)) return null;
    const bit = category ? 1 << (category - 1) : 0;
    return (i) =>
      this.metric[i] === metric &&
      this.started[i] >= from &&
      this.started[i] < to &&
      (!measured || this.duration[i] === this.duration[i]) &&
      (country === null || this.country[i] === country) &&
      (region === null || this.regionOfCountry[this.country[i]] === region) &&
      (carrier === null || this.carrier[i] === carrier) &&
      (priority === null || this.priority[i] === priority) &&
      (mode === null || this.mode[i] === mode) &&
      (bit === 0 || (this.categories[i] & bit) !== 0);
  }

  /** Group numbers of a slot (several for categories), how many there can be, and their keys. */
  private grouping(groupBy: TurnaroundGroupBy): {
    group: (i: number, each: (g: number) => void) => void;
    span: number;
    label: (g: number) => string | null;
  } {
    const by = (column: Uint8Array | Uint16Array, codes: Codes, span: number) => ({
      group: (i: number, each: (g: number) => void) => each(column[i]),
      span,
      label: (g: number) => codes.values[g] ?? null,
    });
    switch (groupBy) {
      case 'country':
        return by(this.country, this.countries, 256);
      case 'carrier':
        return by(this.carrier, this.carriers, this.carriers.values.length);
      case 'priority':
        return by(this.priority, this.priorities, 256);
      case 'mode':
        return by(this.mode, this.modes, 256);
      case 'region':
        return {
          group: (i, each) => each(this.regionOfCountry[this.country[i]]),
          span: 256,
          label: (g) => this.regions.values[g] ?? null,
        };
      case 'category':
        return {
          group: (i, each) => {
            let bits = this.categories[i];
            if (bits === 0) return each(0);
            for (let b = 1; bits !== 0; b++, bits >>>= 1) if (bits & 1) each(b);
          },
          span: MAX_CATEGORIES + 1,
          label: (g) => this.categoryBits.values[g] ?? null,
        };
      case 'week':
        return {
          group: (i, each) => each(weekOf(dayOf(this.started[i])) + WEEK_BASE),
          span: WEEK_SPAN,
          label: (g) => weekKey(g - WEEK_BASE),
        };
      case 'month':
        return {
          group: (i, each) => each(this.monthOfDayCached(dayOf(this.started[i])) + MONTH_BASE),
          span: MONTH_SPAN,
          label: (g) => monthKey(g - MONTH_BASE),
        };
    }
  }

  private monthOfDayCached(day: number): number {
    let month = this.monthOfDay.get(day);
    if (month === undefined) {
      month = monthOf(day);
      this.monthOfDay.set(day, month);
    }
    return month;
  }
}

/** Keys in order, unknown last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
