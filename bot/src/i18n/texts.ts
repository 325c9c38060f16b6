import i18next, { type i18n, type TFunction } from 'i18next';
import en from './locales/en.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

// Every text the bot writes lives in the catalogs under ./locales, one JSON file per language, read
// through i18next: plural forms by CLDR rules (`_one`, `_few`, `_many`, `_other`), numbers through
// `{{count, number}}` (Intl.NumberFormat), and the helpers below for dates, waits and money (Intl).
// English is the reference catalog: its keys type `t()` (a key missing from it fails typecheck), and
// i18n-catalogs.test.ts holds every other catalog to exactly its keys and plural forms.

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}

export const CATALOGS = { en, ru } as const;
export type Locale = keyof typeof CATALOGS;
export const LOCALES = Object.keys(CATALOGS) as Locale[];
export const DEFAULT_LOCALE: Locale = 'en';

/** The bot's words in one language, with Intl formatting for that language. */
export interface Texts {
  readonly locale: Locale;
  readonly t: TFunction;
  /** 1,234 · 1 234 */
  number(n: number): string;
  /** A calendar date: "Dec 6, 2026" · "6 дек. 2026 г." */
  date(date: Date): string;
  /** How long ago: "just now", "5 minutes ago", "yesterday" · "5 минут назад", "вчера". */
  ago(date: Date, now?: Date): string;
  /** A wait, rounded up, in the accusative where a language has one: "2 minutes" · "2 минуты". */
  duration(seconds: number): string;
  /** Millionths of `currency`: at least two decimals, up to six for small amounts ("0.0015 EUR"). */
  money(micros: string | number | undefined, currency: string): string;
}

let instance: i18n | undefined;
const cache = new Map<Locale, Texts>();

export function isLocale(value: string): value is Locale {
  return Object.hasOwn(CATALOGS, value);
}

/** The catalog for a BCP 47 tag as Telegram sends it (`ru`, `pt-br`); English for the rest. */
export function pickLocale(tag: string | undefined): Locale {
  const base = (tag ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return isLocale(base) ? base : DEFAULT_LOCALE;
}

export function textsFor(locale: Locale): Texts {
  let texts = cache.get(locale);
  if (!texts) {
    texts = createTexts(locale, translator().getFixedT(locale));
    cache.set(locale, texts);
  }
  return texts;
}

// Built on first use, synchronously (the catalogs are bundled): nothing happens at import time.
function translator(): i18n {
  if (instance) return instance;
  const resources = Object.fromEntries(
    Object.entries(CATALOGS).map(([locale, catalog]) => [locale, { translation: catalog }]),
  );
  const created = i18next.createInstance();
  void created.init({
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: LOCALES,
    initAsync: false,
    // The bot escapes what it interpolates itself (escapeHtml): the catalogs hold Telegram HTML.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  instance = created;
  return created;
}

function createTexts(locale: Locale, t: TFunction): Texts {
  const numbers = new Intl.NumberFormat(locale);
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  return {
    locale,
    t,
    number: (n) => numbers.format(n),
    date: (date) => dates.format(date),
    ago(date, now = new Date()) {
      const minutes = Math.floor((now.getTime() - date.getTime()) / 60_000);
      if (minutes < 1) return t('history.justNow');
      if (minutes < 60) return relative.format(-minutes, 'minute');
      const hours = Math.floor(minutes / 60);
      if (hours < 24) return relative.format(-hours, 'hour');
      return relative.format(-Math.floor(hours / 24), 'day');
    },
    duration(seconds) {
      const s = Math.max(1, Math.ceil(seconds));
      if (s < 90) return t('duration.seconds', { count: s });
      const minutes = Math.ceil(s / 60);
      if (minutes < 90) return t('duration.minutes', { count: minutes });
      return t('duration.hours', { count: Math.ceil(minutes / 60) });
    },
    money(micros, currency) {
      const amount = Number(micros ?? 0) / 1_000_000;
      const decimals = Math.max(2, significantDecimals(amount));
      const format = { minimumFractionDigits: 2, maximumFractionDigits: decimals };
      return `${new Intl.NumberFormat(locale, format).format(amount)} ${currency}`.trim();
    },
  };
}

/** Decimals needed to show `amount` to the millionth without trailing zeros (at most 6). */
function significantDecimals(amount: number): number {
  const fixed = amount.toFixed(6).replace(/0+$/, '');
  return fixed.length - fixed.indexOf('.') - 1;
}
