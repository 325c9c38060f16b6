import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatClient } from '@parley/rpc';
import {
  ContinueConversationResponse,
  Conversation,
  DescribeConversationResponse,
  Message,
  Role,
  RpcError,
  StartConversationResponse,
} from '@parley/rpc';
import { FakeChatClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { cliSession } from '../command-context.ts';
import { ExitCode } from '../exit-codes.ts';
import { testIo } from '../testing/test-io.ts';
import { runChat } from './chat.ts';

function chat(overrides: Partial<ChatClient> = {}) {
  const t = testIo();
  const client = new FakeChatClient(overrides);
  const ctx = { io: t.io, client, session: cliSession(t.io.env), serverUrl: 'http://127.0.0.1:8080' };
  return { ...t, client, start: (id?: string) => runChat(ctx, id) };
}

const reply = (content: string) => Message.create({ role: Role.ASSISTANT, content });

describe('runChat', () => {
  it('sends piped lines strictly in order, one reply at a time, and exits 0 on EOF', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slowly = async <T>(ms: number, value: T): Promise<T> => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await sleep(ms);
      inFlight--;
      return value;
    };
    const t = chat({
      startConversation: (req) =>
        slowly(
          30,
          StartConversationResponse.create({ conversation: { id: 'c1' }, reply: reply(`A:${req.message}`) }),
        ),
      continueConversation: (req) =>
        slowly(
          5,
          ContinueConversationResponse.create({ conversationId: 'c1', reply: reply(`B:${req.message}`) }),
        ),
    });
    t.stdin.end('hi\n\n   \nhow are you\nbye\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('A:hi\nB:how are you\nB:bye\n');
    expect(t.stderr.text).toBe('conversation c1\n');
    expect(maxInFlight).toBe(1);
    expect(t.client.calls.map((c) => [c.method, c.request.message, c.request.conversationId])).toEqual([
      ['startConversation', 'hi', undefined],
      ['continueConversation', 'how are you', 'c1'],
      ['continueConversation', 'bye', 'c1'],
    ]);
  });

  it('stops at /exit and leaves later lines unsent', async () => {
    const t = chat();
    t.stdin.end('one\n/exit\ntwo\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.stdout.text).toBe('Echo: one\n');
    expect(t.client.calls).toHaveLength(1);
  });

  it('prints the history first when resuming, then continues that conversation', async () => {
    const t = chat({
      describeConversation: async () =>
        DescribeConversationResponse.create({
          conversation: Conversation.create({ id: 'c5' }),
          messages: [
            Message.create({ role: Role.USER, content: 'earlier question' }),
            reply('earlier answer'),
          ],
        }),
    });
    t.stdin.end('next\n');
    expect(await t.start('c5')).toBe(ExitCode.ok);
    expect(t.stdout.text).toMatch(
      /\[you\] -\nearlier question\n\n\[assistant\] -\nearlier answer\n\nEcho: next\n$/,
    );
    expect(t.stderr.text).toBe('conversation c5\n');
    expect(t.client.calls.at(-1)).toMatchObject({
      method: 'continueConversation',
      request: { conversationId: 'c5' },
    });
  });

  it('prints one line for a failed turn and goes on', async () => {
    let calls = 0;
    const t = chat({
      startConversation: async (req) => {
        if (calls++ === 0) throw new RpcError('the model is unavailable', 'unavailable');
        return StartConversationResponse.create({
          conversation: { id: 'c2' },
          reply: reply(`ok ${req.message}`),
        });
      },
    });
    t.stdin.end('first\nsecond\n');
    expect(await t.start()).toBe(ExitCode.ok);
    expect(t.stderr.text).toBe('parley: the model is unavailable\nconversation c2\n');
    expect(t.stdout.text).toBe('ok second\n');
  });

  it('exits 1 when the server cannot be reached', async () => {
    const t = chat({
      startConversation: async () => {
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

  it('ends cleanly with 0 when interrupted while waiting for a reply', async () => {
    const t = chat({
      startConversation: (_req, opts) =>
        new Promise((_resolve, reject) => {
          opts?.abort?.addEventListener('abort', () => reject(new RpcError('aborted', 'cancelled')));
        }),
    });
    let interrupt = () => {};
    t.io.onInterrupt = (handler) => {
      interrupt = handler;
      return () => {};
    };
    t.stdin.write('wait forever\n');
    const done = t.start();
    await sleep(20);
    interrupt();
    expect(await done).toBe(ExitCode.ok);
    expect(t.stderr.text).toBe('');
  });
});
