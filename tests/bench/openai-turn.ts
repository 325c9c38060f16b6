import OpenAI from 'openai';
import { API_KEY } from './fixtures.ts';

/** One client of the OpenAI-compatible API: its own end user and the history it holds, as a real one does. */
export interface OpenAiWorker {
  client: OpenAI;
  userId: string;
  history: OpenAI.ChatCompletionMessageParam[];
}

/** Turns a worker's conversation holds before it starts a new one (its requests stay about one size). */
const TURNS_PER_CONVERSATION = 10;

export function openAiWorker(baseUrl: string, userId: string): OpenAiWorker {
  const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: API_KEY, maxRetries: 0, timeout: 60_000 });
  return { client, userId, history: [] };
}

/**
 * One streamed completion continuing the worker's conversation (its history is the stored transcript, so
 * the server appends to it); returns the error's text, or '' when it succeeded.
 */
export async function openAiStreamTurn(worker: OpenAiWorker, message: string): Promise<string> {
  if (worker.history.length >= TURNS_PER_CONVERSATION * 2) worker.history = [];
  const messages = [...worker.history, { role: 'user' as const, content: message }];
  try {
    const stream = await worker.client.chat.completions.create({
      model: 'parley',
      messages,
      stream: true,
      user: worker.userId,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    worker.history = [...messages, { role: 'assistant', content: text }];
    return '';
  } catch (err) {
    worker.history = [];
    return err instanceof Error ? err.message : String(err);
  }
}
