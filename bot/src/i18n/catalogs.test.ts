import { describe, expect, it } from 'vitest';
import { expectTelegramHtml } from '../testing/expect-telegram-html.ts';
import { type Catalog, catalogProblems, flatten } from './catalog-check.ts';
import { CATALOGS, LOCALES, pickLocale, textsFor } from './texts.ts';

describe('the message catalogs', () => {
  it.each(LOCALES)('%s has exactly the reference keys, plural forms and placeholders', (locale) => {
    expect(catalogProblems(CATALOGS.en, CATALOGS[locale], locale)).toEqual([]);
  });

  it.each(LOCALES)('%s holds only HTML that Telegram accepts', (locale) => {
    for (const [, text] of flatten(CATALOGS[locale])) expectTelegramHtml(text.replace(/\{\{[^}]*\}\}/g, 'x'));
  });

  it('reports a missing key, an extra key, a missing plural form and a lost placeholder', () => {
    const reference: Catalog = {
      a: { hi: 'Hi {{name}}', n_one: '{{count}} item', n_other: '{{count}} items' },
    };
    const broken: Catalog = { a: { hello: 'Привет', n_one: '{{count}} штука', n_other: 'штук' } };
    expect(catalogProblems(reference, broken, 'ru')).toEqual([
      'missing key a.hi',
      'extra key a.hello',
      'missing plural form a.n_few',
      'missing plural form a.n_many',
      'placeholders of a.n_other: [] instead of [count]',
    ]);
  });
});

describe('texts', () => {
  it('picks the catalog from Telegram’s language_code, English for the rest', () => {
    expect(pickLocale('ru')).toBe('ru');
    expect(pickLocale('ru-RU')).toBe('ru');
    expect(pickLocale('pt-br')).toBe('en');
    expect(pickLocale(undefined)).toBe('en');
  });

  it('uses the Russian plural forms: 1 сообщение, 2 сообщения, 5 сообщений', () => {
    const { t } = textsFor('ru');
    expect([1, 2, 5, 11, 21, 22, 25].map((count) => t('history.messages', { count }))).toEqual([
      '1 сообщение',
      '2 сообщения',
      '5 сообщений',
      '11 сообщений',
      '21 сообщение',
      '22 сообщения',
      '25 сообщений',
    ]);
    expect(textsFor('en').t('history.messages', { count: 1 })).toBe('1 message');
  });

  it('formats numbers, dates, times ago and money per locale', () => {
    const ru = textsFor('ru');
    const en = textsFor('en');
    expect(ru.number(1234567)).toBe('1\u00a0234\u00a0567');
    expect(en.number(1234567)).toBe('1,234,567');
    const now = new Date('2026-12-06T12:00:00Z');
    expect(ru.ago(new Date('2026-12-06T09:00:00Z'), now)).toBe('3 часа назад');
    expect(en.ago(new Date('2026-12-05T11:00:00Z'), now)).toBe('yesterday');
    expect(ru.date(now)).toBe('6 дек. 2026 г.');
    expect(en.date(now)).toBe('Dec 6, 2026');
    expect(ru.money('1500', 'EUR')).toBe('0,0015 EUR');
    expect(en.money('1000000', 'USD')).toBe('1.00 USD');
  });
});
