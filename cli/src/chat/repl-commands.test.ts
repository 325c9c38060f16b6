import { describe, expect, it } from 'vitest';
import { parseEntry } from './repl-commands.ts';
import { FencedBlock } from './repl-input.ts';

describe('parseEntry', () => {
  it.each([
    ['/help', { name: 'help' }],
    ['/?', { name: 'help' }],
    ['  /new  ', { name: 'new' }],
    ['/LIST', { name: 'list' }],
    ['/ls', { name: 'list' }],
    ['/switch 3', { name: 'switch', target: '3' }],
    ['/switch 6651f0c2a', { name: 'switch', target: '6651f0c2a' }],
    ['/show', { name: 'show' }],
    ['/delete', { name: 'delete' }],
    ['/delete 2', { name: 'delete', target: '2' }],
    ['/exit', { name: 'exit' }],
    ['/quit', { name: 'exit' }],
    ['/attach photo.png', { name: 'attach', path: 'photo.png' }],
    ['/attach "My Notes.pdf"', { name: 'attach', path: 'My Notes.pdf' }],
  ])('reads %j as a command', (input, command) => {
    expect(parseEntry(input)).toEqual({ kind: 'command', command });
  });

  it.each([
    [
      '/frobnicate',
      /^unknown command \/frobnicate; \/help lists them, \/\/text sends text that starts with \/$/,
    ],
    ['/swtich 2', /^unknown command \/swtich \(did you mean \/switch\?\)/],
    ['/switch', /^usage: \/switch <id\|n>/],
    ['/new now', /^\/new takes no argument$/],
    ['/attach', /^usage: \/attach <file>/],
  ])('explains %j instead of sending it', (input, message) => {
    const entry = parseEntry(input);
    expect(entry).toMatchObject({ kind: 'command', command: { name: 'invalid' } });
    expect(entry.kind === 'command' && entry.command.name === 'invalid' && entry.command.message).toMatch(
      message,
    );
  });

  it.each([
    ['hello', 'hello'],
    ['  what is /etc/hosts?  ', 'what is /etc/hosts?'],
    ['/etc/hosts is what?', '/etc/hosts is what?'],
    ['//help me', '/help me'],
    ['/help\nwith two lines', '/help\nwith two lines'],
    ['/help\n', '/help'],
  ])('sends %j as the message %j', (input, text) => {
    expect(parseEntry(input)).toEqual({ kind: 'message', text });
  });

  it('ignores blank entries', () => {
    expect(parseEntry('   ')).toEqual({ kind: 'empty' });
  });
});

describe('FencedBlock', () => {
  function feed(lines: string[]): (string | undefined)[] {
    const block = new FencedBlock();
    return lines.map((line) => block.push(line));
  }

  it('passes lines through outside a block', () => {
    expect(feed(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('joins the lines between """ fences, keeping blank lines and indentation', () => {
    expect(feed(['"""', 'one', '', '  two', '"""'])).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'one\n\n  two\n',
    ]);
  });

  it('counts text on the fence lines, and a one-line block', () => {
    expect(feed(['"""first', 'last"""'])).toEqual([undefined, 'first\nlast\n']);
    expect(feed(['"""just this"""'])).toEqual(['just this\n']);
  });

  it('keeps what was typed when input ends inside a block', () => {
    const block = new FencedBlock();
    block.push('"""');
    block.push('unfinished');
    expect(block.open).toBe(true);
    expect(block.flush()).toBe('unfinished\n');
    expect(block.open).toBe(false);
  });
});
