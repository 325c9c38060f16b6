import { describe, expect, it } from 'vitest';
import { expectTelegramHtml } from '../testing/expect-telegram-html.ts';
import { markdownToTelegramHtml } from './reply-format.ts';
import { splitMessage, TELEGRAM_MESSAGE_LIMIT } from './split-message.ts';

function expectValidParts(parts: string[], limit = TELEGRAM_MESSAGE_LIMIT): void {
  expect(parts.length).toBeGreaterThan(0);
  for (const part of parts) {
    expect(part.length).toBeLessThanOrEqual(limit);
    expect(part.trim()).not.toBe('');
    expectTelegramHtml(part);
    // No lone surrogate at either end: an emoji was never cut in half.
    expect(part).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  }
}

/** The visible text of all parts joined, without tags or the whitespace dropped at cuts. */
function visible(parts: string[]): string {
  return parts
    .join('')
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, '');
}

describe('splitMessage', () => {
  it('keeps a short message whole', () => {
    expect(splitMessage('<b>hi</b> there')).toEqual(['<b>hi</b> there']);
  });

  it('cuts at paragraph breaks before line breaks before spaces', () => {
    const paragraph = `${'a'.repeat(30)}\n${'b'.repeat(30)}`;
    expect(splitMessage(`${paragraph}\n\n${paragraph}`, 70)).toEqual([paragraph, paragraph]);
    expect(splitMessage(`${'a'.repeat(30)}\n${'b'.repeat(30)} ${'c'.repeat(20)}`, 55)).toEqual([
      'a'.repeat(30),
      `${'b'.repeat(30)} ${'c'.repeat(20)}`,
    ]);
    expect(splitMessage('one two three four five six', 10)).toEqual(['one two', 'three four', 'five six']);
  });

  it('closes tags at a cut and re-opens them in the next message', () => {
    const parts = splitMessage(`<b>${'word '.repeat(30)}</b>`, 50);
    expectValidParts(parts, 50);
    for (const part of parts) expect(part).toMatch(/^<b>.*<\/b>$/s);
    const link = splitMessage(`<a href="https://x.org">${'go '.repeat(40)}</a>`, 60);
    expectValidParts(link, 60);
    for (const part of link) expect(part.startsWith('<a href="https://x.org">')).toBe(true);
  });

  it('never cuts inside an entity', () => {
    const parts = splitMessage('&amp;'.repeat(100), 23);
    expectValidParts(parts, 23);
    expect(parts.join('')).toBe('&amp;'.repeat(100));
  });

  it('keeps an emoji at the 4096 boundary whole', () => {
    for (const emoji of ['😀', '👨‍👩‍👧‍👦', '🇩🇪', '👍🏽']) {
      for (let shift = 0; shift < 4; shift++) {
        const text = `${'x'.repeat(TELEGRAM_MESSAGE_LIMIT - 2 + shift)}${emoji}${'y'.repeat(10)}`;
        const parts = splitMessage(text);
        expectValidParts(parts);
        expect(parts.join('')).toBe(text);
        expect(parts.some((p) => p.includes(emoji))).toBe(true);
      }
    }
  });

  it('cuts a single 5000-character word between characters', () => {
    const word = 'w'.repeat(5_000);
    const parts = splitMessage(word);
    expect(parts.map((p) => p.length)).toEqual([TELEGRAM_MESSAGE_LIMIT, 5_000 - TELEGRAM_MESSAGE_LIMIT]);
  });

  it('splits 10k characters of formatted Markdown into valid messages without losing text', () => {
    const paragraph = 'Some **bold** text, a [link](https://example.com), `code` and _italics_ 😀.';
    const markdown = Array.from({ length: 130 }, (_, i) => `${i}. ${paragraph}`).join('\n\n');
    expect(markdown.length).toBeGreaterThan(10_000);
    const html = markdownToTelegramHtml(markdown);
    const parts = splitMessage(html);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expectValidParts(parts);
    expect(visible(parts)).toBe(visible([html]));
  });

  it('splits a long code block into several valid pre blocks', () => {
    const code = Array.from({ length: 400 }, (_, i) => `  const line${i} = ${i} < 10 && true;`).join('\n');
    const parts = splitMessage(markdownToTelegramHtml(`\`\`\`ts\n${code}\n\`\`\``));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expectValidParts(parts);
    for (const part of parts) expect(part).toMatch(/^<pre><code class="language-ts">[\s\S]*<\/code><\/pre>$/);
    // Indentation survives a cut between lines.
    expect(parts[1]).toMatch(/^<pre><code class="language-ts"> {2}const/);
  });

  it('survives hostile input', () => {
    const hostile = [
      `${'*_['.repeat(3_000)}`,
      `<script>${'x'.repeat(6_000)}</script>`,
      `e\u0301${'\u0301'.repeat(5_000)}`,
      '\n\n\n\n'.repeat(2_000),
      `${'😀'.repeat(3_000)}`,
    ];
    for (const text of hostile) {
      const parts = splitMessage(markdownToTelegramHtml(text));
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(TELEGRAM_MESSAGE_LIMIT);
      if (text.trim()) expectValidParts(parts);
    }
  });
});
