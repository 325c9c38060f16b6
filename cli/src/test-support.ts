// Test helpers shared by the CLI's unit tests: in-memory streams and a fake ChatClient.
import { PassThrough, Writable } from 'node:stream';
import {
  type ChatClient,
  type ChatClientOptions,
  ContinueConversationResponse,
  Conversation,
  DeleteConversationResponse,
  DescribeConversationResponse,
  ListConversationsResponse,
  ListToolsResponse,
  Message,
  Role,
  StartConversationResponse,
  SwitchConversationResponse,
} from '@parley/rpc';
import type { Io } from './context.ts';

/** A writable that keeps what was written; `isTTY` as asked. */
export class MemoryStream extends Writable {
  text = '';
  isTTY: boolean;

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface TestIo {
  io: Io;
  stdin: PassThrough & { isTTY?: boolean };
  stdout: MemoryStream;
  stderr: MemoryStream;
}

export function testIo(
  env: Record<string, string | undefined> = {},
  options: { tty?: boolean } = {},
): TestIo {
  const stdin: PassThrough & { isTTY?: boolean } = new PassThrough();
  stdin.isTTY = options.tty ?? false;
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const io: Io = {
    stdin,
    stdout,
    stderr,
    env: { PARLEY_USER: 'tester', PARLEY_LOCAL_KEY_FILE: '/nonexistent', ...env },
  };
  return { io, stdin, stdout, stderr };
}

/** One recorded call on a {@link FakeChatClient}. */
export interface FakeCall {
  method: keyof ChatClient;
  request: Record<string, unknown>;
}

export type FakeChatClient = ChatClient & { calls: FakeCall[] };

/** A ChatClient answering `Echo: <message>` from memory; pass methods to change any answer. */
export function fakeChatClient(overrides: Partial<ChatClient> = {}): FakeChatClient {
  const calls: FakeCall[] = [];
  const record = (method: keyof ChatClient, request: object) =>
    calls.push({ method, request: { ...request } });
  const reply = (content: string) => Message.create({ id: 'm-reply', role: Role.ASSISTANT, content });
  const base: ChatClient = {
    startConversation: async (req) =>
      StartConversationResponse.create({
        conversation: Conversation.create({ id: 'c-new' }),
        reply: reply(`Echo: ${req.message}`),
      }),
    continueConversation: async (req) =>
      ContinueConversationResponse.create({
        conversationId: req.conversationId,
        reply: reply(`Echo: ${req.message}`),
      }),
    listConversations: async () => ListConversationsResponse.create(),
    describeConversation: async (req) =>
      DescribeConversationResponse.create({ conversation: Conversation.create({ id: req.conversationId }) }),
    deleteConversation: async () => DeleteConversationResponse.create(),
    switchConversation: async (req) =>
      SwitchConversationResponse.create({ conversation: Conversation.create({ id: req.conversationId }) }),
    listTools: async () => ListToolsResponse.create(),
  };
  const impl = { ...base, ...overrides };
  return {
    calls,
    startConversation: (req, opts) => {
      record('startConversation', req);
      return impl.startConversation(req, opts);
    },
    continueConversation: (req, opts) => {
      record('continueConversation', req);
      return impl.continueConversation(req, opts);
    },
    listConversations: (req, opts) => {
      record('listConversations', req);
      return impl.listConversations(req, opts);
    },
    describeConversation: (req, opts) => {
      record('describeConversation', req);
      return impl.describeConversation(req, opts);
    },
    deleteConversation: (req, opts) => {
      record('deleteConversation', req);
      return impl.deleteConversation(req, opts);
    },
    switchConversation: (req, opts) => {
      record('switchConversation', req);
      return impl.switchConversation(req, opts);
    },
    listTools: (req = {}, opts) => {
      record('listTools', req);
      return impl.listTools(req, opts);
    },
  };
}

/** A client factory that always hands out `client` and remembers the options it was called with. */
export function factoryFor(client: ChatClient): ((options: ChatClientOptions) => ChatClient) & {
  options: ChatClientOptions[];
} {
  const options: ChatClientOptions[] = [];
  return Object.assign(
    (opts: ChatClientOptions) => {
      options.push(opts);
      return client;
    },
    { options },
  );
}
