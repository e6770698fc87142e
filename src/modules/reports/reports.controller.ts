import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { ApiValidationResponses } from '../../common/http/problem.dto';
import { Roles } from '../auth/auth.decorators';
import {
  ComplianceQueryDto,
  ComplianceReportDto,
  CoverageQueryDto,
  CoverageReportDto,
  type ReportRangeDto,
  TurnaroundQueryDto,
  TurnaroundReportDto,
} from './dto/report.dto';
import { complianceCsv, coverageCsv, csvHeaders, turnaroundCsv } from './report-csv';
import { ReportsService } from './reports.service';

type Format = 'json' | 'csv';

/**
 * The format the client accepts: JSON unless `text/csv` ranks higher in its Accept header.
 * (A dozen lines rather than a content-negotiation plugin for two media types.)
 */
export function reportFormat(accept: string | undefined): Format {
  if (!accept) return 'json';
  let best: { format: Format; q: number } | null = null;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const format: Format | null =
      type === 'text/csv'
        ? 'csv'
        : ['application/json', 'application/*', '*/*'].includes(type)
          ? 'json'
          : null;
    if (format && (!best || q > best.q)) best = { format, q };
  }
  if (!best) {
    throw new DomainError(
      'not_acceptable',
      'Reports are available as application/json or text/csv.',
    );
  }
  return best.format;
}

function assertRange(q: ReportRangeDto): void {
  if (q.from && q.to && q.from.getTime() >= q.to.getTime()) {
    throw fieldError('to', 'to must be after from');
  }
}

function csv(reply: FastifyReply, name: string, body: string): string {
  for (const [header, value] of Object.entries(csvHeaders(name))) reply.header(header, value);
  return body;
}

@ApiTags('reports')
@Controller('reports')
@ApiValidationResponses()
@Roles('coordinator', 'operator', 'viewer')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  /**
   * Turnaround for one metric, per group: count, mean, exact p50 / p90 / p95 (as
   * percentile_cont), max, in hours, and the share within SLA. Values are counted in the range
   * by when their interval started (receipt of the request, or dispatch). `Accept: text/csv`
   * gives CSV.
   */
  @Get('turnaround')
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: TurnaroundReportDto })
  async turnaround(
    @Query() q: TurnaroundQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TurnaroundReportDto | string> {
    const format = reportFormat(accept);
    assertRange(q);
    const report = await this.reports.turnaround(q);
    if (format === 'json') return report;
    return csv(reply, `turnaround-${q.metric}-by-${q.groupBy}`, turnaroundCsv(report));
  }

  /** Clocks met and breached (started in the range), and those open now by time left. */
  @Get('sla-compliance')
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: ComplianceReportDto })
  async compliance(
    @Query() q: ComplianceQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ComplianceReportDto | string> {
    const format = reportFormat(accept);
    assertRange(q);
    const report = await this.reports.compliance(q);
    if (format === 'json') return report;
    return csv(reply, 'sla-compliance', complianceCsv(report));
  }

  /**
   * Countries that asked and that received, and quantities requested, dispatched and delivered
   * per country and item, for requests received in the range (whole UTC days). CSV gives the
   * per-item rows.
   */
  @Get('coverage')
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: CoverageReportDto })
  async coverage(
    @Query() q: CoverageQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CoverageReportDto | string> {
    const format = reportFormat(accept);
    assertRange(q);
    const report = await this.reports.coverage(q);
    if (format === 'json') return report;
    return csv(reply, 'coverage', coverageCsv(report));
  }
}
