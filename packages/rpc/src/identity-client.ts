import type { RpcOptions } from '@protobuf-ts/runtime-rpc';
import { IdentityServiceClient as GeneratedIdentityClient } from './gen/parley/identity/v1/identity.client.ts';
import {
  CreateLinkCodeRequest,
  type CreateLinkCodeResponse,
  GetPreferencesRequest,
  type GetPreferencesResponse,
  ListLinksRequest,
  type ListLinksResponse,
  RedeemLinkCodeRequest,
  type RedeemLinkCodeResponse,
  SetLanguageRequest,
  type SetLanguageResponse,
  UnlinkRequest,
  type UnlinkResponse,
} from './gen/parley/identity/v1/identity.ts';
import type { ChatClientOptions } from './index.ts';
import { twirpTransport } from './policy-clients.ts';

type Req<T> = Partial<T>;

/** IdentityService: linking a person's identities across clients, and their language (any valid key). */
export interface IdentityClient {
  createLinkCode(req: Req<CreateLinkCodeRequest>, opts?: RpcOptions): Promise<CreateLinkCodeResponse>;
  redeemLinkCode(req: Req<RedeemLinkCodeRequest>, opts?: RpcOptions): Promise<RedeemLinkCodeResponse>;
  listLinks(req: Req<ListLinksRequest>, opts?: RpcOptions): Promise<ListLinksResponse>;
  unlink(req: Req<UnlinkRequest>, opts?: RpcOptions): Promise<UnlinkResponse>;
  getPreferences(req: Req<GetPreferencesRequest>, opts?: RpcOptions): Promise<GetPreferencesResponse>;
  setLanguage(req: Req<SetLanguageRequest>, opts?: RpcOptions): Promise<SetLanguageResponse>;
}

/** Creates an IdentityService client; the options are those of `createChatClient`. */
export function createIdentityClient(options: ChatClientOptions): IdentityClient {
  const { transport, withDeadline } = twirpTransport(options);
  const client = new GeneratedIdentityClient(transport);
  return {
    createLinkCode: async (req, opts) =>
      (await client.createLinkCode(CreateLinkCodeRequest.create(req), withDeadline(opts))).response,
    redeemLinkCode: async (req, opts) =>
      (await client.redeemLinkCode(RedeemLinkCodeRequest.create(req), withDeadline(opts))).response,
    listLinks: async (req, opts) =>
      (await client.listLinks(ListLinksRequest.create(req), withDeadline(opts))).response,
    unlink: async (req, opts) =>
      (await client.unlink(UnlinkRequest.create(req), withDeadline(opts))).response,
    getPreferences: async (req, opts) =>
      (await client.getPreferences(GetPreferencesRequest.create(req), withDeadline(opts))).response,
    setLanguage: async (req, opts) =>
      (await client.setLanguage(SetLanguageRequest.create(req), withDeadline(opts))).response,
  };
}
