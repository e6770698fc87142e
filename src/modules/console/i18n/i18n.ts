import type { AlertKind } from '../../../common/vocabulary/alert-vocabulary';
import { ar } from './ar';
import { en, type MessageKey } from './en';
import { fr } from './fr';
import { VOCABULARY } from './vocabulary';

export const LOCALES = ['en', 'fr', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
/** The language a person chose, remembered for a year (also before they sign in). */
export const LANG_COOKIE = 'll_lang';
export const LANGUAGE_NAMES: Record<Locale, string> = {
  en: 'English',
  fr: 'Français',
  ar: 'العربية',
};

const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en, fr, ar };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The chosen language (cookie), else the best of Accept-Language, else English. */
export function pickLocale(cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.split('-')[0], q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((x) => x.lang).find(isLocale) ?? 'en';
}

/** What the console needs of an alert to say it in words. */
export interface AlertWords {
  kind: AlertKind;
  reference: string;
  title: string;
  details: Record<string, unknown>;
}

/** Words, dates, numbers, durations and country names in one language. */
export class Translator {
  readonly dir: 'ltr' | 'rtl';
  private readonly messages: Record<MessageKey, string>;
  private readonly regions: Intl.DisplayNames;
  private readonly dateTimes: Intl.DateTimeFormat;
  private readonly dates: Intl.DateTimeFormat;
  private readonly times: Intl.DateTimeFormat;
  private readonly units: Record<'day' | 'hour' | 'minute', Intl.NumberFormat>;

  constructor(readonly locale: Locale) {
    this.dir = locale === 'ar' ? 'rtl' : 'ltr';
    this.messages = CATALOGUES[locale];
    this.regions = new Intl.DisplayNames([locale], { type: 'region' });
    this.dateTimes = new Intl.DateTimeFormat(locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'UTC',
    });
    this.dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    this.times = new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: 'UTC' });
    const unit = (u: string) =>
      new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'narrow' });
    this.units = { day: unit('day'), hour: unit('hour'), minute: unit('minute') };
  }

  /** A message with `{name}` placeholders filled in. */
  t(key: MessageKey, params: Record<string, string | number> = {}): string {
    return this.messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  }

  /** A domain code (status, priority, metric...) in words. */
  label(code: string | null | undefined): string {
    if (!code) return '';
    return VOCABULARY[this.locale][code] ?? code.replaceAll('_', ' ');
  }

  /** A country's name from its ISO 3166-1 alpha-2 code. */
  country(code: string | null | undefined): string {
    if (!code) return '';
    try {
      return this.regions.of(code) ?? code;
    } catch {
      return code;
    }
  }

  dateTime(value: Date | string | null | undefined): string {
    return value ? `${this.dateTimes.format(new Date(value))} UTC` : '';
  }

  date(value: Date | string | null | undefined): string {
    return value ? this.dates.format(new Date(value)) : '';
  }

  time(value: Date | string): string {
    return `${this.times.format(new Date(value))} UTC`;
  }

  number(value: number | null | undefined, fractionDigits = 0): string {
    if (value === null || value === undefined) return '';
    return new Intl.NumberFormat(this.locale, {
      maximumFractionDigits: fractionDigits,
      minimumFractionDigits: 0,
    }).format(value);
  }

  percent(share: number | null | undefined): string {
    if (share === null || share === undefined) return '';
    return new Intl.NumberFormat(this.locale, {
      style: 'percent',
      maximumFractionDigits: 1,
    }).format(share);
  }

  /** A length of time, to the minute, in at most two units: "3d 4h", "5h 10m", "12m". */
  duration(seconds: number): string {
    const minutes = Math.floor(Math.abs(seconds) / 60);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const mins = minutes % 60;
    const { day, hour, minute } = this.units;
    if (days) return hours ? `${day.format(days)} ${hour.format(hours)}` : day.format(days);
    if (hours) return mins ? `${hour.format(hours)} ${minute.format(mins)}` : hour.format(hours);
    return minute.format(mins);
  }

  /** "5h 10min left", or "2h overdue" once past the deadline. */
  remaining(seconds: number): string {
    const d = this.duration(seconds);
    return seconds >= 0 ? this.t('time.left', { d }) : this.t('time.overdue', { d });
  }

  /**
   * An alert in a sentence of this language, from its kind and facts (the stored title is
   * English). Free text a carrier sent (a reason, a place) is kept as they wrote it.
   */
  alertText(alert: AlertWords): string {
    const d = alert.details;
    const str = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : '');
    const num = (key: string) => (typeof d[key] === 'number' ? (d[key] as number) : 0);
    const ref = alert.reference;
    const at = str('location') ? ` ${this.t('alertText.at', { place: str('location') })}` : '';
    const celsius = (v: number) =>
      new Intl.NumberFormat(this.locale, { style: 'unit', unit: 'celsius' }).format(v);
    switch (alert.kind) {
      case 'sla_breach':
      case 'sla_warning':
        return this.t(`alertText.${alert.kind}`, {
          ref,
          metric: this.label(str('metric')),
          target: this.duration(num('targetSeconds')),
          due: this.dateTime(str('dueAt') || null),
        });
      case 'shipment_exception': {
        const gap = d.discrepancy as { damaged?: number; missing?: number } | undefined;
        if (gap) {
          return this.t('alertText.discrepancy', {
            ref,
            damaged: this.number(gap.damaged ?? 0),
            missing: this.number(gap.missing ?? 0),
          });
        }
        const reason = str('exceptionReason') ? ` (${str('exceptionReason')})` : '';
        return (
          this.t('alertText.shipment_exception', { ref, status: this.label(str('status')) }) +
          reason +
          at
        );
      }
      case 'temperature_excursion':
        return (
          this.t('alertText.temperature_excursion', {
            ref,
            t: celsius(num('temperatureC')),
            min: celsius(num('allowedMinC')),
            max: celsius(num('allowedMaxC')),
          }) + at
        );
      case 'tracking_stale':
        return this.t('alertText.tracking_stale', {
          ref,
          status: this.label(str('status')),
          d: this.duration(num('staleAfterSeconds')),
        });
      case 'eta_overdue':
        return this.t('alertText.eta_overdue', {
          ref,
          status: this.label(str('status')),
          at: this.dateTime(str('estimatedArrivalAt') || null),
        });
      default:
        return alert.title;
    }
  }

  /** A list in words: "a, b and c". */
  list(items: string[]): string {
    return new Intl.ListFormat(this.locale, { type: 'conjunction' }).format(items);
  }
}

const translators = new Map(LOCALES.map((l) => [l, new Translator(l)]));
export const translator = (locale: Locale): Translator => translators.get(locale)!;
