import { escapeXml } from '../../common/escape-markup';

export interface ChartRow {
  label: string;
  p50Hours: number;
  p90Hours: number;
  p95Hours: number;
  maxHours: number;
}

export const CHART_SERIES = ['p50Hours', 'p90Hours', 'p95Hours', 'maxHours'] as const;
const SERIES_NAMES = ['p50', 'p90', 'p95', 'max'];

const LABEL_WIDTH = 180;
const BAR_AREA = 560;
const BAR = 10;
const GAP = 3;
const GROUP_GAP = 14;

/**
 * Turnaround percentiles as a horizontal grouped bar chart in inline SVG: one group per row,
 * bars p50 / p90 / p95 / max on one scale, each with its value. No script needed to draw it,
 * so it shows on the slowest link; the same numbers are in the table beside it.
 */
export function turnaroundChartSvg(
  rows: ChartRow[],
  words: { title: string; number: (n: number) => string; hours: string },
): string {
  const max = Math.max(1, ...rows.flatMap((r) => CHART_SERIES.map((k) => r[k])));
  const groupHeight = CHART_SERIES.length * (BAR + GAP) + GROUP_GAP;
  const height = 28 + rows.length * groupHeight;
  const width = LABEL_WIDTH + BAR_AREA + 70;
  const parts: string[] = [];
  const legend = SERIES_NAMES.map(
    (name, i) =>
      `<rect class="bar-${i}" x="${LABEL_WIDTH + i * 90}" y="4" width="12" height="12"/>` +
      `<text x="${LABEL_WIDTH + i * 90 + 16}" y="14">${name}</text>`,
  ).join('');
  parts.push(legend);
  rows.forEach((row, g) => {
    const top = 28 + g * groupHeight;
    parts.push(
      `<text class="group-label" x="${LABEL_WIDTH - 8}" y="${top + (CHART_SERIES.length * (BAR + GAP)) / 2 + 4}" text-anchor="end">${escapeXml(truncate(row.label, 26))}</text>`,
    );
    CHART_SERIES.forEach((key, i) => {
      const value = row[key];
      const w = Math.max(1, (value / max) * BAR_AREA);
      const y = top + i * (BAR + GAP);
      parts.push(
        `<rect class="bar-${i}" x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR}"><title>${escapeXml(`${row.label} ${SERIES_NAMES[i]}: ${words.number(value)} ${words.hours}`)}</title></rect>` +
          `<text class="bar-value" x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${y + BAR - 1}">${words.number(value)}</text>`,
      );
    });
  });
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(words.title)}" xmlns="http://www.w3.org/2000/svg" direction="ltr">` +
    `${parts.join('')}</svg>`
  );
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
