import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../errors/domain-error';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One column of an export: its header and its cell, read from the JSON list's item. */
export interface ExportColumn<T> {
  header: string;
  value: (item: T) => string | number | boolean | null | undefined;
}

/** Rows fetched per page: memory stays one page, whatever the export's size. */
export const EXPORT_PAGE = 1_000;

const CONTENT_TYPE: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * Streams a list as CSV (UTF-8 with a byte-order mark, so Excel reads Arabic) or XLSX, a page
 * at a time from `page` (the JSON list's own paging, so its filters and scope are the
 * export's): a 100,000-row export never holds more than a page, and waits for a slow client.
 */
export async function streamExport<T>(
  reply: FastifyReply,
  format: ExportFormat,
  name: string,
  columns: ExportColumn<T>[],
  page: (cursor?: string) => Promise<{ data: T[]; nextCursor: string | null }>,
): Promise<void> {
  const body = new PassThrough();
  const first = await page();
  reply
    .header('content-type', CONTENT_TYPE[format])
    .header('content-disposition', `attachment; filename="${name}.${format}"`)
    .header('cache-control', 'no-store');
  void reply.send(body);
  const cells = (item: T) =>
    columns.map((c) => {
      const v = c.value(item);
      return v === null || v === undefined ? '' : v;
    });
  try {
    if (format === 'csv') {
      const csv = stringify({ bom: true });
      csv.pipe(body);
      const write = async (row: unknown[]) => {
        if (!csv.write(row)) await once(csv, 'drain');
      };
      await write(columns.map((c) => c.header));
      for (let current = first; ; current = await page(current.nextCursor!)) {
        for (const item of current.data) await write(cells(item));
        if (!current.nextCursor) break;
      }
      csv.end();
    } else {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
        stream: body,
        useStyles: false,
        useSharedStrings: false,
      });
      const sheet = workbook.addWorksheet(name);
      sheet.addRow(columns.map((c) => c.header)).commit();
      for (let current = first; ; current = await page(current.nextCursor!)) {
        for (const item of current.data) sheet.addRow(cells(item)).commit();
        // Let the zip stream drain before the next page.
        if (body.writableNeedDrain) await once(body, 'drain');
        if (!current.nextCursor) break;
      }
      sheet.commit();
      await workbook.commit();
    }
  } catch (error) {
    // The status is sent: all that is left is to cut the download short, visibly.
    body.destroy(error as Error);
  }
}

/** The format a route's `:format` names, or a 404 for any other. */
export function exportFormat(format: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(format)) return format as ExportFormat;
  throw new DomainError(
    'not_found',
    `Lists export as export.csv or export.xlsx, not export.${format}.`,
  );
}
