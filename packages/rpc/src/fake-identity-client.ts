import type { RpcOptions } from '@protobuf-ts/runtime-rpc';
import type { FakePolicyCall } from './fake-policy-clients.ts';
import {
  CreateLinkCodeResponse,
  GetPreferencesResponse,
  ListLinksResponse,
  RedeemLinkCodeResponse,
  SetLanguageResponse,
  UnlinkResponse,
} from './gen/parley/identity/v1/identity.ts';
import type { IdentityClient } from './identity-client.ts';

type IdentityMethod = keyof IdentityClient;

/**
 * An IdentityClient for client tests: keeps each user's language in memory (so /language and the texts
 * that follow agree), answers the link calls with empty results unless scripted, records every call.
 */
export class FakeIdentityClient implements IdentityClient {
  readonly calls: FakePolicyCall<IdentityMethod>[] = [];
  readonly languages = new Map<string, string>();
  readonly #impl: IdentityClient;

  constructor(overrides: Partial<IdentityClient> = {}) {
    this.#impl = {
      createLinkCode: async () => CreateLinkCodeResponse.create({ code: 'ABCD-EFGH' }),
      redeemLinkCode: async () => RedeemLinkCodeResponse.create(),
      listLinks: async () => ListLinksResponse.create(),
      unlink: async () => UnlinkResponse.create({ wasLinked: true }),
      getPreferences: async (req) =>
        GetPreferencesResponse.create({ language: this.languages.get(req.userId ?? '') ?? '' }),
      setLanguage: async (req) => {
        this.languages.set(req.userId ?? '', req.language ?? '');
        return SetLanguageResponse.create();
      },
      ...overrides,
    };
  }

  createLinkCode: IdentityClient['createLinkCode'] = (req, opts) => this.#call('createLinkCode', req, opts);
  redeemLinkCode: IdentityClient['redeemLinkCode'] = (req, opts) => this.#call('redeemLinkCode', req, opts);
  listLinks: IdentityClient['listLinks'] = (req, opts) => this.#call('listLinks', req, opts);
  unlink: IdentityClient['unlink'] = (req, opts) => this.#call('unlink', req, opts);
  getPreferences: IdentityClient['getPreferences'] = (req, opts) => this.#call('getPreferences', req, opts);
  setLanguage: IdentityClient['setLanguage'] = (req, opts) => this.#call('setLanguage', req, opts);

  #call<M extends IdentityMethod>(
    method: M,
    request: Parameters<IdentityClient[M]>[0],
    opts: RpcOptions | undefined,
  ): ReturnType<IdentityClient[M]> {
    this.calls.push({ method, request: { ...request } });
    const handler = this.#impl[method] as (
      req: typeof request,
      opts?: RpcOptions,
    ) => ReturnType<IdentityClient[M]>;
    return handler(request, opts);
  }
}
