import type Database from 'better-sqlite3';

// The embedded conversation store's schema and statements (embedded-conversation-store.ts runs them).

/** One entry per schema version; entry i upgrades `user_version` i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS conversations (
     id TEXT PRIMARY KEY,
     client_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     title TEXT NOT NULL,
     platform TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     message_count INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     system_prompt TEXT NOT NULL DEFAULT '',
     model TEXT NOT NULL DEFAULT '',
     summary TEXT NOT NULL DEFAULT '',
     summarized_through INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX IF NOT EXISTS conversations_by_owner
     ON conversations (client_id, user_id, updated_at DESC, id DESC);
   CREATE INDEX IF NOT EXISTS conversations_by_chat
     ON conversations (client_id, user_id, platform, chat_id, updated_at DESC, id DESC);
   CREATE TABLE IF NOT EXISTS messages (
     conversation_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     id TEXT NOT NULL,
     role TEXT NOT NULL,
     content TEXT NOT NULL,
     tool_calls TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (conversation_id, seq)
   );`,
  // Replies cut short by a client that left or a model that failed mid-answer (streaming).
  'ALTER TABLE messages ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0',
  // Conversations held by OpenAI-compatible clients: the fingerprint of the transcript they hold.
  `ALTER TABLE conversations ADD COLUMN transcript_hash TEXT NOT NULL DEFAULT '';
   CREATE INDEX IF NOT EXISTS conversations_by_transcript
     ON conversations (client_id, user_id, transcript_hash, updated_at DESC) WHERE transcript_hash != '';`,
  // Files sent with user messages: metadata with the message, bytes in their own table.
  `ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
   CREATE TABLE IF NOT EXISTS attachments (
     id TEXT PRIMARY KEY,
     conversation_id TEXT NOT NULL,
     meta TEXT NOT NULL,
     data BLOB NOT NULL
   );
   CREATE INDEX IF NOT EXISTS attachments_by_conversation ON attachments (conversation_id);`,
];

const CONVERSATION_COLUMNS =
  'id, client_id, user_id, title, platform, chat_id, created_at, updated_at, message_count, ' +
  'system_prompt, model, summary, summarized_through';
const MESSAGE_COLUMNS =
  'conversation_id, seq, id, role, content, tool_calls, created_at, interrupted, attachments';
/** A conversation's messages are read by its id: not read back (60 strings fewer a turn). */
const READ_MESSAGE_COLUMNS = 'seq, id, role, content, tool_calls, created_at, interrupted, attachments';

