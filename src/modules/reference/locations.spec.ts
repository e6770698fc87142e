import { isCountryCode, parseLocation } from './locations';

describe('locations', () => {
  it('reads a UN/LOCODE and its country', () => {
    expect(parseLocation('AFKBL')).toEqual({ code: 'AFKBL', kind: 'unlocode', country: 'AF' });
    expect(parseLocation('cncan')).toEqual({ code: 'CNCAN', kind: 'unlocode', country: 'CN' });
  });

  it('refuses a UN/LOCODE whose country does not exist', () => {
    expect(parseLocation('XXKBL')).toEqual({
      error: expect.stringContaining('not an ISO 3166 country'),
    });
  });

  it('reads an IATA airport with its country from the OpenFlights data', () => {
    expect(parseLocation('KBL')).toEqual({ code: 'KBL', kind: 'iata', country: 'AF' });
    expect(parseLocation('DKR')).toMatchObject({ kind: 'iata', country: 'SN' });
  });

  it('refuses an unknown airport and other shapes', () => {
    expect(parseLocation('QQQ')).toHaveProperty('error');
    expect(parseLocation('AFKB1')).toHaveProperty('error');
    expect(parseLocation('Kabul')).toHaveProperty('error');
  });

  it('knows ISO 3166 country codes', () => {
    expect(isCountryCode('PS')).toBe(true);
    expect(isCountryCode('XX')).toBe(false);
    expect(isCountryCode('af')).toBe(false);
  });
});
