import { describe, expect, it } from 'vitest';
import {
  type ContextMessage,
  estimateTokens,
  fitMessages,
  type HistoryMessage,
  IMAGE_TOKENS,
  planContext,
} from './context-window.ts';

const photo = (id: string) => ({ id, kind: 'image' as const, mediaType: 'image/png', name: `${id}.png` });
const user = (seq: number, content: string, images: string[] = []): HistoryMessage => ({
  seq,
  role: 'user',
  content,
  ...(images.length > 0 ? { attachments: images.map(photo) } : {}),
});
const assistant = (seq: number, content: string): HistoryMessage => ({ seq, role: 'assistant', content });

describe('planContext with images', () => {
  const history = [
    user(1, 'first photo', ['old']),
    assistant(2, 'a cat'),
    user(3, 'second photo', ['new']),
    assistant(4, 'a dog'),
    user(5, 'compare them'),
  ];

  it('shows every image that fits, counting each in the budget', () => {
    const plan = planContext({
      recent: history,
      systemTokens: 10,
      summarizedThroughSeq: 0,
      budgetTokens: 10_000,
      vision: true,
    });
    expect(plan.messages.map((m) => m.imageIds ?? [])).toEqual([['old'], [], ['new'], [], []]);
    expect(plan.estimatedTokens).toBeGreaterThan(2 * IMAGE_TOKENS);
  });

  it('drops older images first, keeping their messages’ text and saying so', () => {
    const text = history.reduce((sum, m) => sum + estimateTokens(m.content) + 30, 0);
    const plan = planContext({
      recent: history,
      systemTokens: 0,
      summarizedThroughSeq: 0,
      budgetTokens: text + IMAGE_TOKENS,
      vision: true,
    });
    expect(plan.messages).toHaveLength(5);
    expect(plan.messages.map((m) => m.imageIds ?? [])).toEqual([[], [], ['new'], [], []]);
    expect(plan.messages[0]?.content).toBe(
      'first photo\n\n[Image "old.png": not shown any more: older images are left out to fit the context]',
    );
    expect(plan.unsummarized).toEqual([]);
  });

  it('always sends the newest message with its images, even over the budget', () => {
    const plan = planContext({
      recent: [user(1, 'look', ['a', 'b'])],
      systemTokens: 0,
      summarizedThroughSeq: 0,
      budgetTokens: 100,
      vision: true,
    });
    expect(plan.messages[0]?.imageIds).toEqual(['a', 'b']);
  });

  it('names images in words for a model that cannot see', () => {
    const plan = planContext({
      recent: [user(1, 'look', ['a'])],
      systemTokens: 0,
      summarizedThroughSeq: 0,
      budgetTokens: 1_000,
    });
    expect(plan.messages[0]).toEqual({
      role: 'user',
      content: 'look\n\n[Image "a.png": not shown: this model cannot see images]',
    });
  });
});

describe('fitMessages with images', () => {
  const image = { mediaType: 'image/png', data: new Uint8Array([1]) };
  const shown = (content: string): ContextMessage => ({
    role: 'user',
    content: `${content} [Image: attached below]`,
    images: [image],
    withoutImages: `${content} [Image: not shown any more]`,
  });
  const request: ContextMessage[] = [
    shown('old'),
    { role: 'assistant', content: 'a cat' },
    shown('new'),
    { role: 'assistant', content: 'a dog' },
    { role: 'user', content: 'compare' },
  ];
  const cost = (messages: readonly ContextMessage[]) =>
    messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);

  it('keeps every image that fits, counted in the budget', () => {
    const fitted = fitMessages(request, 0, cost(request) + 2 * IMAGE_TOKENS);
    expect(fitted.map((m) => (m.role === 'user' ? (m.images?.length ?? 0) : '-'))).toEqual([
      1,
      '-',
      1,
      '-',
      0,
    ]);
    expect(fitted.some((m) => 'withoutImages' in m)).toBe(false);
  });

  it('leaves older images out before any text, saying so', () => {
    const fitted = fitMessages(request, 0, cost(request) + IMAGE_TOKENS + 10);
    expect(fitted.map((m) => m.content)).toEqual([
      'old [Image: not shown any more]',
      'a cat',
      'new [Image: attached below]',
      'a dog',
      'compare',
    ]);
    expect(fitted[0]).not.toHaveProperty('images');
  });

  it('always sends the newest message with its images', () => {
    expect(fitMessages([shown('only')], 0, 1)).toEqual([
      { role: 'user', content: 'only [Image: attached below]', images: [image] },
    ]);
  });
});
