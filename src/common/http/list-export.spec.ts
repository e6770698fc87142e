import type { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FastifyReply } from 'fastify';
import { type ExportColumn, streamExport } from './list-export';

/** A reply that keeps what it was sent, and its headers. */
function capture() {
  const headers: Record<string, string> = {};
  let sent: (stream: Readable) => void;
  const body = new Promise<Readable>((resolve) => (sent = resolve));
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
    send(stream: Readable) {
      sent(stream);
      return reply;
    },
  };
  const read = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of await body) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
  };
  return { reply: reply as unknown as FastifyReply, headers, read };
}

/** Three pages of a list, as its service pages it. */
const pages: Record<string, { data: { n: number; name: string }[]; nextCursor: string | null }> = {
  first: {
    data: [
      { n: 1, name: 'Somalia' },
      { n: 2, name: 'الصومال' },
    ],
    nextCursor: 'b',
  },
  b: { data: [{ n: 3, name: 'Tchad' }], nextCursor: 'c' },
  c: { data: [{ n: 4, name: 'Niger, "Niamey"' }], nextCursor: null },
};
type Place = { n: number; name: string };
const columns: ExportColumn<Place>[] = [
  { header: 'n', value: (r) => r.n },
  { header: 'name', value: (r) => r.name },
];

describe('list exports', () => {
  it('streams every page of a list as CSV, in order, quoting what needs it', async () => {
    const { reply, headers, read } = capture();
    const asked: (string | undefined)[] = [];
    const done = streamExport(reply, 'csv', 'places', columns, async (cursor) => {
      asked.push(cursor);
      return pages[cursor ?? 'first'];
    });
    const [bytes] = await Promise.all([read(), done]);
    expect(headers['content-disposition']).toBe('attachment; filename="places.csv"');
    expect(asked).toEqual([undefined, 'b', 'c']);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(parse(bytes.toString('utf8'), { bom: true })).toEqual([
      ['n', 'name'],
      ['1', 'Somalia'],
      ['2', 'الصومال'],
      ['3', 'Tchad'],
      ['4', 'Niger, "Niamey"'],
    ]);
  });

  it('streams every page as an XLSX workbook', async () => {
    const { reply, read } = capture();
    const done = streamExport(
      reply,
      'xlsx',
      'places',
      columns,
      async (cursor) => pages[cursor ?? 'first'],
    );
    const [bytes] = await Promise.all([read(), done]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    const rows: unknown[][] = [];
    workbook.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows).toEqual([
      ['n', 'name'],
      [1, 'Somalia'],
      [2, 'الصومال'],
      [3, 'Tchad'],
      [4, 'Niger, "Niamey"'],
    ]);
  });
});
