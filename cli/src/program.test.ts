import { ListConversationsResponse, RpcError } from '@parley/rpc';
import { FakeChatClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './io/exit-codes.ts';
import { run } from './program.ts';
import { factoryFor, testIo } from './testing/test-io.ts';

async function parley(argv: string[], client = new FakeChatClient()) {
  const t = testIo();
  const code = await run(argv, t.io, { createClient: factoryFor(client) });
  return { code, stdout: t.stdout.text, stderr: t.stderr.text, client };
}

describe('parley usage errors', () => {
  it.each([
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['list', '--frob']],
    ['a missing argument', ['show']],
    ['a missing message', ['ask']],
    ['an empty message', ['ask', '']],
    ['a blank message', ['ask', '  ', ' ']],
    ['a limit that is not a number', ['list', '--limit', 'ten']],
    ['a limit above 100', ['list', '--limit', '500']],
    ['an extra argument', ['show', 'a', 'b']],
    ['--json on chat', ['chat', '--json']],
    ['a server URL that is not http', ['--server', 'ftp://host', 'list']],
  ])('exits 2 on %s', async (_name, argv) => {
    const { code, stderr, client } = await parley(argv);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toMatch(/^parley: /);
    expect(client.calls).toEqual([]);
  });

  it('prints the usage on stderr and exits 2 without a command', async () => {
    const { code, stdout, stderr } = await parley([]);
    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: parley');
  });

  it('refuses to delete without --yes when stdin is not a terminal', async () => {
    const { code, stderr, client } = await parley(['delete', 'c1']);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain('pass --yes');
    expect(client.calls).toEqual([]);
  });

  it('prints help with the exit codes and exits 0', async () => {
    const { code, stdout } = await parley(['--help']);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toContain('Exit codes:');
    expect(stdout).toMatch(/2\s+usage error/);
  });
});

describe('parley commands', () => {
  it('asks in a new conversation, streaming, and prints the id on stderr', async () => {
    const { code, stdout, stderr, client } = await parley(['ask', 'hello', 'there']);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe('Echo: hello there\n');
    expect(stderr).toBe('conversation: c-new\n');
    expect(client.calls[0]?.method).toBe('streamStartConversation');
    expect(client.calls[0]?.request.session).toEqual({ platform: 'cli', userId: 'tester', chatId: '' });
  });

  it('continues a conversation with --conversation', async () => {
    const { stdout, client } = await parley(['ask', '--conversation', 'c7', 'again']);
    expect(stdout).toBe('Echo: again\n');
    expect(client.calls[0]).toMatchObject({
      method: 'streamContinueConversation',
      request: { conversationId: 'c7' },
    });
  });

  it('prints proto JSON with --json', async () => {
    const client = new FakeChatClient({
      listConversations: async () =>
        ListConversationsResponse.fromJson({
          conversations: [{ id: 'c1', messageCount: 2 }],
          nextPageToken: '',
        }),
    });
    const { stdout } = await parley(['list', '--json'], client);
    expect(JSON.parse(stdout)).toEqual({ conversations: [{ id: 'c1', messageCount: 2 }] });
  });

  it('deletes with --yes and sends the session', async () => {
    const { code, stdout, client } = await parley(['delete', 'c1', '--yes']);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe('deleted conversation c1\n');
    expect(client.calls[0]?.request).toMatchObject({ conversationId: 'c1', session: { userId: 'tester' } });
  });

  it('exits 1 with one line naming the conversation when it is not found', async () => {
    const client = new FakeChatClient({
      describeConversation: async () => {
        throw new RpcError('conversation not found', 'not_found');
      },
    });
    const { code, stderr } = await parley(['show', 'c404'], client);
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toBe('parley: no conversation c404 (or it is not yours)\n');
  });
});
