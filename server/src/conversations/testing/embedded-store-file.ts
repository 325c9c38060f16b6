import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, vi } from 'vitest';
import {
  EmbeddedConversationStore,
  type EmbeddedConversationStoreOptions,
} from '../embedded-conversation-store.ts';

export interface EmbeddedStoreFile {
  /** The SQLite file's path (inside a test). */
  path(): string;
  /** A store on the file (several stand for the processes of a pool sharing it); closed after the test. */
  open(options?: Partial<EmbeddedConversationStoreOptions>): EmbeddedConversationStore;
  /** Closes a store opened here before the test ends. */
  close(store: EmbeddedConversationStore): Promise<void>;
}

/**
 * For a test file: each test gets a fresh folder holding the conversation file at `file` (relative,
 * vitest `beforeEach`/`afterEach`). After each test the stores still open are closed, spies are
 * restored and the folder is removed.
 */
export function useEmbeddedStoreFile(file: string): EmbeddedStoreFile {
  let dir: string | undefined;
  const opened: EmbeddedConversationStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-store-'));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    vi.restoreAllMocks();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const path = () => {
    if (!dir) throw new Error('the store file exists only inside a test');
    return join(dir, file);
  };
  return {
    path,
    open(options = {}) {
      const store = new EmbeddedConversationStore({ path: path(), ...options });
      opened.push(store);
      return store;
    },
    async close(store) {
      const at = opened.indexOf(store);
      if (at >= 0) opened.splice(at, 1);
      await store.close();
    },
  };
}

/** better-sqlite3's Statement prototype: spying on it is the only way to see what a store runs inside itself. */
function statementPrototype(): Database.Statement {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Database.Statement;
  probe.close();
  return proto;
}

export type StatementMethod = 'all' | 'get' | 'run' | 'iterate';

/**
 * Puts `around` in front of every call of better-sqlite3's statement `methods` (every connection's),
 * until `restore()` or the test's end (vitest restores spies): it sees the statement and the method, and
 * runs the call (`call()`) or does something else instead.
 */
export function aroundStatements(
  methods: readonly StatementMethod[],
  around: (statement: Database.Statement, call: () => unknown, method: StatementMethod) => unknown,
): { restore(): void } {
  const proto = statementPrototype();
  const spies = methods.map((method) => {
    const original = proto[method] as (this: Database.Statement, ...args: unknown[]) => unknown;
    return vi.spyOn(proto, method).mockImplementation(function (
      this: Database.Statement,
      ...args: unknown[]
    ) {
      return around(this, () => original.apply(this, args), method) as never;
    });
  });
  return {
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
