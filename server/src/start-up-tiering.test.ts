import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// V8's flags are per process: each case runs in a child node with this module loaded first.
const moduleUrl = new URL('./start-up-tiering.ts', import.meta.url).href;
const script = `
  const { optimizeFromNowOn } = await import(${JSON.stringify(moduleUrl)});
  function hot(s) { let x = 0; for (let i = 0; i < s.length; i += 1) x += s.charCodeAt(i); return x; }
  const run = (label) => { let t = 0; for (let i = 0; i < 200000; i += 1) t += hot('abcdefghijklmnop' + i); console.log(label, t > 0); };
  run('starting'); optimizeFromNowOn(); run('listening');
`;

function node(options: string[]): string {
  const args = [...options, '--import', 'tsx', '--input-type=module', '-e', script];
  return execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('start-up tiering', () => {
  it('keeps TurboFan off while the server starts and optimises what is hot once it listens', () => {
    const [starting, listening] = node(['--trace-opt']).split('starting true\n');
    // (tsx itself loads before the module, and may be optimised before it.)
    expect(starting).not.toMatch(/completed optimizing .*<JSFunction hot /);
    expect(listening).toMatch(/completed optimizing .*<JSFunction hot /);
  });

  it('leaves a process started --jitless alone', () => {
    expect(node(['--jitless'])).toBe('starting true\nlistening true\n');
  });
});
