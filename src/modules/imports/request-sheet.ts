import { closest, distance } from 'fastest-levenshtein';
import countries from 'i18n-iso-countries';
import ar from 'i18n-iso-countries/langs/ar.json';
import en from 'i18n-iso-countries/langs/en.json';
import fr from 'i18n-iso-countries/langs/fr.json';
import { PRIORITIES, REQUEST_KINDS } from '../../common/vocabulary/request-vocabulary';
import { parseLocation } from '../reference/locations';

countries.registerLocale(en);
countries.registerLocale(fr);
countries.registerLocale(ar);

/** The template's columns, in order: one row per request line. */
export const COLUMNS = [
  {
    key: 'requestRef',
    header: 'request_ref',
    note: 'Your reference: rows with the same one are one request',
  },
  { key: 'country', header: 'country', note: 'ISO code or name (English, French or Arabic)' },
  { key: 'destination', header: 'destination', note: 'UN/LOCODE or IATA code in the country' },
  { key: 'requestedBy', header: 'requested_by', note: 'The requesting organisation' },
  { key: 'priority', header: 'priority', note: PRIORITIES.join(' | ') },
  { key: 'kind', header: 'kind', note: REQUEST_KINDS.join(' | ') },
  { key: 'item', header: 'item', note: 'Item code or name from the catalogue' },
  { key: 'quantity', header: 'quantity', note: 'Whole number of units' },
  { key: 'needBy', header: 'need_by', note: 'YYYY-MM-DD (optional)' },
  {
    key: 'receivedAt',
    header: 'received_at',
    note: 'When the request came: YYYY-MM-DD or an ISO 8601 time (optional; default: the import)',
  },
  { key: 'notes', header: 'notes', note: "Optional; kept as the request's notes" },
] as const;
export type ColumnKey = (typeof COLUMNS)[number]['key'];

/** An example row for the template (Somalia's 2020 request, say). */
export const EXAMPLE_ROWS: string[][] = [
  [
    'MOH-SO-001',
    'Somalia',
    'SOMGQ',
    'Ministry of Health',
    'urgent',
    'donation',
    'MASK-N95',
    '200000',
    '2020-04-10',
    '2020-03-20',
    '',
  ],
  [
    'MOH-SO-001',
    'الصومال',
    'SOMGQ',
    'Ministry of Health',
    'urgent',
    'donation',
    'TEST-PCR',
    '500',
    '',
    '2020-03-20',
    'Laboratoire national',
  ],
];

export interface RowError {
  /** The spreadsheet's row number (the header is row 1). */
  row: number;
  column: string;
  value: string;
  message: string;
}

export interface CatalogueItem {
  code: string;
  name: string;
}

export interface ImportedRequest {
  requestRef: string;
  /** The first row of the request in the file. */
  row: number;
  recipientCountry: string;
  destination: string;
  organisation: string;
  priority: (typeof PRIORITIES)[number];
  kind: (typeof REQUEST_KINDS)[number];
  neededBy?: Date;
  receivedAt?: Date;
  notes: string[];
  lines: { itemCode: string; quantity: number; row: number }[];
}

const normal = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** An ISO 3166-1 alpha-2 code from a code or a name in English, French or Arabic. */
export function countryCode(value: string): string | undefined {
  const text = value.trim();
  if (/^[A-Za-z]{2}$/.test(text) && countries.isValid(text.toUpperCase()))
    return text.toUpperCase();
  for (const lang of ['en', 'fr', 'ar']) {
    const code = countries.getAlpha2Code(text, lang);
    if (code) return code;
  }
  return undefined;
}

/** Finds an item by code or name, or suggests the closest one. */
export class Catalogue {
  private readonly byKey = new Map<string, string>();
  private readonly labels: string[] = [];
  private readonly labelItem = new Map<string, CatalogueItem>();

  constructor(items: CatalogueItem[]) {
    for (const item of items) {
      this.byKey.set(item.code.toUpperCase(), item.code);
      this.byKey.set(normal(item.name), item.code);
      this.labels.push(item.name, item.code);
      this.labelItem.set(item.name, item);
      this.labelItem.set(item.code, item);
    }
  }

  code(value: string): string | undefined {
    return this.byKey.get(value.trim().toUpperCase()) ?? this.byKey.get(normal(value));
  }

  /** "did you mean 'Respirator N95'?" when something in the catalogue is close enough. */
  suggestion(value: string): string | undefined {
    if (this.labels.length === 0) return undefined;
    const near = closest(value, this.labels);
    const item = this.labelItem.get(near)!;
    const words = (s: string) => new Set(normal(s).split(' '));
    const shared = [...words(value)].some((w) => w.length > 1 && words(item.name).has(w));
    const close = distance(normal(value), normal(near)) <= Math.max(2, near.length / 3);
    return shared || close ? item.name : undefined;
  }
}

const MAX_REQUEST_LINES = 200;

/**
 * Reads a request sheet: finds the columns by their headers, checks every row and reports
 * every problem at once (row, column, value, a sentence), and groups valid rows by their
 * request reference into requests.
 */
