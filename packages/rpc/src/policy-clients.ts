import type { RpcOptions } from '@protobuf-ts/runtime-rpc';
import { TwirpFetchTransport } from '@protobuf-ts/twirp-transport';
import { AdminServiceClient as GeneratedAdminClient } from './gen/parley/admin/v1/admin.client.ts';
import {
  BlockUserRequest,
  type BlockUserResponse,
  GetUsageReportRequest,
  type GetUsageReportResponse,
  ListBlockedUsersRequest,
  type ListBlockedUsersResponse,
  ListLinkedPeopleRequest,
  type ListLinkedPeopleResponse,
  ListTopUsersRequest,
  type ListTopUsersResponse,
  SetUserBudgetRequest,
  type SetUserBudgetResponse,
  UnblockUserRequest,
  type UnblockUserResponse,
  UnlinkIdentityRequest,
  type UnlinkIdentityResponse,
} from './gen/parley/admin/v1/admin.ts';
import { UsageServiceClient as GeneratedUsageClient } from './gen/parley/usage/v1/usage.client.ts';
import { GetUsageRequest, type GetUsageResponse } from './gen/parley/usage/v1/usage.ts';
import type { ChatClientOptions } from './index.ts';
import { tracePropagation } from './trace-propagation.ts';

/** A partial request: every field is optional, as protobuf makes them. */
type Req<T> = Partial<T>;

/** UsageService: a user's own usage and what is left of their budgets (any valid key). */
export interface UsageClient {
  getUsage(req: Req<GetUsageRequest>, opts?: RpcOptions): Promise<GetUsageResponse>;
}

/** AdminService: usage reports and per-user controls (admin-role keys only; others get permission_denied). */
export interface AdminClient {
  getUsageReport(req: Req<GetUsageReportRequest>, opts?: RpcOptions): Promise<GetUsageReportResponse>;
  listTopUsers(req: Req<ListTopUsersRequest>, opts?: RpcOptions): Promise<ListTopUsersResponse>;
  blockUser(req: Req<BlockUserRequest>, opts?: RpcOptions): Promise<BlockUserResponse>;
  unblockUser(req: Req<UnblockUserRequest>, opts?: RpcOptions): Promise<UnblockUserResponse>;
  listBlockedUsers(req: Req<ListBlockedUsersRequest>, opts?: RpcOptions): Promise<ListBlockedUsersResponse>;
  setUserBudget(req: Req<SetUserBudgetRequest>, opts?: RpcOptions): Promise<SetUserBudgetResponse>;
  listLinkedPeople(req: Req<ListLinkedPeopleRequest>, opts?: RpcOptions): Promise<ListLinkedPeopleResponse>;
  unlinkIdentity(req: Req<UnlinkIdentityRequest>, opts?: RpcOptions): Promise<UnlinkIdentityResponse>;
}

/** Creates a UsageService client; the options are those of `createChatClient`. */
export function createUsageClient(options: ChatClientOptions): UsageClient {
  const { transport, withDeadline } = twirpTransport(options);
  const client = new GeneratedUsageClient(transport);
  return {
    getUsage: async (req, opts) =>
      (await client.getUsage(GetUsageRequest.create(req), withDeadline(opts))).response,
  };
}

/** Creates an AdminService client; the options are those of `createChatClient`. */
export function createAdminClient(options: ChatClientOptions): AdminClient {
  const { transport, withDeadline } = twirpTransport(options);
  const client = new GeneratedAdminClient(transport);
  return {
    getUsageReport: async (req, opts) =>
      (await client.getUsageReport(GetUsageReportRequest.create(req), withDeadline(opts))).response,
    listTopUsers: async (req, opts) =>
      (await client.listTopUsers(ListTopUsersRequest.create(req), withDeadline(opts))).response,
    blockUser: async (req, opts) =>
      (await client.blockUser(BlockUserRequest.create(req), withDeadline(opts))).response,
    unblockUser: async (req, opts) =>
      (await client.unblockUser(UnblockUserRequest.create(req), withDeadline(opts))).response,
    listBlockedUsers: async (req, opts) =>
      (await client.listBlockedUsers(ListBlockedUsersRequest.create(req), withDeadline(opts))).response,
    setUserBudget: async (req, opts) =>
      (await client.setUserBudget(SetUserBudgetRequest.create(req), withDeadline(opts))).response,
    listLinkedPeople: async (req, opts) =>
      (await client.listLinkedPeople(ListLinkedPeopleRequest.create(req), withDeadline(opts))).response,
    unlinkIdentity: async (req, opts) =>
      (await client.unlinkIdentity(UnlinkIdentityRequest.create(req), withDeadline(opts))).response,
  };
}

/** The Twirp transport every client shares: base URL, bearer key, trace propagation and a deadline. */
export function twirpTransport(options: ChatClientOptions) {
  const meta: Record<string, string> = { ...options.headers };
  if (options.apiKey) meta.authorization = `Bearer ${options.apiKey}`;
  const transport = new TwirpFetchTransport({
    baseUrl: `${options.baseUrl.replace(/\/+$/, '')}/twirp`,
    sendJson: options.json ?? false,
    meta,
    interceptors: [tracePropagation, ...(options.interceptors ?? [])],
    jsonOptions: { ignoreUnknownFields: true },
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  // protobuf-ts's Twirp transport ignores `timeout`: a deadline is an abort signal of our own.
  const withDeadline = (opts: RpcOptions = {}): RpcOptions => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return { ...opts, abort: opts.abort ? AbortSignal.any([opts.abort, deadline]) : deadline };
  };
  return { transport, withDeadline };
}
