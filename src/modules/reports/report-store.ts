import { percentileCont, percentileRanks } from './percentiles';
import { dayOf, monthKey, monthOf, regionOf, weekKey, weekOf } from './report-keys';
import { type ReportMetric, type TurnaroundGroupBy } from './report-vocabulary';
import { type ClockFigures, FactTable, NO_CLOCK } from './fact-table';
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
  /** The fact's SLA clock while it is open (running or paused). */
  clock: OpenClock | null;
}

export interface OpenClock {
  state: 'running' | 'paused';
  /** When a running clock warns (null: its policy does not warn) and falls due. */
  warnMs: number | null;
  dueMs: number | null;
  /** How long a paused clock has left. */
  leftMs: number | null;
}

/** Stopped clocks by outcome, and open clocks by their state now and by hours left. */
export interface ComplianceFigures {
  met: number;
  breached: number;
  running: number;
  atRisk: number;
  breaching: number;
  paused: number;
  /** Open clocks per bucket of hours left: below the first limit, between two, above the last. */
  byRemaining: number[];
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
// A fact's labels in one word: country (8 bits), priority (4), mode (4), carrier (16). Its
// flags: category bits (16), the SLA outcome (2 bits: 0 none, 1 breached, 2 met), the open
// clock's state (2 bits: 0 none, 1 running, 2 paused).
const COUNTRY_MASK = 0xff;
const CATEGORY_MASK = 0xffff;
const OUTCOME_SHIFT = 16;
const CLOCK_SHIFT = 18;
const RUNNING = 1;
const PAUSED = 2;
const PRIORITY_SHIFT = 8;
const MODE_SHIFT = 12;
const CARRIER_SHIFT = 16;
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

function grow<T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(
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
  /** Per fact slot: the table holding it (see `TABLE`; 0: none yet) and its row there. */
  private tableOf = new Uint8Array(0);
  private rowOf = new Int32Array(0);
  /** Per metric (its code): measured facts by duration, measured facts not yet merged, open. */
  private readonly tables: MetricTables[] = [];

  private cellCount = 0;
  private cellDay = new Float64Array(0);
  private cellCountry = new Uint8Array(0);
  private cellItem = new Uint32Array(0);
  private cellRequested = new Float64Array(0);
  private cellDispatched = new Float64Array(0);
  private cellDelivered = new Float64Array(0);

  private readonly countries = new Codes(255);
  private readonly carriers = new Codes(2 ** 16 - 1);
  private readonly priorities = new Codes(15);
  private readonly modes = new Codes(15);
  private readonly categoryBits = new Codes(MAX_CATEGORIES);
  private readonly items = new Codes(2 ** 32 - 1);
  private readonly regions = new Codes(255);
  /** Country code -> region code (0: none), filled as countries appear. */
  private regionOfCountry = new Uint8Array(256);
  private months: Int32Array | undefined;
  private readonly scratch = new Scratch();

  /** Makes room for `facts` fact slots and `cells` cell slots (a load knows its highest id). */
  reserve(facts: number, cells: number): void {
    if (facts > this.tableOf.length) {
      const n = Math.max(facts, Math.ceil(this.tableOf.length * 1.25));
      this.tableOf = grow(this.tableOf, n);
      this.rowOf = grow(this.rowOf, n);
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

  /** Puts every metric's new measured facts in order now, rather than at its next report. */
  settle(): void {
    for (const tables of this.tables) if (tables) this.sorted(tables);
  }

  /** Makes room for this many measured and open facts of the metric. */
  reserveFacts(metric: ReportMetric, measured: number, open: number): void {
    const tables = this.tablesOf(METRIC_CODES[metric]);
    tables.staged.reserve(measured);
    tables.open.reserve(open);
  }

  /**
   * Stores a fact, new or rewritten. A measured fact whose duration is new waits in its
   * metric's `staged` table until the next report merges it into the sorted one.
   */
  putFact(row: FactRow): void {
    const slot = row.id - 1;
    this.reserve(slot + 1, 0);
    const metric = METRIC_CODES[row.metric];
    const started = row.startedMs ?? Number.NaN;
    const duration = row.durationMs ?? Number.NaN;
    const country = this.countries.code(row.country);
    if (row.country !== null && this.regionOfCountry[country] === 0) {
      this.regionOfCountry[country] = this.regions.code(regionOf(row.country)?.code ?? null);
    }
    const labels =
      (country |
        (this.priorities.code(row.priority) << PRIORITY_SHIFT) |
        (this.modes.code(row.mode) << MODE_SHIFT) |
        (this.carriers.code(row.carrierId) << CARRIER_SHIFT)) >>>
      0;
    let bits = 0;
    for (const category of row.categories) bits |= 1 << (this.categoryBits.code(category) - 1);
    const outcome = row.withinSla === null ? 0 : row.withinSla ? 2 : 1;
    const clockState = row.clock === null ? 0 : row.clock.state === 'paused' ? PAUSED : RUNNING;
    const flags = (bits | (outcome << OUTCOME_SHIFT) | (clockState << CLOCK_SHIFT)) >>> 0;
    const clock: ClockFigures = row.clock
      ? {
          warnMs: row.clock.warnMs ?? Number.NaN,
          dueMs: row.clock.dueMs ?? Number.NaN,
          leftMs: row.clock.leftMs ?? Number.NaN,
        }
      : NO_CLOCK;

    const tables = this.tablesOf(metric);
    const measured = duration === duration;
    const kind = this.tableOf[slot] % 4;
    if (kind !== TABLE.none) {
      const table = tables.byKind(kind);
      const at = this.rowOf[slot];
      const stays =
        kind === TABLE.sorted
          ? table.duration[at] === duration
          : (kind === TABLE.staged) === measured;
      if (stays) {
        table.set(at, slot, started, duration, labels, flags, clock);
        return;
      }
      if (kind === TABLE.sorted) {
        table.slot[at] = -1; // taken out at the next merge
        tables.removed++;
      } else {
        const last = table.length - 1;
        if (at !== last) {
          table.copy(last, at);
          this.rowOf[table.slot[at]] = at;
        }
        table.length = last;
      }
    }
    const into = measured ? TABLE.staged : TABLE.open;
    this.rowOf[slot] = tables.byKind(into).push(slot, started, duration, labels, flags, clock);
    this.tableOf[slot] = metric * 4 + into;
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
   * come in ascending order (`sorted`), so each group's are too: one pass counts the groups,
   * and a second picks the values at the ranks the percentiles need.
   */
  turnaround(filter: FactFilter, groupBy: TurnaroundGroupBy): TurnaroundFigures[] {
    const table = this.sorted(this.tablesOf(METRIC_CODES[filter.metric]));
    const match = this.matcher(filter);
    if (!match) return [];
    const { kind, shift, width, span, label } = this.grouping(groupBy);
    const { started, labels, flags, duration } = table;
    const regionOf = this.regionOfCountry;
    const months = this.monthTable();
    const byCategory = kind === GROUP.category;
    const rows = this.scratch.rows(table.length);
    const groups = this.scratch.groups(table.length);
    const counts = new Uint32Array(span);
    const sumMs = new Float64Array(span);
    const maxMs = new Float64Array(span);
    const met = new Uint32Array(span);
    const judged = new Uint32Array(span);
    // One pass selects, groups and counts. A row counts in each of its categories: its first
    // group, then (by category) the next bit, in the loop itself rather than through a
    // function, which would cost a call per row.
    let n = 0;
    for (let r = 0; r < table.length; r++) {
      if (!passes(match, table, regionOf, r)) continue;
      const ms = duration[r];
      const f = flags[r];
      const outcome = (f >>> OUTCOME_SHIFT) & 3;
      const l = labels[r];
      let bits = byCategory ? f & CATEGORY_MASK : 0;
      let g = byCategory
        ? lowestCategory(bits)
        : kind === GROUP.label
          ? (l >>> shift) & width
          : kind === GROUP.region
            ? regionOf[l & COUNTRY_MASK]
            : kind === GROUP.week
              ? weekOf(dayOf(started[r])) + WEEK_BASE
              : months[dayOf(started[r]) + DAY_BASE] + MONTH_BASE;
      rows[n] = r; // no rewritten rows here: sorted() has taken them out
      groups[n++] = g;
      for (;;) {
        counts[g]++;
        sumMs[g] += ms;
        maxMs[g] = ms; // ascending: the last is the largest
        if (outcome !== 0) {
          judged[g]++;
          met[g] += outcome - 1;
        }
        bits &= bits - 1;
        if (bits === 0) break;
        g = lowestCategory(bits);
      }
    }
    if (n === 0) return [];
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
    for (let k = 0; k < n; k++) {
      const r = rows[k];
      let bits = byCategory ? flags[r] & CATEGORY_MASK : 0;
      for (let g = groups[k]; ; g = lowestCategory(bits)) {
        const t = next[g];
        if (t < firstRank[g + 1] && rankAt[t] === seen[g]) {
          hoursAt[t] = duration[r] / HOUR_MS;
          next[g] = t + 1;
        }
        seen[g]++;
        bits &= bits - 1;
        if (bits === 0) break;
      }
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

  /**
   * Stopped clocks of the facts matching the filter by outcome, and their open clocks by state
   * at `nowMs` (breaching once due, at risk once warned) and by hours left (`limitsHours`,
   * ascending: a clock with h hours left counts in the bucket after every limit ≤ h).
   */
  compliance(filter: FactFilter, nowMs: number, limitsHours: readonly number[]): ComplianceFigures {
    const figures: ComplianceFigures = {
      met: 0,
      breached: 0,
      running: 0,
      atRisk: 0,
      breaching: 0,
      paused: 0,
      byRemaining: new Array<number>(limitsHours.length + 1).fill(0),
    };
    const match = this.matcher(filter);
    if (!match) return figures;
    const regionOf = this.regionOfCountry;
    let met = 0;
    let judged = 0;
    for (const table of this.tablesOf(METRIC_CODES[filter.metric]).all) {
      // One pass, the tests as in `select`; open clocks are few, and counted aside.
      const { flags, slot, clocks } = table;
      for (let r = 0; r < table.length; r++) {
        if (slot[r] < 0 || !passes(match, table, regionOf, r)) continue;
        const f = flags[r];
        const outcome = (f >>> OUTCOME_SHIFT) & 3;
        if (outcome !== 0) {
          judged++;
          met += outcome - 1;
        }
        const state = (f >>> CLOCK_SHIFT) & 3;
        if (state !== 0 && clocks) countOpen(figures, state, clocks, r, nowMs, limitsHours);
      }
    }
    figures.met = met;
    figures.breached = judged - met;
    return figures;
  }

  /** Requests received per country in the range (facts of one request metric, measured or not). */
  requestsByCountry(filter: Omit<FactFilter, 'metric'>): Map<string, number> {
    const counts = new Uint32Array(256);
    for (const table of this.tablesOf(METRIC_CODES.request_to_first_dispatch).all) {
      const rows = this.select(filter, table);
      for (let k = 0; k < rows.length; k++) counts[table.labels[rows[k]] & COUNTRY_MASK]++;
    }
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
   * The filter as the store tests it: the range, the labels as one masked word (country,
   * priority, mode, carrier), the region and a category bit. Null if it names a value never
   * stored, which nothing matches.
   */
  private matcher(f: Omit<FactFilter, 'metric'>): Matcher | null {
    const code = (codes: Codes, value: string | undefined): number =>
      value === undefined ? -1 : (codes.find(value) ?? -2);
    const country = code(this.countries, f.country);
    const region = code(this.regions, f.region);
    const carrier = code(this.carriers, f.carrierId);
    const priority = code(this.priorities, f.priority);
    const mode = code(this.modes, f.mode);
    const category = code(this.categoryBits, f.category);
    if ([country, region, carrier, priority, mode, category].includes(-2)) return null;
    let mask = 0;
    let want = 0;
    for (const [value, shift, width] of [
      [country, 0, COUNTRY_MASK],
      [priority, PRIORITY_SHIFT, 0xf],
      [mode, MODE_SHIFT, 0xf],
      [carrier, CARRIER_SHIFT, 0xffff],
    ]) {
      if (value < 0) continue;
      mask |= width << shift;
      want |= value << shift;
    }
    return {
      from: Math.max(f.fromMs ?? EARLIEST_MS, EARLIEST_MS),
      to: Math.min(f.toMs ?? LATEST_MS, LATEST_MS),
      mask: mask >>> 0,
      want: want >>> 0,
      region,
      bit: category > 0 ? 1 << (category - 1) : 0,
    };
  }

  /** The rows of the table matching the filter, in table order, in one pass. */
  private select(f: Omit<FactFilter, 'metric'>, table: FactTable): Int32Array {
    const match = this.matcher(f);
    if (!match) return new Int32Array(0);
    const out = this.scratch.rows(table.length);
    const regionOf = this.regionOfCountry;
    let n = 0;
    for (let r = 0; r < table.length; r++) {
      // Rewritten rows wait, marked, to be taken out.
      if (table.slot[r] >= 0 && passes(match, table, regionOf, r)) out[n++] = r;
    }
    return out.subarray(0, n);
  }

  /** How a row's group is found, how many groups there can be, and their keys. */
  private grouping(groupBy: TurnaroundGroupBy): Grouping {
    const byLabel = (shift: number, width: number, codes: Codes, span = width + 1): Grouping => ({
      kind: GROUP.label,
      shift,
      width,
      span,
      label: (g) => codes.values[g] ?? null,
    });
    const other = { shift: 0, width: 0 };
    switch (groupBy) {
      case 'country':
        return byLabel(0, COUNTRY_MASK, this.countries);
      case 'carrier':
        return byLabel(CARRIER_SHIFT, 0xffff, this.carriers, this.carriers.values.length);
      case 'priority':
        return byLabel(PRIORITY_SHIFT, 0xf, this.priorities);
      case 'mode':
        return byLabel(MODE_SHIFT, 0xf, this.modes);
      case 'region':
        return {
          kind: GROUP.region,
          ...other,
          span: 256,
          label: (g) => this.regions.values[g] ?? null,
        };
      case 'week':
        return {
          kind: GROUP.week,
          ...other,
          span: WEEK_SPAN,
          label: (g) => weekKey(g - WEEK_BASE),
        };
      case 'month':
        return {
          kind: GROUP.month,
          ...other,
          span: MONTH_SPAN,
          label: (g) => monthKey(g - MONTH_BASE),
        };
      case 'category':
        return {
          kind: GROUP.category,
          ...other,
          span: MAX_CATEGORIES + 1,
          label: (g) => this.categoryBits.values[g] ?? null,
        };
    }
  }

  private tablesOf(metric: number): MetricTables {
    let tables = this.tables[metric];
    if (!tables) {
      tables = new MetricTables();
      this.tables[metric] = tables;
    }
    return tables;
  }

  /**
   * The metric's sorted table, first brought up to date: rewritten rows taken out, and the
   * staged ones sorted by duration (a radix sort) and merged in, from the back, in place.
   */
  private sorted(tables: MetricTables): FactTable {
    const { sorted, staged } = tables;
    if (staged.length === 0 && tables.removed === 0) return sorted;
    if (tables.removed > 0) {
      let kept = 0;
      for (let r = 0; r < sorted.length; r++) {
        if (sorted.slot[r] < 0) continue;
        if (kept !== r) sorted.copy(r, kept);
        kept++;
      }
      sorted.length = kept;
      tables.removed = 0;
    }
    const rows = this.scratch.rows(staged.length);
    for (let r = 0; r < staged.length; r++) rows[r] = r;
    const order = sortByValue(rows, staged.duration);
    if (sorted.length === 0) {
      // Everything is new (the first load): the staged rows are put in order where they are,
      // and become the sorted table, rather than copied into a second one as large.
      staged.permute(order);
      tables.sorted = staged;
      tables.staged = sorted;
      sorted.shrink();
      return this.placed(tables.sorted);
    }
    sorted.reserve(sorted.length + staged.length);
    let a = sorted.length - 1;
    let b = order.length - 1;
    for (let w = sorted.length + staged.length - 1; b >= 0; w--) {
      if (a >= 0 && sorted.duration[a] > staged.duration[order[b]]) sorted.copy(a--, w);
      else sorted.copy(order[b--], w, staged);
    }
    sorted.length += staged.length;
    staged.length = 0;
    staged.shrink();
    return this.placed(sorted);
  }

  /** Points every fact of this sorted table at its row. */
  private placed(sorted: FactTable): FactTable {
    for (let r = 0; r < sorted.length; r++) {
      const slot = sorted.slot[r];
      this.rowOf[slot] = r;
      this.tableOf[slot] = (this.tableOf[slot] & ~3) | TABLE.sorted;
    }
    return sorted;
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

/** Whether row `r` of the table passes the filter: its range, labels, region and category. */
function passes(m: Matcher, table: FactTable, regionOf: Uint8Array, r: number): boolean {
  const start = table.started[r];
  if (!(start >= m.from && start < m.to)) return false;
  const l = table.labels[r];
  if ((l & m.mask) >>> 0 !== m.want) return false;
  if (m.region >= 0 && regionOf[l & COUNTRY_MASK] !== m.region) return false;
  return m.bit === 0 || (table.flags[r] & m.bit) !== 0;
}

/** The group of the lowest category bit set (0, no category, when none). */
function lowestCategory(bits: number): number {
  return bits === 0 ? 0 : 32 - Math.clz32(bits & -bits);
}

/** Counts an open clock by its state at `nowMs` and by the hours it has left. */
function countOpen(
  figures: ComplianceFigures,
  state: number,
  clocks: NonNullable<FactTable['clocks']>,
  r: number,
  nowMs: number,
  limitsHours: readonly number[],
): void {
  let leftMs: number;
  if (state === PAUSED) {
    figures.paused++;
    leftMs = clocks.left[r];
  } else {
    leftMs = clocks.due[r] - nowMs;
    if (leftMs <= 0) figures.breaching++;
    else if (clocks.warn[r] <= nowMs) figures.atRisk++;
    else figures.running++;
  }
  const hours = leftMs / HOUR_MS;
  let bucket = 0;
  while (bucket < limitsHours.length && limitsHours[bucket] <= hours) bucket++;
  figures.byRemaining[bucket]++;
}

interface Matcher {
  from: number;
  to: number;
  mask: number;
  want: number;
  region: number;
  bit: number;
}

const GROUP = { label: 0, region: 1, week: 2, month: 3, category: 4 } as const;

interface Grouping {
  kind: (typeof GROUP)[keyof typeof GROUP];
  /** For a label: where it sits in the labels word, and its mask. */
  shift: number;
  width: number;
  span: number;
  label: (g: number) => string | null;
}

/** Which table of its metric holds a fact: the low two bits of `tableOf` (the metric above). */
const TABLE = { none: 0, sorted: 1, staged: 2, open: 3 } as const;

/** A metric's facts: measured ones by duration, measured ones to merge in, unmeasured ones. */
class MetricTables {
  sorted = new FactTable();
  staged = new FactTable();
  readonly open = new FactTable();
  /** Rows of `sorted` rewritten since the last merge (their slot set to −1). */
  removed = 0;

  get all(): FactTable[] {
    return [this.sorted, this.staged, this.open];
  }

  byKind(kind: number): FactTable {
    return kind === TABLE.sorted ? this.sorted : kind === TABLE.staged ? this.staged : this.open;
  }
}

/**
 * Working arrays reused by every report: a report is computed synchronously, start to end, so
 * one set serves them all, and report load allocates nothing large.
 */
class Scratch {
  private buffers = {
    rows: new Int32Array(0),
    groups: new Uint16Array(0),
  };

  rows(n: number): Int32Array {
    return this.take('rows', n);
  }
  groups(n: number): Uint16Array {
    return this.take('groups', n);
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

/** Keys in order, unknown last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
