import { Catalogue, countryCode, readRequestSheet } from './request-sheet';

const HEADER = [
  'Request_Ref',
  'Country',
  'Destination',
  'Requested By',
  'priority',
  'kind',
  'item',
  'quantity',
];
const catalogue = new Catalogue([
  { code: 'MASK-N95', name: 'Respirator N95' },
  { code: 'TEST-PCR', name: 'SARS-CoV-2 PCR test kit' },
]);
const now = new Date('2020-04-01T00:00:00Z');

describe('request sheets', () => {
  it('knows countries by ISO code or by name in English, French or Arabic', () => {
    expect(countryCode('so')).toBe('SO');
    expect(countryCode('Somalia')).toBe('SO');
    expect(countryCode('Tchad')).toBe('TD');
    expect(countryCode('الصومال')).toBe('SO');
    expect(countryCode('Atlantis')).toBeUndefined();
  });

  it('finds items by code or name, and suggests the closest for a near miss', () => {
    expect(catalogue.code('mask-n95')).toBe('MASK-N95');
    expect(catalogue.code('respirator  n95')).toBe('MASK-N95');
    expect(catalogue.code('N95 mask')).toBeUndefined();
    expect(catalogue.suggestion('N95 mask')).toBe('Respirator N95');
    expect(catalogue.suggestion('Ventilator')).toBeUndefined();
  });

  it('groups rows by reference, reads headers loosely and quantities with thousands separators', () => {
    const { requests, errors } = readRequestSheet(
      [
        HEADER,
        ['A', 'SO', 'SOMGQ', 'MoH', 'Urgent', 'donation', 'MASK-N95', '1 000'],
        ['A', 'Somalia', 'SOMGQ', 'MoH', 'urgent', 'donation', 'TEST-PCR', '2,500'],
        ['', '', '', '', '', '', '', ''],
        ['B', 'TD', 'TDNDJ', 'MoSP', 'stat', 'procurement', 'TEST-PCR', '5'],
      ],
      catalogue,
      now,
    );
    expect(errors).toEqual([]);
    expect(
      requests.map((r) => [r.requestRef, r.recipientCountry, r.lines.map((l) => l.quantity)]),
    ).toEqual([
      ['A', 'SO', [1000, 2500]],
      ['B', 'TD', [5]],
    ]);
  });

  it('refuses rows of one request that disagree, a repeated item, and names a missing column', () => {
    const { errors } = readRequestSheet(
      [
        HEADER,
        ['A', 'SO', 'SOMGQ', 'MoH', 'urgent', 'donation', 'MASK-N95', '10'],
        ['A', 'SO', 'SOMGQ', 'MoH', 'stat', 'donation', 'TEST-PCR', '10'],
        ['A', 'SO', 'SOMGQ', 'MoH', 'urgent', 'donation', 'MASK-N95', '10'],
      ],
      catalogue,
      now,
    );
    expect(errors.map((e) => `${e.row} ${e.column}: ${e.message}`)).toEqual([
      '3 priority: differs from row 2 of request A',
      '4 item: MASK-N95 is already on row 2 of request A: merge the rows',
    ]);
    const missing = readRequestSheet([HEADER.slice(0, 7), ['A']], catalogue, now);
    expect(missing.errors).toEqual([expect.objectContaining({ row: 1, column: 'quantity' })]);
  });
});
