import { SLA_METRICS, type SlaMetric } from '../sla/sla-clock';

/** The intervals turnaround reports measure: the SLA metrics. */
export const REPORT_METRICS = SLA_METRICS;
export type ReportMetric = SlaMetric;

export const TURNAROUND_GROUP_BYS = [
  'country',
  'region',
  'carrier',
  'priority',
  'mode',
  'category',
  'week',
  'month',
] as const;
export type TurnaroundGroupBy = (typeof TURNAROUND_GROUP_BYS)[number];

/** Open clocks by the time they have left (hours; `overdue` is past the deadline). */
export const REMAINING_BUCKETS = [
  { bucket: 'overdue', upToHours: 0 },
  { bucket: '0-6h', upToHours: 6 },
  { bucket: '6-24h', upToHours: 24 },
  { bucket: '24-48h', upToHours: 48 },
  { bucket: '48-96h', upToHours: 96 },
  { bucket: 'over-96h', upToHours: Infinity },
] as const;
