import bidiFactory from 'bidi-js';
import bwipjs from 'bwip-js';
import PDFDocument from 'pdfkit';

const FONT = require.resolve('@expo-google-fonts/cairo/400Regular/Cairo_400Regular.ttf');
const BOLD = require.resolve('@expo-google-fonts/cairo/700Bold/Cairo_700Bold.ttf');
const bidi = bidiFactory();

/** Text runs of one direction, in the order they are seen on the line (left to right). */
export function visualRuns(raw: string, rtl: boolean): { text: string; rtl: boolean }[] {
  // Direction marks (Intl puts them in Arabic dates) are ours to resolve: the font has none.
  const plain = raw.replace(/[\u200e\u200f\u061c]/g, '');
  if (plain === '') return [];
  const levels = bidi.getEmbeddingLevels(plain, rtl ? 'rtl' : 'ltr');
  // Brackets in a right-to-left run are drawn mirrored: "(" shows as ")".
  const mirrored = bidi.getMirroredCharactersMap(plain, levels.levels);
  const text = [...plain].map((c, i) => mirrored.get(i) ?? c).join('');
  const order = bidi.getReorderedIndices(text, levels);
  const runs: { text: string; rtl: boolean; from: number; to: number }[] = [];
  for (const index of order) {
    const runRtl = (levels.levels[index] & 1) === 1;
    const last = runs[runs.length - 1];
    if (last && last.rtl === runRtl && (runRtl ? index === last.from - 1 : index === last.to + 1)) {
      if (runRtl) last.from = index;
      else last.to = index;
    } else runs.push({ text: '', rtl: runRtl, from: index, to: index });
  }
  // Each run in logical order: the font's layout puts a right-to-left run right to left.
  // Isolates (LRI ... PDI) shaped the order; the font has no glyph for them.
  return runs
    .map((r) => ({
      text: text.slice(r.from, r.to + 1).replace(/[\u2066-\u2069]/g, ''),
      rtl: r.rtl,
    }))
    .filter((r) => r.text !== '');
}

export interface Column {
  header: string;
  width: number;
  align?: 'start' | 'end';
}

/**
 * A document page by page with pdfkit: Cairo (Arabic and Latin) embedded, lines drawn as
 * bidi runs at measured positions (pdfkit's own layout puts multi-word Arabic out of
 * order), mirrored for right-to-left documents, and a page number on every page.
 */
export class PdfWriter {
  readonly doc = new PDFDocument({ size: 'A4', margin: 48, bufferPages: true });
  private readonly left = 48;
  private readonly right: number;
  y = 48;

  constructor(readonly rtl: boolean) {
    this.doc.registerFont('body', FONT);
    this.doc.registerFont('bold', BOLD);
    this.right = this.doc.page.width - 48;
  }

  get width(): number {
    return this.right - this.left;
  }

  private measure(text: string, size: number, font: string): number {
    this.doc.font(font).fontSize(size);
    return visualRuns(text, this.rtl).reduce(
      (w, r) => w + this.doc.widthOfString(r.text, { features: [] } as never),
      0,
    );
  }

  /** One line of text at the start (or end) edge of [x0, x0 + width] in reading terms. */
  line(
    text: string,
    options: {
      size?: number;
      bold?: boolean;
      x?: number;
      width?: number;
      end?: boolean;
      color?: string;
    } = {},
  ): void {
    const size = options.size ?? 10;
    const font = options.bold ? 'bold' : 'body';
    const x0 = options.x ?? 0;
    const width = options.width ?? this.width;
    const textWidth = this.measure(text, size, font);
    // Reading start: the left edge in LTR, the right edge in RTL; `end` aligns to the other.
    const atRightEdge = this.rtl !== Boolean(options.end);
    const boxLeft = this.rtl ? this.right - x0 - width : this.left + x0;
    let x = atRightEdge ? boxLeft + width - textWidth : boxLeft;
    this.doc.fillColor(options.color ?? '#1b2330');
    for (const run of visualRuns(text, this.rtl)) {
      this.doc.text(run.text, x, this.y, { lineBreak: false, features: [] } as never);
      x += this.doc.widthOfString(run.text, { features: [] } as never);
    }
  }

  /** Words wrapped to the width, line by line (each line still drawn as bidi runs). */
  paragraph(text: string, size = 10): void {
    this.doc.font('body').fontSize(size);
    const words = text.split(/\s+/);
    let current = '';
    for (const word of words) {
      const next = current ? `${current} ${word}` : word;
      if (this.measure(next, size, 'body') > this.width && current) {
        this.line(current, { size });
        this.down(size * 1.6);
        current = word;
      } else current = next;
    }
    if (current) {
      this.line(current, { size });
      this.down(size * 1.6);
    }
  }

  down(points: number): void {
    this.y += points;
    if (this.y > this.doc.page.height - 80) {
      this.doc.addPage();
      this.y = 48;
    }
  }

  rule(): void {
    this.doc
      .moveTo(this.left, this.y)
      .lineTo(this.right, this.y)
      .lineWidth(0.5)
      .strokeColor('#b8c1cc')
      .stroke();
  }

  /** A table: a header row, then rows, columns laid from the reading start. */
  table(columns: Column[], rows: string[][]): void {
    const header = () => {
      let x = 0;
      for (const c of columns) {
        const end = c.align === 'end';
        this.line(c.header, { x, width: c.width - (end ? 18 : 6), bold: true, size: 9, end });
        x += c.width;
      }
      this.down(16);
      this.rule();
      this.down(4);
    };
    header();
    for (const row of rows) {
      if (this.y > this.doc.page.height - 100) {
        this.doc.addPage();
        this.y = 48;
        header();
      }
      let x = 0;
      row.forEach((cell, i) => {
        this.line(cell, {
          x,
          width: columns[i].width - (columns[i].align === 'end' ? 18 : 6),
          size: 9,
          end: columns[i].align === 'end',
        });
        x += columns[i].width;
      });
      this.down(15);
    }
  }

  /** A QR code of `text` at the reading end of the current line. */
  async qr(text: string, size = 64): Promise<void> {
    const png = await bwipjs.toBuffer({ bcid: 'qrcode', text, scale: 3 });
    const x = this.rtl ? this.left : this.right - size;
    this.doc.image(png, x, this.y, { width: size, height: size });
  }

  /** Page numbers on every page, then the finished PDF. */
  async finish(pageWords: (n: number, total: number) => string): Promise<Buffer> {
    const range = this.doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      const saved = this.y;
      this.y = this.doc.page.height - 40;
      // The footer sits inside the bottom margin: keep pdfkit from starting a new page.
      const margin = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0;
      this.line(pageWords(i + 1, range.count), { size: 8, end: true, color: '#5a6472' });
      this.doc.page.margins.bottom = margin;
      this.y = saved;
    }
    const chunks: Buffer[] = [];
    this.doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve) => this.doc.on('end', () => resolve()));
    this.doc.end();
    await done;
    return Buffer.concat(chunks);
  }
}
