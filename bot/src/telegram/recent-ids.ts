/**
 * The last `capacity` ids seen, oldest forgotten first. Telegram may deliver an update again (a webhook
 * answered late, a poll whose offset was not confirmed); remembering recent update ids answers it once.
 */
export class RecentIds<Id = number> {
  readonly #ids = new Set<Id>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  has(id: Id): boolean {
    return this.#ids.has(id);
  }

  /** Records `id`; false when it was already there. */
  add(id: Id): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      const oldest = this.#ids.values().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    return true;
  }

  delete(id: Id): void {
    this.#ids.delete(id);
  }
}
