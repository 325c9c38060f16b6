import { expect } from 'vitest';

const TELEGRAM_TAGS = ['b', 'i', 's', 'code', 'pre', 'a'];

/**
 * Asserts that `html` is what Telegram's HTML parse mode accepts: only its tags, properly nested and all
 * closed, and no raw `<`, `>` or stray `&` in the text.
 */
export function expectTelegramHtml(html: string): void {
  const stack: string[] = [];
  const problems: string[] = [];
  for (const [tag, slash, name = ''] of html.matchAll(/<(\/?)([a-z]+)[^>]*>/g)) {
    if (!TELEGRAM_TAGS.includes(name)) problems.push(`unknown ${tag}`);
    if (!slash) stack.push(name);
    else if (stack.pop() !== name) problems.push(`misplaced ${tag}`);
  }
  expect(problems).toEqual([]);
  expect(stack).toEqual([]);
  const text = html.replace(/<\/?[a-z]+[^>]*>/g, '');
  expect(text).not.toMatch(/<|>/);
  expect(text).not.toMatch(/&(?!(amp|lt|gt|quot);)/);
}
