import { visualRuns } from './pdf-writer';

describe('bidi runs for PDF lines', () => {
  it('orders a mixed line right to left, each run kept in reading order', () => {
    expect(visualRuns('الشحنة: SHP-000311', true)).toEqual([
      { text: 'SHP-000311', rtl: false },
      { text: 'الشحنة: ', rtl: true },
    ]);
  });

  it('leaves a left-to-right line with an Arabic name in place', () => {
    expect(visualRuns('Consignee: وزارة الصحة (Somalia)', false)).toEqual([
      { text: 'Consignee: ', rtl: false },
      { text: 'وزارة الصحة', rtl: true },
      { text: ' (Somalia)', rtl: false },
    ]);
  });

  it('keeps a left-to-right isolate whole inside right-to-left text', () => {
    expect(visualRuns('القيمة: \u2066US$ 48,000.00\u2069', true)).toEqual([
      { text: 'US$ 48,000.00', rtl: false },
      { text: 'القيمة: ', rtl: true },
    ]);
  });

  it('mirrors brackets inside right-to-left text and drops direction marks', () => {
    const [run] = visualRuns('استلمها (الاسم)\u200f', true);
    expect(run).toEqual({ text: 'استلمها )الاسم(', rtl: true });
  });
});
