import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import { makeApprovedRequest, makeItem, makePlannedShipment } from '../helpers/factories';

function binary(res: NodeJS.ReadableStream, done: (e: Error | null, body: unknown) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('lists exported as CSV and XLSX', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    const item = await makeItem(t);
    for (let i = 0; i < 7; i++) {
      await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 10 + i }], {
        recipientCountry: i % 2 ? 'SO' : 'TD',
        destination: i % 2 ? 'SOMGQ' : 'TDNDJ',
        organisation: i % 2 ? 'وزارة الصحة' : 'Ministère de la Santé',
      });
    }
    await makePlannedShipment(t);
  });
  afterAll(() => t.close());

  async function exported(path: string, format: 'csv' | 'xlsx'): Promise<string[][]> {
    const res = await t.http
      .get(path.replace('?', `/export.${format}?`))
      .set(bearer(t.adminKey))
      .buffer(true)
      .parse(binary as never);
    expect(res.status).toBe(200);
    if (format === 'csv') {
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      return parse((res.body as Buffer).toString('utf8'), { bom: true }) as string[][];
    }
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    const rows: string[][] = [];
    const sheet = workbook.worksheets[0];
    const width = sheet.getRow(1).cellCount;
    sheet.eachRow((row) => {
      rows.push(Array.from({ length: width }, (_, i) => row.getCell(i + 1).text));
    });
    return rows;
  }

  it('gives the filtered requests list, row for row, as the JSON list does', async () => {
    const json = await t.http.get('/api/v1/requests?country=SO&limit=200').set(bearer(t.adminKey));
    expect(json.body.data.length).toBe(3);
    const expected = json.body.data.map((r: any) => [
      r.reference,
      r.status,
      r.recipientCountry,
      r.organisation,
      r.destination,
      r.priority,
      r.kind,
      r.receivedAt,
      r.neededBy ?? '',
      r.firstDispatchAt ?? '',
      r.deliveredAt ?? '',
      String(r.lines.length),
      r.notes ?? '',
      r.id,
    ]);
    for (const format of ['csv', 'xlsx'] as const) {
      const [header, ...rows] = await exported('/api/v1/requests?country=SO', format);
      expect(header.slice(0, 3)).toEqual(['reference', 'status', 'recipientCountry']);
      expect([format, rows]).toEqual([format, expected]);
    }
  });

  it('exports the whole unfiltered list, and shipments and alerts too; refuses another format', async () => {
    const all = await t.http.get('/api/v1/requests?limit=200').set(bearer(t.adminKey));
    const [, ...rows] = await exported('/api/v1/requests?', 'csv');
    expect(rows.map((r) => r[0])).toEqual(all.body.data.map((r: any) => r.reference));
    const shipments = await t.http.get('/api/v1/shipments?limit=200').set(bearer(t.adminKey));
    const [shipmentHeader, ...shipmentRows] = await exported('/api/v1/shipments?', 'xlsx');
    expect(shipmentHeader[0]).toBe('reference');
    expect(shipmentRows.map((r) => r[0])).toEqual(shipments.body.data.map((s: any) => s.reference));
    const [alertHeader] = await exported('/api/v1/alerts?', 'csv');
    expect(alertHeader.slice(0, 3)).toEqual(['reference', 'kind', 'state']);
    const pdf = await t.http.get('/api/v1/requests/export.pdf').set(bearer(t.adminKey));
    expect(pdf.status).toBe(404);
    expect(pdf.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
