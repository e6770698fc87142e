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

  it('writes Arabic right to left and the others left to right', () => {
    expect(translator('ar').dir).toBe('rtl');
    expect(translator('fr').dir).toBe('ltr');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translator('en').t('time.left', { d: '1h' })).toBe('1h left');
    expect(translator('en').t('time.left')).toBe('{d} left');
  });
});
