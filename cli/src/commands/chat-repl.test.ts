import {
  Conversation,
  DescribeConversationResponse,
  ListConversationsResponse,
  Message,
  Role,
} from '@parley/rpc';
import { type FakeableClient, FakeChatClient, playTurn, turnEvent } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { cliSession } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { testIo } from '../testing/test-io.ts';
import { runChat } from './chat.ts';

// The chat's commands and keys, driven through its input stream as a terminal (or a pipe) delivers them.

function repl(overrides: Partial<FakeableClient> = {}, tty = true) {
  const t = testIo({}, { tty });
  const client = new FakeChatClient(overrides);
  const ctx = { io: t.io, client, session: cliSession(t.io.env), serverUrl: 'http://127.0.0.1:8080' };
  return {
    ...t,
    client,
    done: runChat(ctx),
    sent: () => client.calls.filter((c) => c.request.message !== undefined).map((c) => c.request.message),
    type: (keys: string) => t.stdin.write(keys),
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const conversations = ListConversationsResponse.create({
  conversations: [
    Conversation.create({ id: 'c-one', title: 'First', messageCount: 2 }),
    Conversation.create({ id: 'c-two', title: 'Second', messageCount: 4 }),
  ],
});

describe('parley chat on a terminal', () => {
  it('cancels a reply with Ctrl-C and returns to the prompt; Ctrl-C at an empty prompt leaves', async () => {
    let turns = 0;
    const t = repl({
      streamStartConversation: (_req, opts) =>
        playTurn(
          [turnEvent.started('c1', true), turnEvent.delta('Once upon'), { pauseMs: Infinity }],
          opts?.signal,
        ),
      streamContinueConversation: (req, opts) => {
        turns++;
        return playTurn(
          [turnEvent.started('c1'), turnEvent.delta(`Echo: ${req.message}`), turnEvent.done('c1', '')],
          opts?.signal,
        );
      },
    });
    t.type('tell me a story\r');
    await waitFor(() => t.stdout.text.includes('Once upon'));
    t.type(CTRL_C);
    await waitFor(() => t.stderr.text.includes('(interrupted)'));
    t.type('shorter please\r');
    await waitFor(() => t.stdout.text.includes('Echo: shorter please'));
    t.type(CTRL_C);
    expect(await t.done).toBe(ExitCode.ok);
    expect(turns).toBe(1);
    expect(t.sent()).toEqual(['tell me a story', 'shorter please']);
    expect(t.client.calls[1]?.request.conversationId).toBe('c1');
    expect(t.stdout.text).toMatch(/Once upon\n[\s\S]*> [\s\S]*Echo: shorter please\n/);
  });

  it('keeps what is typed during a reply off the screen, then shows it at the prompt and sends it', async () => {
    const t = repl({
      streamStartConversation: (_req, opts) =>
        playTurn(
          [
            turnEvent.started('c1', true),
            turnEvent.delta('slow'),
            { pauseMs: 60 },
            turnEvent.delta(' reply'),
            turnEvent.done('c1', ''),
          ],
          opts?.signal,
        ),
    });
    t.type('first\r');
    await waitFor(() => t.stdout.text.includes('slow'));
    t.type('typed ahead\r');
    await waitFor(() => t.sent().length === 2);
    t.stdin.end();
    await t.done;
    expect(t.stdout.text).toContain('first\r\nslow reply\n');
    expect(t.stdout.text).toContain('slow reply\n> typed ahead\nEcho: typed ahead\n');
    expect(t.stdout.text.match(/typed ahead/g)).toHaveLength(2);
  });

  it('drops a half-typed line on Ctrl-C instead of leaving, and leaves on Ctrl-D', async () => {
    const t = repl();
    t.type('a draft');
    t.type(CTRL_C);
    t.type('the real one\r');
    await waitFor(() => t.stdout.text.includes('Echo: the real one'));
    t.type(CTRL_D);
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.sent()).toEqual(['the real one']);
    // Bracketed paste is asked for at the start, and turned off again for the shell on the way out.
    expect(t.stdout.text.startsWith('\u001b[?2004h')).toBe(true);
    expect(t.stdout.text).toContain('\u001b[?2004l');
  });

  it('sends a bracketed paste as one message when Enter follows it', async () => {
    const t = repl();
    t.type('\u001b[200~first line\nsecond line\n/help\nlast\u001b[201~');
    t.type(' words\r');
    await waitFor(() => t.sent().length === 1);
    t.stdin.end();
    await t.done;
    expect(t.sent()).toEqual(['first line\nsecond line\n/help\nlast words']);
  });

  it('sends lines that arrive in one chunk (a paste without brackets) as one message', async () => {
    const t = repl();
    t.type('one\ntwo\nthree');
    t.type('\r');
    await waitFor(() => t.sent().length === 1);
    t.type('four\r');
    await waitFor(() => t.sent().length === 2);
    t.stdin.end();
    await t.done;
    expect(t.sent()).toEqual(['one\ntwo\nthree', 'four']);
  });

  it('lists conversations numbered, switches by number and continues there', async () => {
    const t = repl({
      listConversations: async () => conversations,
      describeConversation: async (req) =>
        DescribeConversationResponse.create({
          conversation: conversations.conversations.find((c) => c.id === req.conversationId),
        }),
    });
    t.type('/list\r');
    await waitFor(() => t.stdout.text.includes('Second'));
    t.type('/switch 2\r');
    await waitFor(() => t.stderr.text.includes('switched to c-two "Second" (4 messages; /show prints them)'));
    t.type('hello again\r');
    await waitFor(() => t.sent().length === 1);
    t.stdin.end();
    await t.done;
    expect(t.stdout.text).toMatch(
      / {3}# {2}ID +UPDATED +MESSAGES +TITLE\r?\n {3}1 {2}c-one .*First\r?\n {3}2 {2}c-two .*Second/,
    );
    expect(t.client.calls.at(-1)).toMatchObject({
      method: 'streamContinueConversation',
      request: { conversationId: 'c-two', message: 'hello again' },
    });
  });

  it('asks before /delete, and starts a new conversation after deleting the current one', async () => {
    const t = repl();
    t.type('hi\r');
    await waitFor(() => t.stdout.text.includes('Echo: hi'));
    t.type('/delete\r');
    await waitFor(() => t.stdout.text.includes('delete conversation c-new and all its messages? [y/N]'));
    t.type('y\r');
    await waitFor(() => t.stderr.text.includes('deleted conversation c-new'));
    t.type('fresh start\r');
    await waitFor(() => t.sent().length === 2);
    t.stdin.end();
    await t.done;
    expect(t.client.calls.map((c) => c.method)).toEqual([
      'streamStartConversation',
      'deleteConversation',
      'streamStartConversation',
    ]);
  });

  it('answers no to /delete on Ctrl-C', async () => {
    const t = repl({ listConversations: async () => conversations });
    t.type('/delete 1\r');
    await waitFor(() => t.stdout.text.includes('delete conversation c-one'));
    t.type(CTRL_C);
    await waitFor(() => t.stderr.text.includes('not deleted'));
    t.stdin.end();
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.client.calls.map((c) => c.method)).toEqual(['listConversations']);
  });
});

