import { describe, expect, it } from 'vitest';
import { MarkdownStream, renderMarkdown } from './markdown.ts';

const BOLD_ON = '\u001b[1m';
const BOLD_OFF = '\u001b[22m';

const reply = [
  'Some **bold** words.',
  '',
  '- one',
  '- two',
  '  - nested',
  '',
  '1. first',
  '2. second',
  '',
  '```ts',
  'const x = 1;',
  '',
  'const y = 2;',
  '```',
  '',
  'The end.',
].join('\n');

describe('renderMarkdown', () => {
  it('renders bold and italics inside list items too', () => {
    const out = renderMarkdown('- a **bold** item\n- an *italic* one', { width: 80 });
    expect(out).toContain(`${BOLD_ON}bold${BOLD_OFF}`);
    expect(out).toContain('\u001b[3mitalic\u001b[23m');
    expect(out).not.toMatch(/\*\*|\*italic/);
  });

  it('renders bold as an ANSI style, without the asterisks', () => {
    const out = renderMarkdown('Some **bold** words.', { width: 80 });
    expect(out).toContain(`${BOLD_ON}bold${BOLD_OFF}`);
    expect(out).not.toContain('**');
  });

  it('keeps the layout and drops the styles without colour', () => {
    const out = renderMarkdown(reply, { width: 80, color: false });
    expect(out).not.toContain('\u001b[');
    expect(out).toBe(
      [
        'Some bold words.',
        '',
        '  * one',
        '  * two',
        '    * nested',
        '',
        '  1. first',
        '  2. second',
        '',
        '  const x = 1;',
        '  ',
        '  const y = 2;',
        '',
        'The end.',
        '',
      ].join('\n'),
    );
  });

  it('wraps paragraphs at the width', () => {
    const out = renderMarkdown('word '.repeat(30).trim(), { width: 30, color: false });
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(30);
  });
});

describe('MarkdownStream', () => {
  it('renders each block once it is complete, and code blocks only when closed', () => {
    const stream = new MarkdownStream({ width: 80, color: false });
    const outputs: string[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      const out = stream.push(reply.slice(i, i + 3));
      if (out) outputs.push(out);
    }
    outputs.push(stream.end());
    expect(outputs).toEqual([
      'Some bold words.\n\n',
      '  * one\n  * two\n    * nested\n\n',
      '  1. first\n  2. second\n\n',
      '  const x = 1;\n  \n  const y = 2;\n\n',
      'The end.\n',
    ]);
    expect(outputs.join('')).toBe(renderMarkdown(reply, { width: 80, color: false }));
  });

  it('holds an unfinished block until the end', () => {
    const stream = new MarkdownStream({ width: 80, color: false });
    expect(stream.push('Half a para')).toBe('');
    expect(stream.push('graph')).toBe('');
    expect(stream.end()).toBe('Half a paragraph\n');
    expect(stream.end()).toBe('');
  });
});
