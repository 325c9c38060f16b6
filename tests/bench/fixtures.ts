import { join } from 'node:path';
import { EmbeddedConversationStore } from '../../server/src/conversations/embedded-conversation-store.ts';

/** The API client name and key the benchmarked servers accept (API_KEYS=bench=<key>). */
export const CLIENT = 'bench';
export const API_KEY = 'bench-key-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${API_KEY}` };
export const JSON_HEADERS = { ...AUTH, 'content-type': 'application/json' };

export const TWIRP = '/twirp/parley.chat.v1.ChatService';

/** The user message of every benchmarked turn: short, like a chat message. */
export const TURN_MESSAGE = 'What should I pack for three days in Lisbon in October?';

/** A ContinueConversation JSON body, as any client sends it. */
export function continueBody(conversationId: string, userId: string): string {
  return JSON.stringify({
    conversation_id: conversationId,
    message: TURN_MESSAGE,
    session: { platform: 'bench', user_id: userId },
  });
}

/** Calls a Twirp method with JSON and returns the parsed answer; throws on a non-2xx answer. */
export async function callJson<T>(baseUrl: string, method: string, body: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${TWIRP}/${method}`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Starts `count` empty conversations through the API, one user each (`<userPrefix><i>`). */
export async function startConversations(
  baseUrl: string,
  count: number,
  userPrefix: string,
): Promise<Array<{ id: string; userId: string }>> {
  const out: Array<{ id: string; userId: string }> = [];
  for (let i = 0; i < count; i++) {
    const userId = `${userPrefix}${i}`;
    const res = await callJson<{ conversation: { id: string } }>(baseUrl, 'StartConversation', {
      session: { platform: 'bench', user_id: userId },
    });
    out.push({ id: res.conversation.id, userId });
  }
  return out;
}

/** Starts `count` conversations on the baseline server. */
export async function startBaselineConversations(
  baseUrl: string,
  count: number,
  userPrefix: string,
): Promise<Array<{ id: string; userId: string }>> {
  const out: Array<{ id: string; userId: string }> = [];
  for (let i = 0; i < count; i++) {
    const userId = `${userPrefix}${i}`;
    const res = await fetch(`${baseUrl}/start`, {
      method: 'POST',
      body: JSON.stringify({ user_id: userId }),
    });
    const { conversation_id: id } = (await res.json()) as { conversation_id: string };
    out.push({ id, userId });
  }
  return out;
}

export interface PrefilledGroup {
  /** Messages each conversation holds before the benchmark. */
  size: number;
  conversations: Array<{ id: string; userId: string }>;
}

/**
 * Writes conversations with long histories straight into the server's SQLite file before the server
 * starts, through the server's own EmbeddedConversationStore.append (the write a turn does), not the
 * HTTP API: 10,000-message histories through the API would take minutes of model round trips.
 */
export async function prefill(
  dataDir: string,
  plan: Array<{ size: number; count: number }>,
): Promise<PrefilledGroup[]> {
  const store = new EmbeddedConversationStore({ path: join(dataDir, 'parley.db') });
  const groups: PrefilledGroup[] = [];
  try {
    for (const { size, count } of plan) {
      const conversations: Array<{ id: string; userId: string }> = [];
      for (let c = 0; c < count; c++) {
        const userId = `h${size}-${c}`;
        const record = await store.create({
          owner: { clientId: CLIENT, userId },
          title: `History of ${size}`,
          platform: 'bench',
          chatId: '',
        });
        for (let i = 0; i < size; i++) {
          const role = i % 2 === 0 ? 'user' : 'assistant';
          await store.append(record.id, { role, content: historyText(role) });
        }
        conversations.push({ id: record.id, userId });
      }
      groups.push({ size, conversations });
    }
  } finally {
    await store.close();
  }
  return groups;
}

/**
 * History shaped like the benchmark's own turns (the question and the stand-in's echo), so that a
 * window holding old and new messages costs the same tokens whichever it holds.
 */
function historyText(role: 'user' | 'assistant'): string {
  return role === 'user' ? TURN_MESSAGE : `Echo: ${TURN_MESSAGE}`;
}
