import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import { makeItem, unique } from '../helpers/factories';

const PROBLEM = /^application\/problem\+json/;
const HEADER = [
  'request_ref',
  'country',
  'destination',
  'requested_by',
  'priority',
  'kind',
  'item',
  'quantity',
  'need_by',
  'received_at',
  'notes',
];

/** A workbook of rows given without received_at, which is `receivedAt` on every row. */
async function xlsx(rows: (string | number | Date)[][], receivedAt = ''): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('requests');
  sheet.addRow(HEADER);
  for (const row of rows) sheet.addRow([...row.slice(0, 9), receivedAt, row[9] ?? '']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('requests imported from a spreadsheet', () => {
  let t: TestApp;
  let mask: { code: string; name: string };
  let kit: { code: string; name: string };

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    mask = (await makeItem(t, { code: `N95-${unique()}`, name: 'Respirator N95' })) as typeof mask;
    kit = (await makeItem(t, { code: `PCR-${unique()}`, name: 'PCR test kit' })) as typeof kit;
  });
  afterAll(() => t.close());

  const upload = (file: Buffer, name: string, query = '', key?: string) => {
    const req = t.http
      .post(`/api/v1/imports/requests${query}`)
      .set(bearer(t.adminKey))
      .attach('file', file, name);
    return key ? req.set('idempotency-key', key) : req;
  };
  const countRequests = async () =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM requests`))[0].n as number;

  it('serves the template as XLSX and CSV, with the columns an import reads', async () => {
    const res = await t.http
      .get('/api/v1/imports/requests/template.xlsx')
      .set(bearer(t.adminKey))
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    expect(workbook.worksheets[0].getRow(1).values).toEqual([undefined, ...HEADER]);
    const csv = await t.http.get('/api/v1/imports/requests/template.csv').set(bearer(t.adminKey));
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.replace(/^\uFEFF/, '').split(/\r?\n/)[0]).toBe(HEADER.join(','));
  });

  it('creates exactly the requests an XLSX describes, country and organisation names in Arabic and French intact', async () => {
    const ref = `MOH-${unique()}`;
    const file = await xlsx(
      [
        [
          ref,
          'الصومال',
          'SOMGQ',
          'وزارة الصحة',
          'urgent',
          'donation',
          mask.code,
          200000,
          new Date(Date.UTC(2020, 3, 10)),
          'لمستشفى بنادر',
        ],
        [
          ref,
          'Somalia',
          'SOMGQ',
          'وزارة الصحة',
          'urgent',
          'donation',
          'PCR test kit',
          '500',
          '',
          '',
        ],
        [
          `${ref}-B`,
          'Tchad',
          'TDNDJ',
          'Ministère de la Santé publique',
          'stat',
          'procurement',
          mask.name,
          '1 000',
          '',
          'Hôpital général',
        ],
      ],
      '2020-03-20',
    );
    const before = await countRequests();
    const res = await upload(file, 'requests.xlsx');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ dryRun: false, valid: true, rows: 3, errors: [] });
    expect(res.body.requests).toHaveLength(2);
    expect(await countRequests()).toBe(before + 2);
    const [first, second] = res.body.requests;
    expect(first).toMatchObject({ requestRef: ref, recipientCountry: 'SO', lines: 2 });
    const somalia = (await t.http.get(`/api/v1/requests/${first.id}`).set(bearer(t.adminKey))).body;
    expect(somalia).toMatchObject({
      reference: first.reference,
      organisation: 'وزارة الصحة',
      recipientCountry: 'SO',
      priority: 'urgent',
      neededBy: '2020-04-10T00:00:00.000Z',
      notes: 'لمستشفى بنادر',
      receivedAt: '2020-03-20T00:00:00.000Z',
    });
    expect(somalia.lines.map((l: any) => [l.itemCode, l.quantity])).toEqual([
      [mask.code, 200000],
      [kit.code, 500],
    ]);
    const chad = (await t.http.get(`/api/v1/requests/${second.id}`).set(bearer(t.adminKey))).body;
    expect(chad).toMatchObject({
      organisation: 'Ministère de la Santé publique',
      recipientCountry: 'TD',
      kind: 'procurement',
      notes: 'Hôpital général',
    });
    expect(chad.lines.map((l: any) => l.quantity)).toEqual([1000]);
  });

  it('creates the requests of a CSV with a byte-order mark and semicolons, as Excel writes it in French', async () => {
    const ref = `CSV-${unique()}`;
    const csv = `\uFEFF${HEADER.join(';')}\n${ref};Niger;NENIM;Ministère de la Santé;urgent;donation;${kit.code};300;;\n`;
    const res = await upload(Buffer.from(csv, 'utf8'), 'requests.csv');
    expect(res.status).toBe(201);
    expect(res.body.requests).toEqual([
      expect.objectContaining({ requestRef: ref, recipientCountry: 'NE', lines: 1 }),
    ]);
  });

  it('answers every problem of every row on a dry run, and writes nothing on commit', async () => {
    const ref = `BAD-${unique()}`;
    const file = await xlsx([
      [ref, 'Somalia', 'SOMGQ', 'MoH', 'urgent', 'donation', 'N95 mask', '10', '', ''],
      [ref, 'Atlantis', 'SOMGQ', 'MoH', 'urgent', 'donation', mask.code, '-3', '', ''],
      [`${ref}-2`, 'Chad', 'SOMGQ', 'MoH', 'whenever', 'gift', kit.code, '5', '2020-02-30', ''],
      [`${ref}-3`, 'Mali', 'MLBKO', 'MoH', 'routine', 'donation', kit.code, '7', '', ''],
    ]);
    const before = await countRequests();
    const dry = await upload(file, 'bad.xlsx', '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, valid: false, rows: 4 });
    const found = dry.body.errors.map((e: any) => `${e.row} ${e.column}`);
    expect(found).toEqual([
      '2 item',
      '3 country',
      '3 quantity',
      '4 destination',
      '4 priority',
      '4 kind',
      '4 need_by',
    ]);
    expect(dry.body.errors[0]).toEqual({
      row: 2,
      column: 'item',
      value: 'N95 mask',
      message: "'N95 mask' is not in the catalogue; did you mean 'Respirator N95'?",
    });
    expect(dry.body.errors[3].message).toBe('SOMGQ is in SO, not in TD');
    const commit = await upload(file, 'bad.xlsx');
    expect(commit.status).toBe(422);
    expect(commit.headers['content-type']).toMatch(PROBLEM);
    expect(commit.body.rowErrors).toHaveLength(7);
    expect(commit.body.errors[0].field).toBe('row 2, column item');
    expect(await countRequests()).toBe(before);
  });

  it('creates once when the same file is posted twice with one Idempotency-Key', async () => {
    const file = await xlsx([
      [`KEY-${unique()}`, 'SN', 'SNDKR', 'MoH', 'urgent', 'donation', kit.code, '40', '', ''],
    ]);
    const key = randomUUID();
    const before = await countRequests();
    const first = await upload(file, 'once.xlsx', '', key);
    const again = await upload(file, 'once.xlsx', '', key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.requests[0].reference).toBe(first.body.requests[0].reference);
    expect(await countRequests()).toBe(before + 1);
    const other = await xlsx([
      [`KEY-${unique()}`, 'SN', 'SNDKR', 'MoH', 'urgent', 'donation', kit.code, '41', '', ''],
    ]);
    const reused = await upload(other, 'other.xlsx', '', key);
    expect(reused.status).toBe(422);
    expect(await countRequests()).toBe(before + 1);
  });

  it('refuses a malformed, an oversized, a headerless or a missing file with problem+json', async () => {
    const malformed = await upload(
      Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]),
      'x.xlsx',
    );
    expect(malformed.status).toBe(400);
    expect(malformed.headers['content-type']).toMatch(PROBLEM);
    expect(malformed.body.errors[0].field).toBe('file');
    const huge = await upload(Buffer.alloc(6 * 1024 * 1024, 'a'), 'huge.csv');
    expect(huge.status).toBe(413);
    expect(huge.headers['content-type']).toMatch(PROBLEM);
    expect(huge.body.code).toBe('payload_too_large');
    const headerless = await upload(Buffer.from('a,b,c\n1,2,3\n'), 'odd.csv');
    expect(headerless.status).toBe(422);
    expect(headerless.body.rowErrors.map((e: any) => e.column)).toContain('request_ref');
    const none = await t.http
      .post('/api/v1/imports/requests')
      .set(bearer(t.adminKey))
      .send({ rows: [] });
    expect(none.status).toBe(400);
    expect(none.body.errors[0].field).toBe('file');
  });
});
