import type { RpcInterceptor, RpcOptions } from '@protobuf-ts/runtime-rpc';
import { RpcError } from '@protobuf-ts/runtime-rpc';
import { ChatServiceClient as GeneratedClient } from './gen/parley/chat/v1/chat.client.ts';
import {
  ContinueConversationRequest,
  type ContinueConversationResponse,
  DeleteConversationRequest,
  type DeleteConversationResponse,
  DescribeConversationRequest,
  type DescribeConversationResponse,
  GetAttachmentRequest,
  type GetAttachmentResponse,
  GetSessionRequest,
  type GetSessionResponse,
  ListConversationsRequest,
  type ListConversationsResponse,
  ListToolsRequest,
  type ListToolsResponse,
  StartConversationRequest,
  type StartConversationResponse,
  SwitchConversationRequest,
  type SwitchConversationResponse,
} from './gen/parley/chat/v1/chat.ts';
import { twirpTransport } from './policy-clients.ts';

export * from './collect-turn.ts';
export * from './gen/google/protobuf/timestamp.ts';
export * from './gen/parley/admin/v1/admin.ts';
export { type AdminServiceTwirp, createAdminServiceServer } from './gen/parley/admin/v1/admin.twirp.ts';
export * from './gen/parley/chat/v1/chat.ts';
export { type ChatServiceTwirp, createChatServiceServer } from './gen/parley/chat/v1/chat.twirp.ts';
export * from './gen/parley/identity/v1/identity.ts';
export {
  createIdentityServiceServer,
  type IdentityServiceTwirp,
} from './gen/parley/identity/v1/identity.twirp.ts';
export * from './gen/parley/usage/v1/usage.ts';
export { createUsageServiceServer, type UsageServiceTwirp } from './gen/parley/usage/v1/usage.twirp.ts';
export * from './identity-client.ts';
export * from './policy-clients.ts';
export * from './resume-turn.ts';
export * from './stream.ts';

/** Options of {@link createChatClient}. */
export interface ChatClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080` (the `/twirp` prefix is added). */
  baseUrl: string;
  /** Bearer API key identifying the calling client. */
  apiKey?: string;
  /** Send JSON instead of binary protobuf (default false). */
  json?: boolean;
  /** Per-call deadline in milliseconds (default 120 s, above the server's model timeout). */
  timeoutMs?: number;
  /** Extra headers on every call (e.g. `traceparent`). */
  headers?: Record<string, string>;
  /** protobuf-ts interceptors, e.g. for tracing. */
  interceptors?: RpcInterceptor[];
}

/** A partial request: every field is optional, as protobuf makes them. */
type Req<T> = Partial<T>;

/** The typed ChatService client: one promise per call, errors as {@link RpcError}. */
export interface ChatClient {
  startConversation(
    req: Req<StartConversationRequest>,
    opts?: RpcOptions,
  ): Promise<StartConversationResponse>;
  continueConversation(
    req: Req<ContinueConversationRequest>,
    opts?: RpcOptions,
  ): Promise<ContinueConversationResponse>;
  listConversations(
    req: Req<ListConversationsRequest>,
    opts?: RpcOptions,
  ): Promise<ListConversationsResponse>;
  describeConversation(
    req: Req<DescribeConversationRequest>,
    opts?: RpcOptions,
  ): Promise<DescribeConversationResponse>;
  deleteConversation(
    req: Req<DeleteConversationRequest>,
    opts?: RpcOptions,
  ): Promise<DeleteConversationResponse>;
  switchConversation(
    req: Req<SwitchConversationRequest>,
    opts?: RpcOptions,
  ): Promise<SwitchConversationResponse>;
  /** The chat's current conversation (unset when its next message starts one). */
  getSession(req: Req<GetSessionRequest>, opts?: RpcOptions): Promise<GetSessionResponse>;
  listTools(req?: Req<ListToolsRequest>, opts?: RpcOptions): Promise<ListToolsResponse>;
  /** One of the caller's attachments with its bytes (not_found for anyone else's). */
  getAttachment(req: Req<GetAttachmentRequest>, opts?: RpcOptions): Promise<GetAttachmentResponse>;
}

/** Creates a ChatService client over Twirp (binary protobuf by default, JSON with `json: true`). */
export function createChatClient(options: ChatClientOptions): ChatClient {
  const { transport, withDeadline } = twirpTransport(options);
  const client = new GeneratedClient(transport);
  return {
    startConversation: async (req, opts) =>
      (await client.startConversation(StartConversationRequest.create(req), withDeadline(opts))).response,
    continueConversation: async (req, opts) =>
      (await client.continueConversation(ContinueConversationRequest.create(req), withDeadline(opts)))
        .response,
    listConversations: async (req, opts) =>
      (await client.listConversations(ListConversationsRequest.create(req), withDeadline(opts))).response,
    describeConversation: async (req, opts) =>
      (await client.describeConversation(DescribeConversationRequest.create(req), withDeadline(opts)))
        .response,
    deleteConversation: async (req, opts) =>
      (await client.deleteConversation(DeleteConversationRequest.create(req), withDeadline(opts))).response,
    switchConversation: async (req, opts) =>
      (await client.switchConversation(SwitchConversationRequest.create(req), withDeadline(opts))).response,
    getSession: async (req, opts) =>
      (await client.getSession(GetSessionRequest.create(req), withDeadline(opts))).response,
    listTools: async (req = {}, opts) =>
      (await client.listTools(ListToolsRequest.create(req), withDeadline(opts))).response,
    getAttachment: async (req, opts) =>
      (await client.getAttachment(GetAttachmentRequest.create(req), withDeadline(opts))).response,
  };
}

export {
  describeRpcError,
  isRpcError,
  type RpcErrorCode,
  type RpcErrorDescription,
} from './describe-rpc-error.ts';
export { RpcError };
