import type { StoredMessage, ToolCallRecord } from '../conversations/conversation-store.ts';
import type { Llm, LlmMessage, LlmUsage } from './llm.ts';

export interface AssistantDeps {
  llm: Llm;
  systemPrompt: string;
  /** How many of the newest messages go into the prompt. */
  contextMaxMessages: number;
}

export interface AssistantReply {
  content: string;
  usage: LlmUsage;
  /** Tool calls made while producing this reply, with their results. */
  toolCalls: ToolCallRecord[];
  /** Distinct names of the tools used, in first-use order. */
  toolsUsed: string[];
}

/** Turns a conversation's recent history into the model's next reply. */
export class Assistant {
  readonly #deps: AssistantDeps;

  constructor(deps: AssistantDeps) {
    this.#deps = deps;
  }

  /** How many recent messages the caller should load for {@link reply}. */
  get windowSize(): number {
    return this.#deps.contextMaxMessages;
  }

  async reply(history: StoredMessage[], signal?: AbortSignal): Promise<AssistantReply> {
    const messages: LlmMessage[] = [{ role: 'system', content: this.#deps.systemPrompt }];
    for (const message of history.slice(-this.#deps.contextMaxMessages)) {
      if (message.role === 'user') messages.push({ role: 'user', content: message.content });
      else if (message.role === 'assistant') messages.push({ role: 'assistant', content: message.content });
    }
    const response = await this.#deps.llm.complete(signal ? { messages, signal } : { messages });
    return { content: response.content, usage: response.usage, toolCalls: [], toolsUsed: [] };
  }
}

/** A title from the first message: its first line, cut at a word boundary. */
export function fallbackTitle(message: string, maxLength = 60): string {
  const line = message.trim().split('\n')[0]?.replace(/\s+/g, ' ') ?? '';
  if (!line) return 'New conversation';
  if (line.length <= maxLength) return line;
  const cut = line.slice(0, maxLength - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > maxLength / 2 ? cut.slice(0, space) : cut}…`;
}
