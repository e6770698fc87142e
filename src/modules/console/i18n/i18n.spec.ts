import { ar } from './ar';
import { en } from './en';
import { fr } from './fr';
import { pickLocale, translator } from './i18n';

describe('console languages', () => {
  it('every language gives every message, with the same placeholders as English', () => {
    for (const catalogue of [fr, ar]) {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
      for (const [key, text] of Object.entries(en)) {
        const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect([key, names(catalogue[key as keyof typeof en])]).toEqual([key, names(text)]);
      }
    }
  });

  it('a remembered choice wins over Accept-Language, which wins over English', () => {
    expect(pickLocale('ar', 'fr-FR,fr;q=0.9')).toBe('ar');
    expect(pickLocale(undefined, 'de-DE,fr;q=0.8,en;q=0.5')).toBe('fr');
    expect(pickLocale('xx', 'de')).toBe('en');
    expect(pickLocale(undefined, 'fr;q=0, ar;q=0.4')).toBe('ar');
  });

  it('names countries, codes and durations in the chosen language', () => {
    expect(translator('ar').country('SO')).toBe('الصومال');
    expect(translator('fr').country('TD')).toBe('Tchad');
    expect(translator('fr').label('in_transit')).toBe('En transit');
    expect(translator('en').label('some_new_code')).toBe('some new code');
    expect(translator('en').remaining(3 * 3600 + 5 * 60)).toBe('3h 5m left');
    expect(translator('en').remaining(-(2 * 86400 + 3600))).toBe('2d 1h overdue');
    expect(translator('en').duration(86400)).toBe('1d');
    expect(translator('en').duration(30)).toBe('0m');
  });

  it('says an alert in the chosen language from its kind and facts, keeping free text as sent', () => {
    const breach = {
      kind: 'sla_breach' as const,
      reference: 'REQ-2020-000123',
      title: 'REQ-2020-000123 missed its 96 h request to dispatch target',
      details: { metric: 'request_to_dispatch', targetSeconds: 96 * 3600 },
    };
    expect(translator('en').alertText(breach)).toBe(
      'REQ-2020-000123 missed its 4d request to dispatch target'.replace(
        'request to dispatch',
        translator('en').label('request_to_dispatch'),
      ),
    );
    expect(translator('fr').alertText(breach)).toContain('a manqué son objectif');
    expect(translator('ar').alertText(breach)).toContain('REQ-2020-000123');
    const exception = {
      kind: 'shipment_exception' as const,
      reference: 'SHP-000311',
      title: 'SHP-000311 exception: customs hold at Mogadishu',
      details: { status: 'exception', exceptionReason: 'customs hold', location: 'Mogadishu' },
    };
    expect(translator('fr').alertText(exception)).toBe(
      `SHP-000311 : ${translator('fr').label('exception')} (customs hold) à Mogadishu`,
    );
    const cold = {
      kind: 'temperature_excursion' as const,
      reference: 'SHP-000002',
      title: '',
      details: { temperatureC: 11.5, allowedMinC: 2, allowedMaxC: 8, location: null },
    };
    expect(translator('en').alertText(cold)).toBe(
      'SHP-000002: cold chain at 11.5°C (allowed 2°C to 8°C)',
    );
  });

  it('writes Arabic right to left and the others left to right', () => {
    expect(translator('ar').dir).toBe('rtl');
    expect(translator('fr').dir).toBe('ltr');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translator('en').t('time.left', { d: '1h' })).toBe('1h left');
    expect(translator('en').t('time.left')).toBe('{d} left');
  });
});
