import type Database from 'better-sqlite3';
import { type NonBlockingWrite, nonBlockingWriter } from '../sqlite/non-blocking-writer.ts';
import type { SessionStore } from './session-store.ts';

/**
 * Sessions in a SQLite file shared by the server processes of one machine (WORKERS > 1 without Redis):
 * the `sessions` table of the coordination database. A read slides the TTL in the same statement.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #get: Database.Statement<[number, string, number], { conversation_id: string }>;
  readonly #set: Database.Statement<[string, string, number]>;
  readonly #delete: Database.Statement<[string]>;
  /** Another process's write lock on the file (a read slides the TTL: it writes too) is waited for on the event loop. */
  readonly #write: NonBlockingWrite;

  constructor(db: Database.Database) {
    this.#get = db.prepare(
      'UPDATE sessions SET expires_at = ? WHERE key = ? AND expires_at > ? RETURNING conversation_id',
    );
    this.#set = db.prepare(
      `INSERT INTO sessions (key, conversation_id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET conversation_id = excluded.conversation_id, expires_at = excluded.expires_at`,
    );
    this.#delete = db.prepare('DELETE FROM sessions WHERE key = ?');
    this.#write = nonBlockingWriter(db, { name: 'coordination database' });
  }

  get(key: string, ttlSeconds: number): Promise<string | null> {
    return this.#write(() => {
      const now = Date.now();
      return this.#get.get(now + ttlSeconds * 1000, key, now)?.conversation_id ?? null;
    });
  }

  async set(key: string, conversationId: string, ttlSeconds: number): Promise<void> {
    await this.#write(() => this.#set.run(key, conversationId, Date.now() + ttlSeconds * 1000));
  }

  async delete(key: string): Promise<void> {
    await this.#write(() => this.#delete.run(key));
  }

  async ping(): Promise<void> {}

  // The coordination database is closed by its owner (backends), which shares it with other stores.
  async close(): Promise<void> {}
}
