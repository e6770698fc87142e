import { turnaroundChartSvg } from './turnaround-chart';
import { worldMapSvg } from './world-map';

const words = {
  title: 'Coverage',
  name: (code: string) => `name-${code}`,
  state: (c: string | null) => c ?? 'none',
};

describe('coverage map', () => {
  it('colours countries that received, that asked, and leaves the rest plain', () => {
    const svg = worldMapSvg(
      new Map([
        ['SO', 'received'],
        ['TD', 'asked'],
      ]),
      words,
    );
    expect(svg).toMatch(
      /<path class="map-received" d="M[^"]+" data-country="SO"><title>name-SO: received<\/title>/,
    );
    expect(svg).toMatch(/<path class="map-asked" d="M[^"]+" data-country="TD">/);
    expect(svg).toMatch(/<path class="map-none" d="M[^"]+" data-country="FR"><title>name-FR: none/);
    expect(svg).not.toContain('Antarctica');
    expect(svg.match(/<path /g)!.length).toBeGreaterThan(170);
  });

  it('escapes names it is given', () => {
    const svg = worldMapSvg(new Map(), { ...words, name: () => '<b>&' });
    expect(svg).toContain('&lt;b&gt;&amp;');
    expect(svg).not.toContain('<b>');
  });
});

describe('turnaround chart', () => {
  it('draws four bars per group on one scale, the longest for the largest value', () => {
    const svg = turnaroundChartSvg(
      [
        { label: 'Somalia', p50Hours: 10, p90Hours: 20, p95Hours: 30, maxHours: 40 },
        { label: 'Chad', p50Hours: 5, p90Hours: 5, p95Hours: 5, maxHours: 80 },
      ],
      { title: 'T', number: String, hours: 'h' },
    );
    const widths = [
      ...svg.matchAll(/<rect class="bar-\d" x="180" y="\d+" width="([\d.]+)" height="10"/g),
    ].map((m) => Number(m[1]));
    expect(widths).toHaveLength(8);
    expect(Math.max(...widths)).toBe(widths[7]);
    expect(widths[7]).toBe(560);
    expect(widths[3]).toBe(280);
    expect(svg).toContain('<title>Chad max: 80 h</title>');
  });
});