describe('parley chat commands through a pipe', () => {
  it('answers /help and unknown commands without calling the model, and sends // messages', async () => {
    const t = repl({}, false);
    t.stdin.end('/help\n/bogus\n//etc is a folder\n');
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.stdout.text).toMatch(/^Commands:\n {2}\/help/);
    expect(t.stdout.text).toContain('Echo: /etc is a folder\n');
    expect(t.stderr.text).toContain('unknown command /bogus');
    expect(t.sent()).toEqual(['/etc is a folder']);
  });

  it('starts over with /new and shows the current conversation with /show', async () => {
    const t = repl(
      {
        describeConversation: async (req) =>
          DescribeConversationResponse.create({
            conversation: Conversation.create({ id: req.conversationId, title: 'Shown', messageCount: 2 }),
            messages: [
              Message.create({ role: Role.USER, content: 'two' }),
              Message.create({ role: Role.ASSISTANT, content: 'Ech', interrupted: true }),
            ],
          }),
      },
      false,
    );
    t.stdin.end('/show\none\n/new\ntwo\n/show\n');
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.stderr.text).toContain('no conversation yet');
    expect(t.client.calls.map((c) => c.method)).toEqual([
      'streamStartConversation',
      'streamStartConversation',
      'describeConversation',
    ]);
    expect(t.stdout.text).toMatch(/Shown {2}c-new[\s\S]*\[assistant\] - \(interrupted\)\nEch/);
  });

  it('deletes without asking when the input is not a terminal, and says when a number is not listed', async () => {
    const t = repl({ listConversations: async () => conversations }, false);
    t.stdin.end('/delete 9\n/delete 2\n');
    expect(await t.done).toBe(ExitCode.ok);
    expect(t.stderr.text).toContain('no conversation number 9: /list shows the numbers');
    expect(t.client.requests('deleteConversation')).toMatchObject([{ conversationId: 'c-two' }]);
  });
});
