import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { fieldError } from '../../common/errors/domain-error';
import type {
  ComplianceQueryDto,
  ComplianceReportDto,
  CoverageQueryDto,
  CoverageReportDto,
  TurnaroundQueryDto,
  TurnaroundReportDto,
} from './dto/report.dto';
import { countryName, DAY_MS, dayOf, regionName, regionOf } from './report-keys';
import { type Cursor, parseFacts, ReportRollupsRepository } from './report-rollups.repository';
import { type FactFilter, ReportStore } from './report-store';
import { REMAINING_BUCKETS, REPORT_METRICS } from './report-vocabulary';

const LOAD_PAGE = 20_000;

/**
 * Answers the reports from the rollups, kept in this process as columns (`ReportStore`). Before
 * each report it reads what changed in PostgreSQL since its last read, so a report reflects every
 * rollup committed before it was asked for. The first report loads all of them.
 */
@Injectable()
export class ReportsService {
  private readonly store = new ReportStore();
  /** Rollup rows written by transactions from this one on may be new to the store. */
  private sinceTx = '0';
  private syncing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly rollups: ReportRollupsRepository,
    private readonly clock: Clock,
  ) {}

  async turnaround(q: TurnaroundQueryDto): Promise<TurnaroundReportDto> {
    await this.sync();
    const labels = q.groupBy === 'carrier' ? await this.carrierNames() : null;
    const rows = this.store.turnaround({ ...this.scope(q), metric: q.metric }, q.groupBy);
    return {
      metric: q.metric,
      groupBy: q.groupBy,
      from: q.from ?? null,
      to: q.to ?? null,
      rows: rows.map(({ key, ...figures }) => ({
        key,
        label: key === null ? 'unknown' : labelOf(q.groupBy, key, labels),
        ...figures,
      })),
    };
  }

  async compliance(q: ComplianceQueryDto): Promise<ComplianceReportDto> {
    await this.sync();
    const now = this.clock.now();
    const scope = this.scope(q);
    const limits = REMAINING_BUCKETS.slice(0, -1).map((b) => b.upToHours);
    const metrics = q.metric ? [q.metric] : REPORT_METRICS;
    return {
      from: q.from ?? null,
      to: q.to ?? null,
      asOf: now,
      metrics: metrics.map((metric) => {
        const f = this.store.compliance({ ...scope, metric }, now.getTime(), limits);
        return {
          metric,
          met: f.met,
          breached: f.breached,
          withinSlaShare: f.met + f.breached === 0 ? null : f.met / (f.met + f.breached),
          running: f.running,
          atRisk: f.atRisk,
          breaching: f.breaching,
          paused: f.paused,
          openByRemaining: REMAINING_BUCKETS.map((b, i) => ({
            bucket: b.bucket,
            count: f.byRemaining[i],
          })),
        };
      }),
    };
  }

  async coverage(q: CoverageQueryDto): Promise<CoverageReportDto> {
    for (const [field, at] of [
      ['from', q.from],
      ['to', q.to],
    ] as const) {
      if (at && at.getTime() % DAY_MS !== 0) {
        throw fieldError(field, 'coverage is counted by day: give a date (YYYY-MM-DD)');
      }
    }
    await this.sync();
    const items = new Map((await this.rollups.items()).map((i) => [i.id, i]));
    const itemIds = q.category
      ? new Set([...items.values()].filter((i) => i.category === q.category).map((i) => i.id))
      : null;
    const cells = this.store.coverage(
      q.from ? dayOf(q.from.getTime()) : -Infinity,
      q.to ? dayOf(q.to.getTime()) : Infinity,
      q.country,
      q.region,
      itemIds,
    );
    const asked = this.store.requestsByCountry(this.scope(q));
    const countries = new Map<
      string,
      { requested: number; dispatched: number; delivered: number }
    >();
    for (const c of cells) {
      const sum = countries.get(c.country) ?? { requested: 0, dispatched: 0, delivered: 0 };
      sum.requested += c.requested;
      sum.dispatched += c.dispatched;
      sum.delivered += c.delivered;
      countries.set(c.country, sum);
    }
    const codes = [...new Set([...asked.keys(), ...countries.keys()])].sort();
    const received = codes.filter((c) => (countries.get(c)?.delivered ?? 0) > 0);
    return {
      from: q.from ?? null,
      to: q.to ?? null,
      countriesAsked: asked.size,
      countriesReceived: received.length,
      receivedShare:
        asked.size === 0 ? null : received.filter((c) => asked.has(c)).length / asked.size,
      countries: codes.map((country) => {
        const sum = countries.get(country) ?? { requested: 0, dispatched: 0, delivered: 0 };
        return {
          country,
          name: countryName(country),
          region: regionOf(country)?.name ?? null,
          requests: asked.get(country) ?? 0,
          ...sum,
          received: sum.delivered > 0,
        };
      }),
      items: cells
        .map((c) => {
          const item = items.get(c.itemId);
          return {
            country: c.country,
            itemCode: item?.code ?? c.itemId,
            itemName: item?.name ?? '',
            category: item?.category ?? '',
            requested: c.requested,
            dispatched: c.dispatched,
            delivered: c.delivered,
          };
        })
        .sort((a, b) =>
          a.country === b.country
            ? a.itemCode.localeCompare(b.itemCode)
            : a.country.localeCompare(b.country),
        ),
    };
  }

  /**
   * Brings the store up to date with the rollups. Concurrent callers share a load; a caller that
   * arrives during one waits for the next, which starts after it (so it sees what committed
   * before it asked).
   */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.load().finally(() => {
        this.syncing = null;
      });
      return this.syncing;
    }
    this.queued ??= this.syncing.then(() => {
      this.queued = null;
      return this.sync();
    });
    return this.queued;
  }

  private async load(): Promise<void> {
    const horizon = await this.rollups.horizon();
    if (this.sinceTx === '0') {
      const { facts, cells } = await this.rollups.maxIds();
      this.store.reserve(facts, cells);
      // Tables sized once, not grown row by row: the freed arrays of a growing table would stay
      // in the allocator's hands, and in the process's memory.
      for (const c of await this.rollups.factCounts()) {
        this.store.reserveFacts(c.metric, c.measured, c.open);
      }
    }
    let page = this.rollups.factsSince({ tx: this.sinceTx, id: 0 }, LOAD_PAGE);
    for (;;) {
      const { lines, next } = await page;
      // PostgreSQL writes the next page while this one is parsed and stored.
      if (next) {
        page = this.rollups.factsSince(next, LOAD_PAGE);
        // Awaited next time round; marked handled now in case storing this page throws first.
        page.catch(() => undefined);
      }
      for (const row of parseFacts(lines)) this.store.putFact(row);
      if (!next) break;
    }
    for (let at: Cursor | null = { tx: this.sinceTx, id: 0 }; at;) {
      const page = await this.rollups.cellsSince(at, LOAD_PAGE);
      for (const row of page.rows) this.store.putCell(row);
      at = page.next;
    }
    this.store.settle();
    this.sinceTx = horizon;
  }

  /** A report query's range and filters (those a report does not take stay undefined). */
  private scope(q: Partial<TurnaroundQueryDto>): Omit<FactFilter, 'metric'> {
    return {
      fromMs: q.from?.getTime(),
      toMs: q.to?.getTime(),
      country: q.country,
      region: q.region,
      carrierId: q.carrierId,
      priority: q.priority,
      mode: q.mode,
      category: q.category,
    };
  }

  private async carrierNames(): Promise<Map<string, string>> {
    return new Map((await this.rollups.carriers()).map((c) => [c.id, `${c.name} (${c.code})`]));
  }
}

function labelOf(groupBy: string, key: string, carriers: Map<string, string> | null): string {
  switch (groupBy) {
    case 'country':
      return countryName(key);
    case 'carrier':
      return carriers?.get(key) ?? key;
    case 'region':
      return regionName(key);
    default:
      return key;
  }
}
