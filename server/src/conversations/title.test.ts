import { describe, expect, it } from 'vitest';
import { fallbackTitle } from './title.ts';

describe('fallbackTitle', () => {
  it('uses the first line, cut at a word boundary', () => {
    expect(fallbackTitle('  Hello\nworld')).toBe('Hello');
    expect(fallbackTitle('')).toBe('New conversation');
    const long = fallbackTitle('word '.repeat(30));
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long.endsWith('…')).toBe(true);
  });
});
