import { stringify } from 'csv-stringify/sync';
import type { ComplianceReportDto, CoverageReportDto, TurnaroundReportDto } from './dto/report.dto';
import { REMAINING_BUCKETS } from './report-vocabulary';

/** The reports as CSV, for the API (`Accept: text/csv`) and the console's downloads alike. */
const TURNAROUND_COLUMNS = [
  'metric',
  'groupBy',
  'key',
  'label',
  'count',
  'meanHours',
  'p50Hours',
  'p90Hours',
  'p95Hours',
  'maxHours',
  'withinSlaShare',
];
const COMPLIANCE_COLUMNS = [
  'asOf',
  'metric',
  'met',
  'breached',
  'withinSlaShare',
  'running',
  'atRisk',
  'breaching',
  'paused',
  ...REMAINING_BUCKETS.map((b) => `open_${b.bucket}`),
];
const COVERAGE_COLUMNS = [
  'country',
  'itemCode',
  'itemName',
  'category',
  'requested',
  'dispatched',
  'delivered',
];

/** CSV with a header line, also when there are no rows. */
function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  return stringify(rows, { header: true, columns, cast: { date: (d) => d.toISOString() } });
}

export function csvHeaders(name: string): Record<string, string> {
  return {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name}.csv"`,
  };
}

export function turnaroundCsv(report: TurnaroundReportDto): string {
  return toCsv(
    TURNAROUND_COLUMNS,
    report.rows.map((r) => ({ metric: report.metric, groupBy: report.groupBy, ...r })),
  );
}

export function complianceCsv(report: ComplianceReportDto): string {
  return toCsv(
    COMPLIANCE_COLUMNS,
    report.metrics.map(({ openByRemaining, ...m }) => ({
      asOf: report.asOf,
      ...m,
      ...Object.fromEntries(openByRemaining.map((b) => [`open_${b.bucket}`, b.count])),
    })),
  );
}

export function coverageCsv(report: CoverageReportDto): string {
  return toCsv(COVERAGE_COLUMNS, report.items as unknown as Record<string, unknown>[]);
}
