import type { RpcOptions } from '@protobuf-ts/runtime-rpc';
import {
  BlockUserResponse,
  GetUsageReportResponse,
  ListBlockedUsersResponse,
  ListLinkedPeopleResponse,
  ListTopUsersResponse,
  SetUserBudgetResponse,
  UnblockUserResponse,
  UnlinkIdentityResponse,
} from './gen/parley/admin/v1/admin.ts';
import { GetUsageResponse } from './gen/parley/usage/v1/usage.ts';
import type { AdminClient, UsageClient } from './policy-clients.ts';

/** One call a fake policy client received: the method and its request. */
export interface FakePolicyCall<M extends string> {
  method: M;
  request: Record<string, unknown>;
}

/**
 * A UsageClient for client tests: answers `usage` (a fresh user with no limits, the default model only,
 * unless given) and records every call. Pass `getUsage` to script an answer or throw an `RpcError`.
 */
export class FakeUsageClient implements UsageClient {
  readonly calls: FakePolicyCall<'getUsage'>[] = [];
  readonly #getUsage: UsageClient['getUsage'];

  constructor(answer: Partial<GetUsageResponse> | UsageClient['getUsage'] = {}) {
    this.#getUsage =
      typeof answer === 'function'
        ? answer
        : async () =>
            GetUsageResponse.create({
              defaultModel: 'gpt-4o-mini',
              allowedModels: ['gpt-4o-mini'],
              ...answer,
            });
  }

  getUsage: UsageClient['getUsage'] = (req, opts?: RpcOptions) => {
    this.calls.push({ method: 'getUsage', request: { ...req } });
    return this.#getUsage(req, opts);
  };
}

type AdminMethod = keyof AdminClient;

/** An AdminClient for client tests: empty answers unless scripted, every call recorded. */
export class FakeAdminClient implements AdminClient {
  readonly calls: FakePolicyCall<AdminMethod>[] = [];
  readonly #impl: AdminClient;

  constructor(overrides: Partial<AdminClient> = {}) {
    this.#impl = {
      getUsageReport: async () => GetUsageReportResponse.create({ currency: 'USD' }),
      listTopUsers: async () => ListTopUsersResponse.create({ currency: 'USD' }),
      blockUser: async () => BlockUserResponse.create(),
      unblockUser: async () => UnblockUserResponse.create({ wasBlocked: true }),
      listBlockedUsers: async () => ListBlockedUsersResponse.create(),
      setUserBudget: async () => SetUserBudgetResponse.create(),
      listLinkedPeople: async () => ListLinkedPeopleResponse.create(),
      unlinkIdentity: async () => UnlinkIdentityResponse.create({ wasLinked: true }),
      ...overrides,
    };
  }

  getUsageReport: AdminClient['getUsageReport'] = (req, opts) => this.#call('getUsageReport', req, opts);
  listTopUsers: AdminClient['listTopUsers'] = (req, opts) => this.#call('listTopUsers', req, opts);
  blockUser: AdminClient['blockUser'] = (req, opts) => this.#call('blockUser', req, opts);
  unblockUser: AdminClient['unblockUser'] = (req, opts) => this.#call('unblockUser', req, opts);
  listBlockedUsers: AdminClient['listBlockedUsers'] = (req, opts) =>
    this.#call('listBlockedUsers', req, opts);
  setUserBudget: AdminClient['setUserBudget'] = (req, opts) => this.#call('setUserBudget', req, opts);
  listLinkedPeople: AdminClient['listLinkedPeople'] = (req, opts) =>
    this.#call('listLinkedPeople', req, opts);
  unlinkIdentity: AdminClient['unlinkIdentity'] = (req, opts) => this.#call('unlinkIdentity', req, opts);

  #call<M extends AdminMethod>(
    method: M,
    request: Parameters<AdminClient[M]>[0],
    opts: RpcOptions | undefined,
  ): ReturnType<AdminClient[M]> {
    this.calls.push({ method, request: { ...request } });
    const handler = this.#impl[method] as (
      req: typeof request,
      opts?: RpcOptions,
    ) => ReturnType<AdminClient[M]>;
    return handler(request, opts);
  }
}
