import { describe, expect, it } from 'vitest';
import { TOOL_NAME, ToolNamer } from './tool-names.ts';

describe('ToolNamer', () => {
  it('prefixes the server name', () => {
    expect(new ToolNamer('docs').name('search')).toBe('docs__search');
  });

  it('replaces characters models reject', () => {
    expect(new ToolNamer('gh').name('repos.list/all')).toBe('gh__repos_list_all');
  });

  it('cuts long names to 64 characters with a stable hash suffix', () => {
    const long = `fetch_${'x'.repeat(100)}`;
    const name = new ToolNamer('server').name(long);
    expect(name).toHaveLength(64);
    expect(name).toMatch(TOOL_NAME);
    expect(new ToolNamer('server').name(long)).toBe(name);
    expect(new ToolNamer('server').name(`${long}y`)).not.toBe(name);
  });

  it('gives a colliding name to the first tool only', () => {
    const namer = new ToolNamer('s');
    expect(namer.name('a.b')).toBe('s__a_b');
    expect(namer.name('a_b')).toBeUndefined();
  });
});
