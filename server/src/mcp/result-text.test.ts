import { describe, expect, it } from 'vitest';
import { resultText } from './result-text.ts';

const options = { server: 'docs', maxChars: 1_000 };

describe('resultText', () => {
  it('joins text blocks and describes what the model cannot read', () => {
    const text = resultText(
      {
        content: [
          { type: 'text', text: 'first' },
          { type: 'image', data: 'AAAA', mimeType: 'image/png' },
          { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt' },
          { type: 'resource', resource: { uri: 'file:///b.txt', text: 'embedded' } },
          { type: 'resource', resource: { uri: 'file:///c.bin', blob: 'AAAA', mimeType: 'application/zip' } },
        ],
      },
      options,
    );
    expect(text).toBe(
      [
        '[from MCP server "docs"]',
        'first',
        '[image: image/png, 3 bytes, not shown]',
        '[resource: a.txt file:///a.txt]',
        'embedded',
        '[resource: file:///c.bin (application/zip), binary, not shown]',
      ].join('\n'),
    );
  });

  it('falls back to structured content, then says there was none', () => {
    expect(resultText({ content: [], structuredContent: { n: 1 } }, options)).toBe(
      '[from MCP server "docs"]\n{"n":1}',
    );
    expect(resultText({ content: [] }, options)).toBe('[from MCP server "docs"]\n(no content)');
  });

  it('caps long results', () => {
    const text = resultText(
      { content: [{ type: 'text', text: 'x'.repeat(50) }] },
      { server: 's', maxChars: 10 },
    );
    expect(text).toBe(`[from MCP server "s"]\n${'x'.repeat(10)}… [result truncated]`);
  });
});
