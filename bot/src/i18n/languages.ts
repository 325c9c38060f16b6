import type { Logger } from '@parley/logger';
import type { User } from 'telegraf/types';
import { isLocale, type Locale, pickLocale, type Texts, textsFor } from './texts.ts';

/**
 * Where a person's chosen language is kept: on the server (IdentityService), so every replica of the bot
 * and every linked app agrees. Keyed by the Telegram user id, as the bot vouches for it.
 */
export interface LanguageStore {
  /** The language the person chose ('' when they never chose one). */
  get(userId: string): Promise<string>;
  set(userId: string, language: string): Promise<void>;
}

export interface LanguagesDeps {
  /** Absent: Telegram's `language_code` decides (tests of features that do not care). */
  store?: LanguageStore;
  logger: Logger;
  /** How long a looked-up choice is reused before asking the server again. */
  ttlMs?: number;
  /** Most people remembered at once; the oldest is forgotten first. */
  maxEntries?: number;
  clock?: () => number;
}

interface Entry {
  chosen: Locale | undefined;
  until: number;
}

/**
 * The language to answer a Telegram user in: the one they chose with /language (kept on the server),
 * else the one their Telegram app reports (`language_code`), else English. A choice is remembered for a
 * short while so a chat does not cost a lookup per message; a choice made through another replica shows
 * up here within that while. When the server cannot say, `language_code` decides: texts never fail.
 */
export class Languages {
  readonly #deps: LanguagesDeps;
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #clock: () => number;

  constructor(deps: LanguagesDeps) {
    this.#deps = deps;
    this.#ttlMs = deps.ttlMs ?? 60_000;
    this.#max = deps.maxEntries ?? 10_000;
    this.#clock = deps.clock ?? Date.now;
  }

  /** The texts for a user (undefined: a sender Telegram does not name, e.g. a channel). */
  async textsFor(from: Pick<User, 'id' | 'language_code'> | undefined): Promise<Texts> {
    const fallback = pickLocale(from?.language_code);
    if (!from || !this.#deps.store) return textsFor(fallback);
    return textsFor((await this.#chosen(String(from.id))) ?? fallback);
  }

  /** Without a lookup: what this user was last answered in, or their app's language (busy notices). */
  known(from: Pick<User, 'id' | 'language_code'> | undefined): Texts {
    const entry = from ? this.#entries.get(String(from.id)) : undefined;
    return textsFor(entry?.chosen ?? pickLocale(from?.language_code));
  }

  /** Keeps a user's choice on the server; remembered here at once. */
  async choose(from: Pick<User, 'id'>, locale: Locale): Promise<void> {
    const userId = String(from.id);
    await this.#deps.store?.set(userId, locale);
    this.#remember(userId, locale);
  }

  async #chosen(userId: string): Promise<Locale | undefined> {
    const entry = this.#entries.get(userId);
    if (entry && entry.until > this.#clock()) return entry.chosen;
    try {
      const language = (await this.#deps.store?.get(userId)) ?? '';
      const chosen = isLocale(language) ? language : undefined;
      this.#remember(userId, chosen);
      return chosen;
    } catch (err) {
      this.#deps.logger.warn({ err }, 'could not read the user’s language; using their app’s');
      return entry?.chosen;
    }
  }

  #remember(userId: string, chosen: Locale | undefined): void {
    this.#entries.delete(userId);
    this.#entries.set(userId, { chosen, until: this.#clock() + this.#ttlMs });
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
