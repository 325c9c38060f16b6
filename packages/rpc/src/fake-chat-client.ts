import { RpcError } from '@protobuf-ts/runtime-rpc';
import { echoTurn, playTurn } from './fake-turn.ts';
import {
  ContinueConversationResponse,
  Conversation,
  DeleteConversationResponse,
  DescribeConversationResponse,
  GetSessionResponse,
  ListConversationsResponse,
  ListToolsResponse,
  Message,
  Role,
  StartConversationResponse,
  SwitchConversationResponse,
} from './gen/parley/chat/v1/chat.ts';
import type { ChatClient } from './index.ts';
import type { ChatStreamClient } from './stream.ts';

export * from './fake-turn.ts';

/** Both clients in one: the unary ChatService calls and the streamed turns. */
export type FakeableClient = ChatClient & ChatStreamClient;

/** The ChatService methods (unary and streamed), by name. */
export type ChatMethod = keyof FakeableClient;

/** One call a {@link FakeChatClient} received: the method and a copy of its request. */
export interface FakeCall {
  method: ChatMethod;
  request: Record<string, unknown>;
}

/**
 * A ChatClient and ChatStreamClient for tests of the clients (CLI, bot): answers from memory
 * (`Echo: <message>` for a turn, told a word at a time when streamed; empty lists; the asked-for ids) and
 * records every call. Pass any method to script its answer or failure; throw an `RpcError` to play the
 * server's error. A scripted stream is easiest written with `playTurn([turnEvent.started(…), …], signal)`.
 */
export class FakeChatClient implements FakeableClient {
  readonly calls: FakeCall[] = [];
  readonly #impl: FakeableClient;

  constructor(overrides: Partial<FakeableClient> = {}) {
    this.#impl = { ...echoingClient(), ...echoingStreams(), ...overrides };
  }

  /** The requests one method received, in order. */
  requests<M extends ChatMethod>(method: M): Parameters<FakeableClient[M]>[0][] {
    return this.calls
      .filter((call) => call.method === method)
      .map((call) => call.request as Parameters<FakeableClient[M]>[0]);
  }

  startConversation: ChatClient['startConversation'] = (req, opts) =>
    this.#call('startConversation', req, opts);
  continueConversation: ChatClient['continueConversation'] = (req, opts) =>
    this.#call('continueConversation', req, opts);
  listConversations: ChatClient['listConversations'] = (req, opts) =>
    this.#call('listConversations', req, opts);
  describeConversation: ChatClient['describeConversation'] = (req, opts) =>
    this.#call('describeConversation', req, opts);
  deleteConversation: ChatClient['deleteConversation'] = (req, opts) =>
    this.#call('deleteConversation', req, opts);
  switchConversation: ChatClient['switchConversation'] = (req, opts) =>
    this.#call('switchConversation', req, opts);
  getSession: ChatClient['getSession'] = (req, opts) => this.#call('getSession', req, opts);
  listTools: ChatClient['listTools'] = (req = {}, opts) => this.#call('listTools', req, opts);
  getAttachment: ChatClient['getAttachment'] = (req, opts) => this.#call('getAttachment', req, opts);
  streamStartConversation: ChatStreamClient['streamStartConversation'] = (req, opts) =>
    this.#call('streamStartConversation', req, opts);
  streamContinueConversation: ChatStreamClient['streamContinueConversation'] = (req, opts) =>
    this.#call('streamContinueConversation', req, opts);

  #call<M extends ChatMethod>(
    method: M,
    request: Parameters<FakeableClient[M]>[0],
    opts: Parameters<FakeableClient[M]>[1],
  ): ReturnType<FakeableClient[M]> {
    this.calls.push({ method, request: { ...request } });
    const handler = this.#impl[method] as (
      req: Parameters<FakeableClient[M]>[0],
      options?: Parameters<FakeableClient[M]>[1],
    ) => ReturnType<FakeableClient[M]>;
    return handler(request, opts);
  }
}

function echoingStreams(): ChatStreamClient {
  return {
    streamStartConversation: (req, opts) =>
      playTurn(echoTurn(req.message ?? '', 'c-new', true), opts?.signal),
    streamContinueConversation: (req, opts) =>
      playTurn(echoTurn(req.message ?? '', req.conversationId || 'c-current', false), opts?.signal),
  };
}

function echoingClient(): ChatClient {
  const reply = (content: string) => Message.create({ id: 'm-reply', role: Role.ASSISTANT, content });
  return {
    startConversation: async (req) =>
      StartConversationResponse.create({
        conversation: Conversation.create({ id: 'c-new' }),
        reply: reply(`Echo: ${req.message}`),
      }),
    continueConversation: async (req) =>
      ContinueConversationResponse.create({
        conversationId: req.conversationId || 'c-current',
        reply: reply(`Echo: ${req.message}`),
      }),
    listConversations: async () => ListConversationsResponse.create(),
    describeConversation: async (req) =>
      DescribeConversationResponse.create({ conversation: Conversation.create({ id: req.conversationId }) }),
    deleteConversation: async () => DeleteConversationResponse.create(),
    switchConversation: async (req) =>
      SwitchConversationResponse.create({ conversation: Conversation.create({ id: req.conversationId }) }),
    getSession: async () => GetSessionResponse.create(),
    listTools: async () => ListToolsResponse.create(),
    getAttachment: async () => {
      throw new RpcError('attachment not found', 'not_found');
    },
  };
}

export { FakeIdentityClient } from './fake-identity-client.ts';
export { FakeAdminClient, type FakePolicyCall, FakeUsageClient } from './fake-policy-clients.ts';
