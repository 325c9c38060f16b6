import { describe, expect, it } from 'vitest';
import { VirtualScreen } from '../testing/virtual-screen.ts';
import { LiveMarkdown, rowsOf, terminalSafe } from './live-markdown.ts';
import { MarkdownStream } from './markdown.ts';

const reply = [
  'Some **bold** words that go on for long enough to wrap across more than one row of a narrow terminal.',
  '',
  '- one',
  '- two',
  '',
  '```ts',
  'const x = 1;',
  '',
  'const y = 2;',
  '```',
  '',
  'The *end*.',
].join('\n');

/** What the whole reply looks like rendered block by block in one go, on a fresh screen. */
function rendered(text: string, columns: number): string {
  const screen = new VirtualScreen(columns, 100);
  const stream = new MarkdownStream({ width: columns });
  screen.write(stream.push(text) + stream.end());
  return screen.text;
}

function streamInto(screen: VirtualScreen, text: string, size: number): LiveMarkdown {
  const live = new LiveMarkdown(screen);
  for (let i = 0; i < text.length; i += size) live.push(text.slice(i, i + size));
  return live;
}

describe('LiveMarkdown', () => {
  it.each([1, 3, 17])(
    'leaves exactly the rendered reply on screen, streamed %i characters at a time',
    (size) => {
      const screen = new VirtualScreen(40, 30);
      streamInto(screen, reply, size).end();
      expect(screen.text).toBe(rendered(reply, 40));
      expect(screen.text).not.toContain('**');
      expect(screen.text).not.toContain('```');
    },
  );

  it('shows the block being written as raw text, and completed blocks rendered', () => {
    const screen = new VirtualScreen(80, 24);
    const live = streamInto(screen, 'Hello **world**.\n\n- one\n- tw', 4);
    expect(screen.text).toBe('Hello world.\n\n- one\n- tw');
    live.push('o\n');
    live.end();
    expect(screen.text).toBe('Hello world.\n\n  * one\n  * two');
  });

  it('keeps text before it on screen and ends on a new line', () => {
    const screen = new VirtualScreen(80, 24);
    screen.write('> question\n');
    const live = streamInto(screen, 'An **answer**', 2);
    live.end();
    screen.write('> ');
    expect(screen.text).toBe('> question\nAn answer\n>');
  });

  it('leaves a block taller than the screen raw, and renders the blocks after it', () => {
    const screen = new VirtualScreen(40, 5);
    const code = ['```', ...Array.from({ length: 8 }, (_, i) => `line ${i}`), '```'].join('\n');
    streamInto(screen, `${code}\n\nAfter **it**.`, 5).end();
    expect(screen.text).toBe(`${code}\n\nAfter it.`);
  });

  it('ends a reply cut short mid-block on a new line, rendered', () => {
    const screen = new VirtualScreen(80, 24);
    streamInto(screen, 'Half a **sentence', 3).end();
    expect(screen.text).toBe('Half a **sentence');
    expect(screen.lines.at(-1)).toBe('');
  });
});

describe('rowsOf', () => {
  it('counts wrapped lines, full-width lines and wide characters', () => {
    expect(rowsOf('abc', 10)).toBe(1);
    expect(rowsOf('abc\n', 10)).toBe(2);
    expect(rowsOf('x'.repeat(10), 10)).toBe(1);
    expect(rowsOf('x'.repeat(11), 10)).toBe(2);
    expect(rowsOf('日本語日本語', 10)).toBe(2);
  });
});

describe('terminalSafe', () => {
  it('drops escape sequences and carriage returns, keeping newlines and tabs', () => {
    expect(terminalSafe('a\u001b[2Jb\r\nc\td\u0007\u009b')).toBe('a[2Jb\nc\td');
  });
});
