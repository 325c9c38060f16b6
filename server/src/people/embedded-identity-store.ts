import type Database from 'better-sqlite3';
import { openSqlite } from '../sqlite/sqlite-database.ts';
import { VersionedCache } from '../sqlite/versioned-cache.ts';
import type { Identity } from './identity.ts';
import type { IdentityStore, LinkedIdentity, NewLinkCode, PersonRecord } from './identity-store.ts';

const MIGRATIONS = [
  `CREATE TABLE identities (
     client_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     person_id TEXT,
     linked_at INTEGER,
     language TEXT NOT NULL DEFAULT '',
     language_set_at INTEGER,
     PRIMARY KEY (client_id, user_id)
   );
   CREATE INDEX identities_by_person ON identities (person_id, linked_at) WHERE person_id IS NOT NULL;
   CREATE TABLE link_codes (
     code_hash TEXT PRIMARY KEY,
     client_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     redeemed_at INTEGER,
     redeemed_by_client TEXT,
     redeemed_by_user TEXT
   );
   CREATE INDEX link_codes_by_issuer ON link_codes (client_id, user_id);
   CREATE INDEX link_codes_by_expiry ON link_codes (expires_at);`,
];

// `+?` where an ORDER BY follows: see conversations/embedded-conversation-sql.ts (SQLite re-plans otherwise).
const SQL = {
  personId: 'SELECT person_id FROM identities WHERE client_id = ? AND user_id = ? AND person_id IS NOT NULL',
  members: `SELECT client_id, user_id, person_id, linked_at FROM identities WHERE person_id = +?
    ORDER BY linked_at, client_id, user_id`,
  dropCodes: `DELETE FROM link_codes WHERE expires_at <= ?
    OR (client_id = ? AND user_id = ? AND redeemed_at IS NULL)`,
  liveCode: 'SELECT 1 FROM link_codes WHERE code_hash = ? AND redeemed_at IS NULL AND expires_at > ?',
  // A redeemed code keeps its row until it expires: a second claim finds it redeemed.
  insertCode: `INSERT OR REPLACE INTO link_codes (code_hash, client_id, user_id, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?)`,
  claim: `UPDATE link_codes SET redeemed_at = ?, redeemed_by_client = ?, redeemed_by_user = ?
    WHERE code_hash = ? AND redeemed_at IS NULL AND expires_at > ? RETURNING client_id, user_id`,
  join: `INSERT INTO identities (client_id, user_id, person_id, linked_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (client_id, user_id) DO UPDATE SET person_id = excluded.person_id, linked_at = excluded.linked_at
    WHERE person_id IS NOT excluded.person_id`,
  merge: 'UPDATE identities SET person_id = ? WHERE person_id = ?',
  leave: `UPDATE identities SET person_id = NULL, linked_at = NULL
    WHERE client_id = ? AND user_id = ? AND person_id IS NOT NULL`,
  people: `SELECT client_id, user_id, person_id, linked_at FROM identities WHERE person_id IN (
      SELECT DISTINCT person_id FROM identities
      WHERE person_id IS NOT NULL AND (? IS NULL OR client_id = ?) ORDER BY person_id LIMIT ?)
    ORDER BY person_id, linked_at, client_id, user_id`,
  setLanguage: `INSERT INTO identities (client_id, user_id, language, language_set_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (client_id, user_id) DO UPDATE SET
      language = excluded.language, language_set_at = excluded.language_set_at`,
} as const;

/** The language read for `n` identities (prepared once per `n`, as every statement: #prepare). */
function languageSql(n: number): string {
  const match = Array.from({ length: n }, () => '(client_id = +? AND user_id = +?)').join(' OR ');
  return `SELECT language FROM identities WHERE (${match}) AND language_set_at IS NOT NULL
    ORDER BY language_set_at DESC LIMIT 1`;
}

interface MemberRow {
  client_id: string;
  user_id: string;
  person_id: string;
  linked_at: number;
}

/**
 * IdentityStore in an embedded SQLite file (beside the conversations). Each method is one statement or
 * one transaction: processes sharing the file (WORKERS > 1) see each claim exactly once.
 *
 * Every turn asks for its owner's person and language, which change only when someone links or picks a
 * language: those answers are kept in a {@link VersionedCache} (one `PRAGMA data_version` a lookup instead
 * of the reads), forgotten when this store writes a link or language, or any other connection commits.
 */
