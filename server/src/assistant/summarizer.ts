import type { Logger } from '@parley/logger';
import type { HistoryMessage } from './context-window.ts';
import type { Llm } from './llm.ts';
import { promptText } from './prompt-attachments.ts';

const SUMMARY_INSTRUCTIONS =
  'You maintain a running summary of a conversation between a user and an assistant. Merge the previous ' +
  'summary and the new messages into one updated summary of at most 200 words. Keep facts, names, ' +
  'preferences, decisions and open questions; drop pleasantries. Reply with the summary only.';

const MAX_SUMMARY_CHARS = 2_000;

const TITLE_INSTRUCTIONS =
  'Write a short title (at most 6 words) for a conversation that starts with the message below. ' +
  'Reply with the title only, no quotes, no trailing punctuation.';

/** Model-made summaries and titles. Both are best effort: a failure is logged and returns null. */
export class Summarizer {
  readonly #llm: Llm;
  readonly #logger: Logger;

  constructor(deps: { llm: Llm; logger: Logger }) {
    this.#llm = deps.llm;
    this.#logger = deps.logger;
  }

  async summarize(previous: string, messages: HistoryMessage[], model?: string): Promise<string | null> {
    // Files are said in words (transcripts, document text, where images were): a summary holds no images.
    const text = (m: HistoryMessage) => (m.role === 'user' ? promptText(m, 'dropped') : m.content);
    const transcript = messages.map((m) => `${m.role}: ${text(m)}`).join('\n');
    const prompt = `Previous summary:\n${previous || '(none)'}\n\nNew messages:\n${transcript}`;
    const summary = await this.#ask(SUMMARY_INSTRUCTIONS, prompt, 400, model, 'summary');
    // Not every OpenAI-compatible server honours max_tokens; the summary must stay bounded regardless.
    return summary && summary.length > MAX_SUMMARY_CHARS
      ? `${summary.slice(0, MAX_SUMMARY_CHARS)}…`
      : summary;
  }

  async title(firstMessage: string, model?: string): Promise<string | null> {
    const title = await this.#ask(TITLE_INSTRUCTIONS, firstMessage.slice(0, 2_000), 20, model, 'title');
    const clean = title
      ?.replace(/^["'\s]+|["'.\s]+$/g, '')
      .split('\n')[0]
      ?.slice(0, 80);
    return clean || null;
  }

  async #ask(system: string, user: string, maxTokens: number, model: string | undefined, what: string) {
    try {
      const response = await this.#llm.complete({
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
        maxTokens,
        ...(model ? { model } : {}),
      });
      return response.content.trim() || null;
    } catch (err) {
      this.#logger.warn({ err, what }, 'could not make a conversation %s; keeping the previous one', what);
      return null;
    }
  }
}