// Parameters written `+?` (the same value): SQLite re-plans a statement on every run when a bound value
// may change its plan (an equality an ORDER BY can use, a LIMIT); the planner does not look into `+?`,
// so these keep the plan they were prepared with. Same plans, same rows: 2 µs instead of 14 for the
// recent-messages read a turn makes (docs/performance.md).
export const SQL = {
  // message_count and last_seq: 0, or 1 for a conversation created with its first message.
  insertConversation: `INSERT INTO conversations (${CONVERSATION_COLUMNS}, last_seq)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, ?)`,
  getConversation: `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ? AND client_id = ? AND user_id = ?`,
  bumpConversation: `UPDATE conversations
    SET last_seq = last_seq + 1, message_count = message_count + 1, updated_at = MAX(updated_at, ?)
    WHERE id = ? RETURNING last_seq`,
  insertMessage: `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // A primary-key equality: one plan whatever the value, nothing to re-plan.
  lastSeq: 'SELECT last_seq FROM conversations WHERE id = ?',
  recentMessages: `SELECT ${READ_MESSAGE_COLUMNS} FROM messages
    WHERE conversation_id = +? ORDER BY seq DESC LIMIT +?`,
  messagesAfter: `SELECT ${READ_MESSAGE_COLUMNS} FROM messages
    WHERE conversation_id = +? AND seq > +? ORDER BY seq LIMIT +?`,
  list: `SELECT ${CONVERSATION_COLUMNS} FROM conversations
    WHERE client_id = +? AND user_id = +? ORDER BY updated_at DESC, id DESC LIMIT +?`,
  listAfter: `SELECT ${CONVERSATION_COLUMNS} FROM conversations
    WHERE client_id = +? AND user_id = +? AND (updated_at, id) < (+?, +?)
    ORDER BY updated_at DESC, id DESC LIMIT +?`,
  latestForChat: `SELECT ${CONVERSATION_COLUMNS} FROM conversations
    WHERE client_id = +? AND user_id = +? AND platform = +? AND chat_id = +? AND updated_at >= +?
    ORDER BY updated_at DESC, id DESC LIMIT 1`,
  findByTranscript: `SELECT ${CONVERSATION_COLUMNS} FROM conversations
    WHERE client_id = +? AND user_id = +? AND transcript_hash = +? AND transcript_hash != ''
    ORDER BY updated_at DESC, id DESC LIMIT 1`,
  advanceTranscript: 'UPDATE conversations SET transcript_hash = ? WHERE id = ? AND transcript_hash = ?',
  setTitle: 'UPDATE conversations SET title = ? WHERE id = ?',
  setSummary: 'UPDATE conversations SET summary = ?, summarized_through = ? WHERE id = ?',
  deleteConversation: 'DELETE FROM conversations WHERE id = ? AND client_id = ? AND user_id = ?',
  deleteMessages: 'DELETE FROM messages WHERE conversation_id = ?',
  insertAttachment: 'INSERT INTO attachments (id, conversation_id, meta, data) VALUES (?, ?, ?, ?)',
  getAttachment: `SELECT a.conversation_id, a.meta, a.data FROM attachments a
    JOIN conversations c ON c.id = a.conversation_id
    WHERE a.id = ? AND c.client_id = ? AND c.user_id = ?`,
  deleteAttachments: 'DELETE FROM attachments WHERE conversation_id = ?',
} as const;

export interface ConversationRow {
  id: string;
  client_id: string;
  user_id: string;
  title: string;
  platform: string;
  chat_id: string;
  created_at: number;
  updated_at: number;
  message_count: number;
  system_prompt: string;
  model: string;
  summary: string;
  summarized_through: number;
}

export interface MessageRow {
  seq: number;
  id: string;
  role: string;
  content: string;
  tool_calls: string;
  created_at: number;
  interrupted: number;
  attachments: string;
}

export interface AttachmentRow {
  conversation_id: string;
  meta: string;
  data: Buffer;
}

export type ConversationParams = [
  id: string,
  clientId: string,
  userId: string,
  title: string,
  platform: string,
  chatId: string,
  createdAt: number,
  updatedAt: number,
  messageCount: number,
  systemPrompt: string,
  model: string,
  lastSeq: number,
];
export type MessageParams = [string, number, string, string, string, string, number, number, string];
export type OwnerParams = [clientId: string, userId: string];

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    insertConversation: db.prepare<ConversationParams>(SQL.insertConversation),
    getConversation: db.prepare<[string, ...OwnerParams], ConversationRow>(SQL.getConversation),
    bumpConversation: db.prepare<[number, string], { last_seq: number }>(SQL.bumpConversation),
    insertMessage: db.prepare<MessageParams>(SQL.insertMessage),
    lastSeq: db.prepare<[string], number>(SQL.lastSeq).pluck(),
    recentMessages: db.prepare<[string, number], MessageRow>(SQL.recentMessages),
    messagesAfter: db.prepare<[string, number, number], MessageRow>(SQL.messagesAfter),
    list: db.prepare<[...OwnerParams, number], ConversationRow>(SQL.list),
    listAfter: db.prepare<[...OwnerParams, number, string, number], ConversationRow>(SQL.listAfter),
    latestForChat: db.prepare<[...OwnerParams, string, string, number], ConversationRow>(SQL.latestForChat),
    findByTranscript: db.prepare<[...OwnerParams, string], ConversationRow>(SQL.findByTranscript),
    advanceTranscript: db.prepare<[string, string, string]>(SQL.advanceTranscript),
    setTitle: db.prepare<[string, string]>(SQL.setTitle),
    setSummary: db.prepare<[string, number, string]>(SQL.setSummary),
    deleteConversation: db.prepare<[string, ...OwnerParams]>(SQL.deleteConversation),
    deleteMessages: db.prepare<[string]>(SQL.deleteMessages),
    insertAttachment: db.prepare<[string, string, string, Uint8Array]>(SQL.insertAttachment),
    getAttachment: db.prepare<[string, ...OwnerParams], AttachmentRow>(SQL.getAttachment),
    deleteAttachments: db.prepare<[string]>(SQL.deleteAttachments),
    ping: db.prepare<[]>('SELECT 1'),
  };
}