export class EmbeddedIdentityStore implements IdentityStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement<unknown[]>>();
  readonly #saveCode: (code: NewLinkCode) => boolean;
  readonly #people: VersionedCache<{ personId: string; members: MemberRow[] } | null>;
  readonly #languages: VersionedCache<string>;

  constructor(options: { path: string }) {
    this.#db = openSqlite({ path: options.path, migrations: MIGRATIONS, name: 'identity database' });
    this.#people = new VersionedCache(this.#db);
    this.#languages = new VersionedCache(this.#db);
    this.#saveCode = this.#db.transaction((code: NewLinkCode) => {
      const now = code.createdAt.getTime();
      const { clientId, userId } = code.issuer;
      this.#prepare(SQL.dropCodes).run(now, clientId, userId);
      if (this.#prepare(SQL.liveCode).get(code.codeHash, now)) return false;
      this.#prepare(SQL.insertCode).run(code.codeHash, clientId, userId, now, code.expiresAt.getTime());
      return true;
    });
  }

  async personOf(identity: Identity): Promise<PersonRecord | null> {
    const { clientId, userId } = identity;
    const found = this.#people.get(keyOf(identity), () => {
      const row = this.#prepare<{ person_id: string }>(SQL.personId).get(clientId, userId);
      if (!row) return null;
      return { personId: row.person_id, members: this.#prepare<MemberRow>(SQL.members).all(row.person_id) };
    });
    // A fresh record each call: callers may keep or change what they get.
    return found && { personId: found.personId, identities: found.members.map(toLinked) };
  }

  async saveCode(code: NewLinkCode): Promise<boolean> {
    return this.#saveCode(code);
  }

  async claimCode(codeHash: string, redeemer: Identity, now: Date): Promise<Identity | null> {
    const row = this.#prepare<{ client_id: string; user_id: string }>(SQL.claim).get(
      now.getTime(),
      redeemer.clientId,
      redeemer.userId,
      codeHash,
      now.getTime(),
    );
    return row ? { clientId: row.client_id, userId: row.user_id } : null;
  }

  async join(personId: string, identities: readonly Identity[], at: Date): Promise<void> {
    const statement = this.#prepare(SQL.join);
    this.#db.transaction(() => {
      for (const { clientId, userId } of identities) statement.run(clientId, userId, personId, at.getTime());
    })();
    this.#changed();
  }

  async merge(from: string, to: string): Promise<void> {
    this.#prepare(SQL.merge).run(to, from);
    this.#changed();
  }

  async leave(identity: Identity): Promise<boolean> {
    const left = this.#prepare(SQL.leave).run(identity.clientId, identity.userId).changes > 0;
    this.#changed();
    return left;
  }

  async people(options: { clientId?: string; limit: number }): Promise<PersonRecord[]> {
    const client = options.clientId ?? null;
    const rows = this.#prepare<MemberRow>(SQL.people).all(client, client, options.limit);
    const people = new Map<string, PersonRecord>();
    for (const row of rows) {
      const person = people.get(row.person_id) ?? { personId: row.person_id, identities: [] };
      person.identities.push(toLinked(row));
      people.set(row.person_id, person);
    }
    return [...people.values()];
  }

  async language(identities: readonly Identity[]): Promise<string> {
    if (identities.length === 0) return '';
    return this.#languages.get(identities.map(keyOf).join('\u0001'), () => {
      const read = this.#prepare<{ language: string }>(languageSql(identities.length));
      return read.get(...identities.flatMap((i) => [i.clientId, i.userId]))?.language ?? '';
    });
  }

  async setLanguage(identity: Identity, language: string, at: Date): Promise<void> {
    this.#prepare(SQL.setLanguage).run(identity.clientId, identity.userId, language, at.getTime());
    this.#changed();
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  /** After a write through this connection (which does not change its own data_version). */
  #changed(): void {
    this.#people.clear();
    this.#languages.clear();
  }

  #prepare<T = unknown>(sql: string): Database.Statement<unknown[], T> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], T>;
  }
}

function keyOf(identity: Identity): string {
  return `${identity.clientId}\u0000${identity.userId}`;
}

function toLinked(row: MemberRow): LinkedIdentity {
  return { clientId: row.client_id, userId: row.user_id, linkedAt: new Date(row.linked_at) };
}
