import type Database from 'better-sqlite3';

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Answers of reads from one SQLite file, kept until the file may have changed. Every lookup first asks
 * SQLite's `PRAGMA data_version` (about 1 µs): it changes whenever another connection, in this process or
 * in another one sharing the file (WORKERS > 1), has committed since, and then the cache starts over. A
 * connection's own commits do not change it, so the store that owns the cache calls {@link clear} after
 * each of its writes that can change a cached answer.
 *
 * A lookup's loader runs after the version was read, so what it reads is at least as new as that version:
 * an answer is never kept past a commit it did not see.
 */
export class VersionedCache<V> {
  readonly #version: Database.Statement<[], number>;
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;
  #seen: number | undefined;

  constructor(db: Database.Database, options: { maxEntries?: number } = {}) {
    this.#version = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** The answer kept for `key`, or `load()`'s (then kept) when the file changed or none is kept. */
  get(key: string, load: () => V): V {
    const version = this.#version.get();
    if (version !== this.#seen) {
      this.#entries.clear();
      this.#seen = version;
    } else if (this.#entries.has(key)) {
      return this.#entries.get(key) as V;
    }
    const value = load();
    // Bounded without bookkeeping per hit: a full cache starts over (a turn reads one or two keys).
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }

  /** Forgets every answer: after a write through the owner's own connection. */
  clear(): void {
    this.#entries.clear();
  }
}