export function readRequestSheet(
  table: string[][],
  catalogue: Catalogue,
  now: Date,
): { requests: ImportedRequest[]; errors: RowError[]; rows: number } {
  const errors: RowError[] = [];
  const [header = [], ...body] = table;
  const position = new Map<ColumnKey, number>();
  header.forEach((cell, i) => {
    const column = COLUMNS.find((c) => c.header === normal(cell).replaceAll(' ', '_'));
    if (column && !position.has(column.key)) position.set(column.key, i);
  });
  const required: ColumnKey[] = [
    'requestRef',
    'country',
    'destination',
    'requestedBy',
    'priority',
    'kind',
    'item',
    'quantity',
  ];
  for (const key of required) {
    if (!position.has(key)) {
      const column = COLUMNS.find((c) => c.key === key)!;
      errors.push({
        row: 1,
        column: column.header,
        value: '',
        message: `the column ${column.header} is missing: use the template's header row`,
      });
    }
  }
  if (errors.length > 0) return { requests: [], errors, rows: body.length };

  const requests = new Map<string, ImportedRequest>();
  body.forEach((cells, index) => {
    const row = index + 2;
    const cell = (key: ColumnKey) => (cells[position.get(key) ?? -1] ?? '').trim();
    if (cells.every((c) => c.trim() === '')) return;
    const fail = (key: ColumnKey, message: string) =>
      errors.push({
        row,
        column: COLUMNS.find((c) => c.key === key)!.header,
        value: cell(key),
        message,
      });
    const before = errors.length;

    const ref = cell('requestRef');
    if (!ref) fail('requestRef', 'is empty: give each request a reference of your own');
    else if (ref.length > 100) fail('requestRef', 'is longer than 100 characters');
    const country = countryCode(cell('country'));
    if (!country)
      fail(
        'country',
        `'${cell('country')}' is not a country (ISO code, or its name in English, French or Arabic)`,
      );
    const place = parseLocation(cell('destination'));
    const destination = 'error' in place ? '' : place.code;
    if ('error' in place)
      fail('destination', `'${cell('destination')}' is not a UN/LOCODE or IATA code`);
    else if (country && place.country && place.country !== country)
      fail('destination', `${place.code} is in ${place.country}, not in ${country}`);
    const organisation = cell('requestedBy');
    if (!organisation) fail('requestedBy', 'is empty: who asks?');
    else if (organisation.length > 200) fail('requestedBy', 'is longer than 200 characters');
    const priority = cell('priority').toLowerCase() as ImportedRequest['priority'];
    if (!PRIORITIES.includes(priority))
      fail('priority', `'${cell('priority')}' is not one of ${PRIORITIES.join(', ')}`);
    const kind = cell('kind').toLowerCase() as ImportedRequest['kind'];
    if (!REQUEST_KINDS.includes(kind))
      fail('kind', `'${cell('kind')}' is not one of ${REQUEST_KINDS.join(', ')}`);
    const itemCode = catalogue.code(cell('item'));
    if (!itemCode) {
      const near = cell('item') ? catalogue.suggestion(cell('item')) : undefined;
      fail(
        'item',
        cell('item')
          ? `'${cell('item')}' is not in the catalogue${near ? `; did you mean '${near}'?` : ''}`
          : 'is empty',
      );
    }
    const quantityText = cell('quantity').replace(/[\s,\u00a0\u202f]/g, '');
    const quantity = Number(quantityText);
    if (!/^\d+$/.test(quantityText) || quantity < 1 || quantity > 1_000_000_000)
      fail(
        'quantity',
        `'${cell('quantity')}' is not a whole number of units between 1 and 1,000,000,000`,
      );
    let receivedAt: Date | undefined;
    if (cell('receivedAt')) {
      const text = cell('receivedAt');
      const parsed = /^\d{4}-\d{2}-\d{2}$/.test(text)
        ? new Date(`${text}T00:00:00Z`)
        : new Date(text);
      if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(parsed.getTime()))
        fail('receivedAt', `'${text}' is not a date (YYYY-MM-DD) or an ISO 8601 time`);
      else if (parsed.getTime() > now.getTime()) fail('receivedAt', 'is in the future');
      else receivedAt = parsed;
    }
    let neededBy: Date | undefined;
    if (cell('needBy')) {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(cell('needBy'));
      const date = match ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])) : undefined;
      if (!date || date.getUTCDate() !== +match![3])
        fail('needBy', `'${cell('needBy')}' is not a date (YYYY-MM-DD)`);
      else if (date.getTime() < (receivedAt ?? now).getTime() - 86_400_000)
        fail('needBy', `${cell('needBy')} is before the request was received`);
      else neededBy = date;
    }
    if (cell('notes').length > 1000) fail('notes', 'is longer than 1,000 characters');
    if (errors.length > before) return;

    const existing = requests.get(ref);
    if (!existing) {
      requests.set(ref, {
        requestRef: ref,
        row,
        recipientCountry: country!,
        destination,
        organisation,
        priority,
        kind,
        neededBy,
        receivedAt,
        notes: cell('notes') ? [cell('notes')] : [],
        lines: [{ itemCode: itemCode!, quantity, row }],
      });
      return;
    }
    // The rows of one request must agree on what describes the request.
    const differs = (
      [
        ['country', existing.recipientCountry, country],
        ['destination', existing.destination, destination],
        ['requestedBy', existing.organisation, organisation],
        ['priority', existing.priority, priority],
        ['kind', existing.kind, kind],
      ] as [ColumnKey, string, string][]
    ).find(([, a, b]) => a !== b);
    if (differs) {
      fail(differs[0], `differs from row ${existing.row} of request ${ref}`);
      return;
    }
    const same = existing.lines.find((l) => l.itemCode === itemCode);
    if (same)
      fail('item', `${itemCode} is already on row ${same.row} of request ${ref}: merge the rows`);
    else if (existing.lines.length >= MAX_REQUEST_LINES)
      fail('item', `request ${ref} has more than ${MAX_REQUEST_LINES} lines`);
    else {
      existing.lines.push({ itemCode: itemCode!, quantity, row });
      if (cell('notes')) existing.notes.push(cell('notes'));
    }
  });
  return { requests: [...requests.values()], errors, rows: body.length };
}
