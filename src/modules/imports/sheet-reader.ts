import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { DomainError, fieldError } from '../../common/errors/domain-error';

/** An import's limits: larger files are refused 413 before they are read. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 20_000;

const isZip = (file: Buffer) => file.length > 4 && file.readUInt32LE(0) === 0x04034b50;

/** A cell as a person reads it: dates as YYYY-MM-DD, numbers as written, text as text. */
function cellText(cell: ExcelJS.Cell): string {
  const value = cell.value;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return String(value);
  return (cell.text ?? '').trim();
}

async function readXlsx(file: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(file as unknown as ArrayBuffer);
  } catch (error) {
    throw fieldError('file', `is not a readable XLSX workbook (${(error as Error).message})`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw fieldError('file', 'has no worksheet');
  if (sheet.actualRowCount > MAX_IMPORT_ROWS + 1) tooManyRows(sheet.actualRowCount - 1);
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, number) => {
    const cells: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c)));
    rows[number - 1] = cells;
  });
  return Array.from(rows, (r) => r ?? []);
}

function readCsv(file: Buffer): string[][] {
  const text = file.toString('utf8');
  if (text.includes('\uFFFD')) throw fieldError('file', 'is not UTF-8 text: save the CSV as UTF-8');
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  // Spreadsheets in French (and other) locales write CSV with semicolons.
  const delimiter =
    (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  try {
    return parse(text, {
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (error) {
    throw fieldError('file', `is not a readable CSV file (${(error as Error).message})`);
  }
}

function tooManyRows(rows: number): never {
  throw new DomainError(
    'payload_too_large',
    `The file has ${rows} rows; an import takes at most ${MAX_IMPORT_ROWS}: split it.`,
  );
}

/** The first sheet of an XLSX workbook, or a CSV file, as rows of text cells. */
export async function readTable(file: Buffer): Promise<string[][]> {
  if (file.length === 0) throw fieldError('file', 'is empty');
  const rows = isZip(file) ? await readXlsx(file) : readCsv(file);
  if (rows.length > MAX_IMPORT_ROWS + 1) tooManyRows(rows.length - 1);
  if (rows.length < 2) throw fieldError('file', 'has no row under its header');
  return rows;
}

/** The template as XLSX: the header row, a row saying what each column takes, two examples. */
export async function templateXlsx(
  columns: readonly { header: string; note: string }[],
  examples: string[][],
): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('requests');
  sheet.addRow(columns.map((c) => c.header)).font = { bold: true };
  for (const example of examples) sheet.addRow(example);
  columns.forEach((c, i) => {
    const column = sheet.getColumn(i + 1);
    column.width = Math.max(14, c.header.length + 4);
    sheet.getCell(1, i + 1).note = c.note;
  });
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
