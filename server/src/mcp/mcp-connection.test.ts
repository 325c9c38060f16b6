import { describe, expect, it } from 'vitest';
import { createScrubber } from './mcp-connection.ts';

describe('createScrubber', () => {
  it('removes header values, bearer tokens and URL credentials', () => {
    const scrub = createScrubber({
      name: 'docs',
      transport: 'http',
      url: 'https://user:pw@docs.example/mcp',
      headers: { Authorization: 'Bearer abcdefgh12345', 'X-Team': 'blue' },
    });
    expect(
      scrub('401 for abcdefgh12345 at https://user:pw@docs.example/mcp (Bearer abcdefgh12345), team blue'),
    ).toBe('401 for [redacted] at https://user:[redacted]@docs.example/mcp ([redacted]), team [redacted]');
  });

  it('removes env values of a stdio server', () => {
    const scrub = createScrubber({
      name: 'gh',
      transport: 'stdio',
      command: 'gh-mcp',
      args: [],
      env: { GITHUB_TOKEN: 'ghp_0123456789' },
    });
    expect(scrub('bad credentials ghp_0123456789')).toBe('bad credentials [redacted]');
  });
});
