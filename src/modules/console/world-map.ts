import { escapeXml } from '../../common/escape-markup';
import { readFileSync } from 'node:fs';
import { geoEqualEarth, geoPath } from 'd3-geo';
import type { FeatureCollection, Geometry } from 'geojson';
import countries from 'i18n-iso-countries';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

export type Coverage = 'asked' | 'received';

interface Shape {
  /** ISO 3166-1 alpha-2, or null for territories without one (N. Cyprus, Somaliland...). */
  code: string | null;
  name: string;
  d: string;
}

const WIDTH = 960;
const HEIGHT = 470;

let shapes: Shape[] | undefined;

/**
 * The world's countries as SVG paths, from the bundled Natural Earth 1:110m atlas
 * (world-atlas; ids are ISO 3166 numeric), projected once per process (Equal Earth, so areas
 * compare honestly) and rounded to a tenth of a pixel.
 */
function worldShapes(): Shape[] {
  if (shapes) return shapes;
  const topology = JSON.parse(
    readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'),
  ) as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const world = feature(topology, topology.objects.countries) as FeatureCollection<
    Geometry,
    { name: string }
  >;
  const projection = geoEqualEarth().fitSize([WIDTH, HEIGHT], world);
  const path = geoPath(projection).digits(1);
  shapes = world.features
    .map((f) => ({
      code: (f.id !== undefined && countries.numericToAlpha2(String(f.id))) || null,
      name: f.properties.name,
      d: path(f) ?? '',
    }))
    .filter((s) => s.d !== '' && s.name !== 'Antarctica');
  return shapes;
}

/**
 * A choropleth of coverage as inline SVG: countries that received goods, that asked and got
 * nothing yet, and the rest. Each country carries its name and state as a tooltip and for
 * screen readers; the caller gives names in the reader's language.
 */
export function worldMapSvg(
  coverage: Map<string, Coverage>,
  words: { title: string; name: (code: string) => string; state: (c: Coverage | null) => string },
): string {
  const paths = worldShapes().map((s) => {
    const state = s.code ? (coverage.get(s.code) ?? null) : null;
    const name = s.code ? words.name(s.code) : s.name;
    return `<path class="map-${state ?? 'none'}" d="${s.d}"${s.code ? ` data-country="${s.code}"` : ''}><title>${escapeXml(`${name}: ${words.state(state)}`)}</title></path>`;
  });
  return (
    `<svg class="world-map" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(words.title)}" xmlns="http://www.w3.org/2000/svg">` +
    `${paths.join('')}</svg>`
  );
}
