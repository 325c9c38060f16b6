import { ToolEvent, ToolPhase } from '@parley/rpc';
import { turnEvent } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { MemoryStream, testIo } from '../testing/test-io.ts';
import { VirtualScreen } from '../testing/virtual-screen.ts';
import { createTurnView, formatToolProgress } from './turn-view.ts';

function terminalIo() {
  const t = testIo();
  t.io.stdout = Object.assign(new MemoryStream(true), { columns: 60, rows: 20 });
  return { ...t, stdout: t.io.stdout as MemoryStream };
}

function screenOf(text: string): string {
  const screen = new VirtualScreen(60, 20);
  screen.write(text);
  return screen.text;
}

describe('the terminal view', () => {
  it('renders the reply as Markdown, ending the text before a tool line', () => {
    const t = terminalIo();
    const view = createTurnView(t.io, {});
    view.event(turnEvent.started('c1', true));
    view.event(turnEvent.delta('Let me **check**'));
    view.event(turnEvent.tool({ name: 'get_weather', arguments: '{"location":"Paris"}' }));
    view.event(turnEvent.delta('It is *sunny*:\n\n- warm\n'));
    view.event(turnEvent.delta('- dry'));
    view.finish('done');
    expect(screenOf(t.stdout.text)).toBe('Let me check\nIt is sunny:\n\n  * warm\n  * dry');
    expect(t.stdout.text).toMatch(/\n$/);
    expect(t.stderr.text).toBe('↳ get_weather Paris\n');
  });

  it('marks a cancelled reply on stderr after ending its line', () => {
    const t = terminalIo();
    const view = createTurnView(t.io, {});
    view.event(turnEvent.delta('Half'));
    view.finish('interrupted');
    expect(screenOf(t.stdout.text)).toBe('Half');
    expect(t.stdout.text.endsWith('\n')).toBe(true);
    expect(t.stderr.text).toBe('(interrupted)\n');
  });

  it('prints an empty line for a reply without text', () => {
    const t = terminalIo();
    const view = createTurnView(t.io, {});
    view.finish('done');
    expect(t.stdout.text).toBe('\n');
  });
});

describe('formatToolProgress', () => {
  const tool = (fields: Partial<ToolEvent>) =>
    ToolEvent.create({ name: 'lookup', phase: ToolPhase.STARTED, ...fields });

  it('names the tool and its argument values', () => {
    expect(formatToolProgress(tool({ arguments: '{"city":"Paris","days":2,"units":["c"]}' }))).toBe(
      '↳ lookup Paris 2 ["c"]',
    );
    expect(formatToolProgress(tool({ arguments: '{}' }))).toBe('↳ lookup');
    expect(formatToolProgress(tool({ arguments: 'not json' }))).toBe('↳ lookup not json');
    expect(
      formatToolProgress(tool({ arguments: JSON.stringify({ q: 'x'.repeat(100) }) })).length,
    ).toBeLessThan(75);
  });

  it('says when a tool failed, and nothing when it succeeded', () => {
    expect(
      formatToolProgress(tool({ phase: ToolPhase.FINISHED, isError: true, result: 'provider down' })),
    ).toBe('↳ lookup failed: provider down');
    expect(formatToolProgress(tool({ phase: ToolPhase.FINISHED, result: 'ok' }))).toBe('');
  });
});
