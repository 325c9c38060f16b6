import { Conversation, DescribeConversationResponse, Message, Role, RpcError, TurnEvent } from '@parley/rpc';
import {
  type FakeableClient,
  FakeChatClient,
  type FakeTurnStep,
  playTurn,
  turnEvent,
} from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { cliSession } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { testIo } from '../testing/test-io.ts';
import { type ChatOptions, runChat } from './chat.ts';

function chat(overrides: Partial<FakeableClient> = {}, options: { tty?: boolean } = {}) {
  const t = testIo({}, options);
  const client = new FakeChatClient(overrides);
  let interrupt = () => {};
  t.io.onInterrupt = (handler) => {
    interrupt = handler;
    return () => {};
  };
  const ctx = { io: t.io, client, session: cliSession(t.io.env), serverUrl: 'http://127.0.0.1:8080' };
  return {
    ...t,
    client,
    start: (id?: string, chatOptions?: ChatOptions) => runChat(ctx, id, chatOptions),
    interrupt: () => interrupt(),
    /** The messages sent to the model, in order. */
    sent: () => client.calls.filter((c) => c.request.message !== undefined).map((c) => c.request.message),
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

const hanging = (text: string) => (_req: unknown, opts?: { signal?: AbortSignal }) =>
  playTurn([turnEvent.started('c1', true), turnEvent.delta(text), { pauseMs: Infinity }], opts?.signal);

describe('runChat through a pipe', () => {
  it('sends lines strictly in order, one streamed reply at a time, and exits 0 on EOF', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const tracked = (steps: FakeTurnStep[]) =>
      (async function* () {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          yield* playTurn(steps);
        } finally {
          inFlight--;
        }
      })();
    const t = chat({
      streamStartConversation: (req) =>
        tracked([
          turnEvent.started('c1', true),
          { pauseMs: 20 },
          turnEvent.delta(`A:${req.message}`),
          turnEvent.done('c1', ''),
        ]),
      streamContinueConversation: (req) =>
        tracked([
          turnEvent.started('c1'),
          turnEvent.delta('B:'),
          { pauseMs: 5 },
          turnEvent.delta(`${req.message}`),
          turnEvent.done('c1', ''),
        ]),
    });
    t.stdin.end('hi\n\n   \nhow are you\nbye\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('A:hi\nB:how are you\nB:bye\n');
    expect(t.stderr.text).toBe('conversation c1\n');
    expect(maxInFlight).toBe(1);
    expect(t.client.calls.map((c) => [c.method, c.request.message, c.request.conversationId])).toEqual([
      ['streamStartConversation', 'hi', undefined],
      ['streamContinueConversation', 'how are you', 'c1'],
      ['streamContinueConversation', 'bye', 'c1'],
    ]);
  });

  it('waits for whole replies with --no-stream', async () => {
    const t = chat();
    t.stdin.end('one\ntwo\n');
    expect(await t.start(undefined, { stream: false })).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('Echo: one\nEcho: two\n');
    expect(t.client.calls.map((c) => c.method)).toEqual(['startConversation', 'continueConversation']);
  });

  it('stops at /exit and leaves later lines unsent', async () => {
    const t = chat();
    t.stdin.end('one\n/exit\ntwo\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('Echo: one\n');
    expect(t.sent()).toEqual(['one']);
  });

  it('prints the history first when resuming, then continues that conversation', async () => {
    const t = chat({
      describeConversation: async () =>
        DescribeConversationResponse.create({
          conversation: Conversation.create({ id: 'c5' }),
          messages: [
            Message.create({ role: Role.USER, content: 'earlier question' }),
            Message.create({ role: Role.ASSISTANT, content: 'earlier answer', interrupted: true }),
          ],
        }),
    });
    t.stdin.end('next\n');
    expect(await t.start('c5')).toBe(ExitCode.ok);
    expect(t.stdout.text).toMatch(
      /\[you\] -\nearlier question\n\n\[assistant\] - \(interrupted\)\nearlier answer\n\nEcho: next\n$/,
    );
    expect(t.stderr.text).toBe('conversation c5\n');
    expect(t.client.calls.at(-1)).toMatchObject({
      method: 'streamContinueConversation',
      request: { conversationId: 'c5' },
    });
  });

  it('prints one line for a failed turn, ending the cut-short reply first, and goes on', async () => {
    const failure = TurnEvent.create({
      event: {
        oneofKind: 'error',
        error: { code: 'unavailable', msg: 'the model is unavailable', meta: {} },
      },
    });
    let calls = 0;
    const t = chat({
      streamStartConversation: (req) =>
        calls++ === 0
          ? playTurn([turnEvent.started('c1', true), turnEvent.delta('Par'), failure])
          : playTurn([
              turnEvent.started('c2', true),
              turnEvent.delta(`ok ${req.message}`),
              turnEvent.done('c2', ''),
            ]),
    });
    t.stdin.end('first\nsecond\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('Par\nok second\n');
    expect(t.stderr.text).toBe('conversation c1\nparley: the model is unavailable\nconversation c2\n');
  });

  it('exits 1 when the server cannot be reached', async () => {
    const t = chat({
      streamStartConversation: () => {
        throw new RpcError('fetch failed', 'UNKNOWN');
      },
    });
    t.stdin.end('first\nsecond\n');
    expect(await t.start()).toBe(ExitCode.failure);
    expect(t.stderr.text).toMatch(/^parley: cannot reach the Parley server \(is the server running at/);
    expect(t.client.calls).toHaveLength(1);
  });

  it('exits 1 when resuming a conversation that does not exist', async () => {
    const t = chat({
      describeConversation: async () => {
        throw new RpcError('not found', 'not_found');
      },
    });
    t.stdin.end('hello\n');
    expect(await t.start('gone')).toBe(ExitCode.failure);
    expect(t.stderr.text).toBe('parley: no conversation gone (or it is not yours)\n');
  });

  it('cancels the reply on SIGINT, keeps what was written and ends with 0', async () => {
    const t = chat({ streamStartConversation: hanging('Half a') });
    t.stdin.write('wait forever\nnever sent\n');
    const done = t.start();
    await waitFor(() => t.stdout.text === 'Half a');
    t.interrupt();
    expect(await done).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('Half a\n');
    expect(t.stderr.text).toBe('conversation c1\n(interrupted)\n');
    expect(t.sent()).toEqual(['wait forever']);
  });

  it('cancels a --no-stream reply on SIGINT by aborting the call', async () => {
    const t = chat({
      startConversation: (_req, opts) =>
        new Promise((_resolve, reject) => {
          opts?.abort?.addEventListener('abort', () => reject(new RpcError('aborted', 'cancelled')));
        }),
    });
    t.stdin.write('wait forever\n');
    const done = t.start(undefined, { stream: false });
    await waitFor(() => t.client.calls.length === 1);
    t.interrupt();
    expect(await done).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('');
    expect(t.stderr.text).toBe('(interrupted)\n');
  });

  it('sends a """ block as one message, commands inside it included', async () => {
    const t = chat();
    t.stdin.end('"""\nline one\n/help\n\n  indented\n"""\n"""short"""\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.sent()).toEqual(['line one\n/help\n\n  indented', 'short']);
  });
});
