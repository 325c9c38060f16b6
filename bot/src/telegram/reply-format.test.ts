import { describe, expect, it } from 'vitest';
import { expectTelegramHtml as expectWellFormed } from '../testing/expect-telegram-html.ts';
import { escapeHtml, markdownToTelegramHtml as toHtml } from './reply-format.ts';

describe('markdownToTelegramHtml', () => {
  it('converts bold, italic, strike and inline code', () => {
    expect(toHtml('**bold** and __also__, *it* and _it_, ~~gone~~, `x < y`')).toBe(
      '<b>bold</b> and <b>also</b>, <i>it</i> and <i>it</i>, <s>gone</s>, <code>x &lt; y</code>',
    );
  });

  it('nests emphasis inside bold', () => {
    expect(toHtml('**very *much* so**')).toBe('<b>very <i>much</i> so</b>');
  });

  it('turns fenced blocks into pre/code with the language, escaping their content', () => {
    expect(toHtml('Look:\n```ts\nconst a = 1 < 2 && **b**;\n```\ndone')).toBe(
      'Look:\n<pre><code class="language-ts">const a = 1 &lt; 2 &amp;&amp; **b**;</code></pre>\ndone',
    );
    expect(toHtml('```\nplain\n```')).toBe('<pre><code>plain</code></pre>');
  });

  it('makes http and https links, and leaves other schemes literal', () => {
    expect(toHtml('[Parley](https://example.com/a?b=1&c="2")')).toBe(
      '<a href="https://example.com/a?b=1&amp;c=&quot;2&quot;">Parley</a>',
    );
    expect(toHtml('[click](javascript:alert(1))')).toBe('[click](javascript:alert(1))');
    expect(toHtml('[**bold** link](http://x.org)')).toBe('<a href="http://x.org"><b>bold</b> link</a>');
  });

  it('turns headings into bold lines and bullets into dots', () => {
    expect(toHtml('## Weather\n- sunny\n* warm')).toBe('<b>Weather</b>\n• sunny\n• warm');
    expect(toHtml('# Learn C# ##')).toBe('<b>Learn C#</b>');
  });

  it('escapes HTML-looking input instead of passing it through', () => {
    expect(toHtml('<script>alert("x")</script> & <b>')).toBe(
      '&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;',
    );
  });

  it('leaves unbalanced markers literal', () => {
    expect(toHtml('2 * 3 * 4 = 24')).toBe('2 * 3 * 4 = 24');
    expect(toHtml('**not closed and *neither')).toBe('**not closed and *neither');
    expect(toHtml('snake_case_name and file_name.ts')).toBe('snake_case_name and file_name.ts');
    expect(toHtml('[not a link and `unclosed')).toBe('[not a link and `unclosed');
    expect(toHtml('```never closed\n*x*')).toBe('```never closed\n<i>x</i>');
  });

  it('stays well-formed on hostile text', () => {
    const hostile = [
      '*_[`*_[`**__~~',
      '***a***b***',
      '**a `**` b**',
      '_*_*_*_*_*_*_*_*_*_*x*_*_*_*_*_*_*_*_*_',
      '```a```b```c',
      '```js\n```nested```\n```',
      '[a](http://`x`) [b](https://y.org/`z`)',
      '<pre><code>`</code></pre>',
      '\uE0000\uE001 placeholder lookalike',
      '[*a](http://x.org)*',
      '**[a**](http://x.org)',
    ];
    for (const text of hostile) expectWellFormed(toHtml(text));
  });

  it('handles 10k characters of markers', () => {
    expectWellFormed(toHtml('*_'.repeat(5_000)));
    expectWellFormed(toHtml('**a** _b_ '.repeat(1_000)));
    expect(toHtml('*'.repeat(10_000))).toBe('*'.repeat(10_000));
  });

  it('escapes &, < and >', () => {
    expect(escapeHtml('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
  });
});
