import { Controller, Get, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController, PartialType } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles, SessionAuth } from '../auth/auth.decorators';
import {
  ComplianceQueryDto,
  CoverageQueryDto,
  TurnaroundQueryDto,
} from '../reports/dto/report.dto';
import { complianceCsv, coverageCsv, csvHeaders, turnaroundCsv } from '../reports/report-csv';
import { REPORT_METRICS, TURNAROUND_GROUP_BYS } from '../reports/report-vocabulary';
import { ReportsService } from '../reports/reports.service';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';
import { turnaroundChartSvg } from './turnaround-chart';
import { type Coverage, worldMapSvg } from './world-map';

const READERS = ['coordinator', 'operator', 'viewer'] as const;

/** The reports page opens on request-to-first-dispatch by country; the form changes both. */
export class ReportsPageQueryDto extends PartialType(TurnaroundQueryDto) {}

/** Turnaround (chart and table), SLA compliance and coverage (world map), each as CSV too. */
@ApiExcludeController()
@Controller('console/reports')
@SessionAuth()
@Roles(...READERS)
@UseFilters(ConsoleExceptionFilter)
export class ConsoleReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  async page(
    @Query() q: ReportsPageQueryDto,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const query: TurnaroundQueryDto = {
      ...q,
      metric: q.metric ?? 'request_to_first_dispatch',
      groupBy: q.groupBy ?? 'country',
    };
    const range = { from: query.from, to: query.to };
    const [turnaround, compliance, coverage] = await Promise.all([
      this.reports.turnaround(query),
      this.reports.compliance(range),
      this.reports.coverage(range),
    ]);
    const tr = this.view.translator(req);
    const label = (key: string | null, fallback: string) =>
      query.groupBy === 'country' && key ? tr.country(key) : tr.label(key) || fallback;
    const rows = turnaround.rows.map((r) => ({ ...r, label: label(r.key, r.label) }));
    const chart = turnaroundChartSvg(rows, {
      title: tr.t('reports.chartTitle', { group: tr.label(query.groupBy) }),
      number: (n) => tr.number(n, 1),
      hours: tr.t('reports.hours'),
    });
    const states = new Map<string, Coverage>(
      coverage.countries.map((c) => [c.country, c.received ? 'received' : 'asked']),
    );
    const map = worldMapSvg(states, {
      title: tr.t('reports.mapTitle'),
      name: (code) => tr.country(code),
      state: (s) =>
        s === 'received'
          ? tr.t('reports.receivedLegend')
          : s === 'asked'
            ? tr.t('reports.asked')
            : tr.t('reports.notAsked'),
    });
    const csvQuery = (params: Record<string, unknown>) =>
      new URLSearchParams(
        Object.entries(params)
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]): [string, string] => [k, v instanceof Date ? v.toISOString() : String(v)]),
      ).toString();
    return this.view.page(req, reply, 'reports', {
      query,
      metrics: REPORT_METRICS,
      groupBys: TURNAROUND_GROUP_BYS,
      rows,
      chart,
      compliance,
      coverage,
      map,
      csv: {
        turnaround: `/console/reports/turnaround.csv?${csvQuery({ ...query })}`,
        compliance: `/console/reports/sla-compliance.csv?${csvQuery(range)}`,
        coverage: `/console/reports/coverage.csv?${csvQuery(range)}`,
      },
      dateInput: (d: Date | undefined) => (d ? d.toISOString().slice(0, 10) : ''),
    });
  }

  @Get('turnaround.csv')
  async turnaroundCsv(@Query() q: TurnaroundQueryDto, @Res() reply: FastifyReply) {
    const report = await this.reports.turnaround(q);
    return reply
      .headers(csvHeaders(`turnaround-${q.metric}-by-${q.groupBy}`))
      .send(turnaroundCsv(report));
  }

  @Get('sla-compliance.csv')
  async complianceCsv(@Query() q: ComplianceQueryDto, @Res() reply: FastifyReply) {
    return reply
      .headers(csvHeaders('sla-compliance'))
      .send(complianceCsv(await this.reports.compliance(q)));
  }

  @Get('coverage.csv')
  async coverageCsv(@Query() q: CoverageQueryDto, @Res() reply: FastifyReply) {
    return reply.headers(csvHeaders('coverage')).send(coverageCsv(await this.reports.coverage(q)));
  }
}
