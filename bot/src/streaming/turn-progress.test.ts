import { ToolPhase } from '@parley/rpc';
import { turnEvent } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { textsFor } from '../i18n/texts.ts';
import { TurnProgress } from './turn-progress.ts';

describe('TurnProgress', () => {
  it('shows the tool at work until the model writes on', () => {
    const progress = new TurnProgress(true, textsFor('en'));
    expect(progress.apply(turnEvent.started('c1'))).toBe(false);
    expect(progress.previewHtml()).toBe('');
    expect(progress.apply(turnEvent.tool({ name: 'get_weather', arguments: '{"location":"Paris"}' }))).toBe(
      true,
    );
    expect(progress.previewHtml()).toBe('<i>🔧 Looking up the weather in Paris…</i>');
    expect(progress.apply(turnEvent.tool({ name: 'get_weather', phase: ToolPhase.FINISHED }))).toBe(false);
    expect(progress.apply(turnEvent.delta('It is **sunny'))).toBe(true);
    expect(progress.previewHtml()).toBe('It is <b>sunny</b>');
    expect(progress.conversationId).toBe('c1');
  });

  it('shows the end of a reply too long for one message, with the tool line, within 4096 characters', () => {
    const progress = new TurnProgress(true, textsFor('en'));
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}. ${'x'.repeat(300)}`);
    progress.apply(turnEvent.delta(paragraphs.join('\n\n')));
    progress.apply(turnEvent.tool({ name: 'lookup', arguments: '{}' }));
    const html = progress.previewHtml();
    expect(html.length).toBeLessThanOrEqual(4096);
    expect(html.startsWith('… Paragraph')).toBe(true);
    expect(html).toContain('Paragraph 29.');
    expect(html.endsWith('<i>🔧 Using lookup…</i>')).toBe(true);
  });

  it('keeps the done event', () => {
    const progress = new TurnProgress(true, textsFor('en'));
    progress.apply(turnEvent.done('c9', 'All done'));
    expect(progress.done?.reply?.content).toBe('All done');
    expect(progress.conversationId).toBe('c9');
  });
});
