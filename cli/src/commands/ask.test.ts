import { RpcError, ToolPhase, TurnEvent } from '@parley/rpc';
import { type FakeableClient, FakeChatClient, playTurn, turnEvent } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../io/exit-codes.ts';
import { run } from '../program.ts';
import { factoryFor, testIo } from '../testing/test-io.ts';

function ask(argv: string[], overrides: Partial<FakeableClient> = {}) {
  const t = testIo();
  const client = new FakeChatClient(overrides);
  let interrupt = () => {};
  t.io.onInterrupt = (handler) => {
    interrupt = handler;
    return () => {
      interrupt = () => {};
    };
  };
  const done = run(['ask', ...argv], t.io, { createClient: factoryFor(client) });
  return { ...t, client, done, interrupt: () => interrupt() };
}

const weather = [
  turnEvent.started('c1', true, 'weather?'),
  turnEvent.tool({ name: 'get_weather', arguments: '{"location":"Paris","days":2}' }),
  turnEvent.tool({ name: 'get_weather', phase: ToolPhase.FINISHED, result: 'sunny' }),
  turnEvent.tool({ name: 'get_holidays', arguments: '{"country":"FR"}' }),
  turnEvent.tool({ name: 'get_holidays', phase: ToolPhase.FINISHED, result: 'provider down', isError: true }),
  turnEvent.delta('It is '),
  turnEvent.delta('**sunny**.'),
  turnEvent.done('c1', 'It is **sunny**.', ['get_weather']),
];

describe('parley ask', () => {
  it('writes the raw text as it comes when piped, and tool progress on stderr', async () => {
    const t = ask(['weather?'], { streamStartConversation: (_req, opts) => playTurn(weather, opts?.signal) });
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('It is **sunny**.\n');
    expect(t.stderr.text).toBe(
      '↳ get_weather Paris 2\n↳ get_holidays FR\n↳ get_holidays failed: provider down\nconversation: c1\n',
    );
  });

  it('prints one TurnEvent per line with --json', async () => {
    const t = ask(['--json', 'weather?'], {
      streamStartConversation: (_req, opts) => playTurn(weather, opts?.signal),
    });
    expect(await t.done).toBe(ExitCode.ok);
    const lines = t.stdout.text.trimEnd().split('\n');
    expect(lines.map((line) => TurnEvent.fromJsonString(line))).toEqual(weather);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      started: { conversationId: 'c1', newConversation: true },
    });
  });

  it('waits for the whole reply with --no-stream', async () => {
    const t = ask(['--no-stream', 'hi']);
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('Echo: hi\n');
    expect(t.client.calls.map((c) => c.method)).toEqual(['startConversation']);
  });

  it('prints the whole response as JSON with --json --no-stream', async () => {
    const t = ask(['--json', '--no-stream', '-c', 'c3', 'hi']);
    expect(await t.done).toBe(ExitCode.ok);
    expect(JSON.parse(t.stdout.text)).toMatchObject({ conversationId: 'c3', reply: { content: 'Echo: hi' } });
  });

  it('cancels the reply on Ctrl-C, keeps what was written and exits 130', async () => {
    const t = ask(['hi'], {
      streamStartConversation: (_req, opts) =>
        playTurn(
          [turnEvent.started('c2', true), turnEvent.delta('Half a'), { pauseMs: Infinity }],
          opts?.signal,
        ),
    });
    await waitFor(() => t.stdout.text === 'Half a');
    t.interrupt();
    expect(await t.done).toBe(ExitCode.interrupted);
    expect(t.stdout.text).toBe('Half a\n');
    expect(t.stderr.text).toBe('(interrupted)\nconversation: c2\n');
  });

  it('exits 1 with the server error when the turn fails mid-stream, after ending the line', async () => {
    const failing = TurnEvent.create({
      event: {
        oneofKind: 'error',
        error: { code: 'unavailable', msg: 'the model is unavailable', meta: {} },
      },
    });
    const t = ask(['hi'], {
      streamStartConversation: (_req, opts) =>
        playTurn([turnEvent.started('c2', true), turnEvent.delta('Par'), failing], opts?.signal),
    });
    expect(await t.done).toBe(ExitCode.failure);
    expect(t.stdout.text).toBe('Par\n');
    expect(t.stderr.text).toBe('parley: the model is unavailable\n');
  });

  it('exits 1 when the server refuses the turn before it starts', async () => {
    const t = ask(['hi'], {
      streamStartConversation: () => {
        throw new RpcError('slow down', 'resource_exhausted', { retry_after: '3' });
      },
    });
    expect(await t.done).toBe(ExitCode.failure);
    expect(t.stdout.text).toBe('');
    expect(t.stderr.text).toBe('parley: slow down (try again in 3s)\n');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
