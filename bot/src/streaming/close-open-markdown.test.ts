import { describe, expect, it } from 'vitest';
import { markdownToTelegramHtml } from '../telegram/reply-format.ts';
import { closeOpenMarkdown } from './close-open-markdown.ts';

const preview = (text: string) => markdownToTelegramHtml(closeOpenMarkdown(text));

describe('closeOpenMarkdown', () => {
  it('closes bold, strike and code still being written', () => {
    expect(preview('a **bold wo')).toBe('a <b>bold wo</b>');
    expect(preview('a **b ~~c')).toBe('a <b>b <s>c</s></b>');
    expect(preview('run `npm i')).toBe('run <code>npm i</code>');
    expect(preview('x\n```js\nconst a = 1;')).toBe(
      'x\n<pre><code class="language-js">const a = 1;</code></pre>',
    );
  });

  it('drops a marker with nothing after it yet', () => {
    expect(preview('a **')).toBe('a');
    expect(preview('done. `')).toBe('done.');
    expect(preview('a **b** and ~~ ')).toBe('a <b>b</b> and');
  });

  it('leaves finished text and markers inside code alone', () => {
    expect(closeOpenMarkdown('a **b** `**` c')).toBe('a **b** `**` c');
    expect(closeOpenMarkdown('```\n** x\n```\nend')).toBe('```\n** x\n```\nend');
    expect(closeOpenMarkdown('plain text ')).toBe('plain text ');
  });
});
