import {
  TwirpContext,
  TwirpServer,
  RouterEvents,
  TwirpError,
  TwirpErrorCode,
  Interceptor,
  TwirpContentType,
  chainInterceptors,
} from "twirp-ts";
import {
  CreateLinkCodeRequest,
  CreateLinkCodeResponse,
  RedeemLinkCodeRequest,
  RedeemLinkCodeResponse,
  ListLinksRequest,
  ListLinksResponse,
  UnlinkRequest,
  UnlinkResponse,
  GetPreferencesRequest,
  GetPreferencesResponse,
  SetLanguageRequest,
  SetLanguageResponse,
} from "./identity";

//==================================//
//          Client Code             //
//==================================//

interface Rpc {
  request(
    service: string,
    method: string,
    contentType: "application/json" | "application/protobuf",
    data: object | Uint8Array
  ): Promise<object | Uint8Array>;
}

export interface IdentityServiceClient {
  CreateLinkCode(
    request: CreateLinkCodeRequest
  ): Promise<CreateLinkCodeResponse>;
  RedeemLinkCode(
    request: RedeemLinkCodeRequest
  ): Promise<RedeemLinkCodeResponse>;
  ListLinks(request: ListLinksRequest): Promise<ListLinksResponse>;
  Unlink(request: UnlinkRequest): Promise<UnlinkResponse>;
  GetPreferences(
    request: GetPreferencesRequest
  ): Promise<GetPreferencesResponse>;
  SetLanguage(request: SetLanguageRequest): Promise<SetLanguageResponse>;
}

export class IdentityServiceClientJSON implements IdentityServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.CreateLinkCode.bind(this);
    this.RedeemLinkCode.bind(this);
    this.ListLinks.bind(this);
    this.Unlink.bind(this);
    this.GetPreferences.bind(this);
    this.SetLanguage.bind(this);
  }
  CreateLinkCode(
    request: CreateLinkCodeRequest
  ): Promise<CreateLinkCodeResponse> {
    const data = CreateLinkCodeRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "CreateLinkCode",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      CreateLinkCodeResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  RedeemLinkCode(
    request: RedeemLinkCodeRequest
  ): Promise<RedeemLinkCodeResponse> {
    const data = RedeemLinkCodeRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "RedeemLinkCode",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      RedeemLinkCodeResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  ListLinks(request: ListLinksRequest): Promise<ListLinksResponse> {
    const data = ListLinksRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "ListLinks",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ListLinksResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  Unlink(request: UnlinkRequest): Promise<UnlinkResponse> {
    const data = UnlinkRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "Unlink",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      UnlinkResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  GetPreferences(
    request: GetPreferencesRequest
  ): Promise<GetPreferencesResponse> {
    const data = GetPreferencesRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "GetPreferences",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      GetPreferencesResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  SetLanguage(request: SetLanguageRequest): Promise<SetLanguageResponse> {
    const data = SetLanguageRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "SetLanguage",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      SetLanguageResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }
}

export class IdentityServiceClientProtobuf implements IdentityServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.CreateLinkCode.bind(this);
    this.RedeemLinkCode.bind(this);
    this.ListLinks.bind(this);
    this.Unlink.bind(this);
    this.GetPreferences.bind(this);
    this.SetLanguage.bind(this);
  }
  CreateLinkCode(
    request: CreateLinkCodeRequest
  ): Promise<CreateLinkCodeResponse> {
    const data = CreateLinkCodeRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "CreateLinkCode",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      CreateLinkCodeResponse.fromBinary(data as Uint8Array)
    );
  }

  RedeemLinkCode(
    request: RedeemLinkCodeRequest
  ): Promise<RedeemLinkCodeResponse> {
    const data = RedeemLinkCodeRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "RedeemLinkCode",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      RedeemLinkCodeResponse.fromBinary(data as Uint8Array)
    );
  }

  ListLinks(request: ListLinksRequest): Promise<ListLinksResponse> {
    const data = ListLinksRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "ListLinks",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ListLinksResponse.fromBinary(data as Uint8Array)
    );
  }

  Unlink(request: UnlinkRequest): Promise<UnlinkResponse> {
    const data = UnlinkRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "Unlink",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      UnlinkResponse.fromBinary(data as Uint8Array)
    );
  }

  GetPreferences(
    request: GetPreferencesRequest
  ): Promise<GetPreferencesResponse> {
    const data = GetPreferencesRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "GetPreferences",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      GetPreferencesResponse.fromBinary(data as Uint8Array)
    );
  }

  SetLanguage(request: SetLanguageRequest): Promise<SetLanguageResponse> {
    const data = SetLanguageRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.identity.v1.IdentityService",
      "SetLanguage",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      SetLanguageResponse.fromBinary(data as Uint8Array)
    );
  }
}

//==================================//
//          Server Code             //
//==================================//

export interface IdentityServiceTwirp<T extends TwirpContext = TwirpContext> {
  CreateLinkCode(
    ctx: T,
    request: CreateLinkCodeRequest
  ): Promise<CreateLinkCodeResponse>;
  RedeemLinkCode(
    ctx: T,
    request: RedeemLinkCodeRequest
  ): Promise<RedeemLinkCodeResponse>;
  ListLinks(ctx: T, request: ListLinksRequest): Promise<ListLinksResponse>;
  Unlink(ctx: T, request: UnlinkRequest): Promise<UnlinkResponse>;
  GetPreferences(
    ctx: T,
    request: GetPreferencesRequest
  ): Promise<GetPreferencesResponse>;
  SetLanguage(
    ctx: T,
    request: SetLanguageRequest
  ): Promise<SetLanguageResponse>;
}

export enum IdentityServiceMethod {
  CreateLinkCode = "CreateLinkCode",
  RedeemLinkCode = "RedeemLinkCode",
  ListLinks = "ListLinks",
  Unlink = "Unlink",
  GetPreferences = "GetPreferences",
  SetLanguage = "SetLanguage",
}

export const IdentityServiceMethodList = [
  IdentityServiceMethod.CreateLinkCode,
  IdentityServiceMethod.RedeemLinkCode,
  IdentityServiceMethod.ListLinks,
  IdentityServiceMethod.Unlink,
  IdentityServiceMethod.GetPreferences,
  IdentityServiceMethod.SetLanguage,
];

export function createIdentityServiceServer<
  T extends TwirpContext = TwirpContext
>(service: IdentityServiceTwirp<T>) {
  return new TwirpServer<IdentityServiceTwirp, T>({
    service,
    packageName: "parley.identity.v1",
    serviceName: "IdentityService",
    methodList: IdentityServiceMethodList,
    matchRoute: matchIdentityServiceRoute,
  });
}

function matchIdentityServiceRoute<T extends TwirpContext = TwirpContext>(
  method: string,
  events: RouterEvents<T>
) {
  switch (method) {
    case "CreateLinkCode":
      return async (
        ctx: T,
        service: IdentityServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          CreateLinkCodeRequest,
          CreateLinkCodeResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "CreateLinkCode" };
        await events.onMatch(ctx);
        return handleIdentityServiceCreateLinkCodeRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "RedeemLinkCode":
      return async (
        ctx: T,
        service: IdentityServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          RedeemLinkCodeRequest,
          RedeemLinkCodeResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "RedeemLinkCode" };
        await events.onMatch(ctx);
        return handleIdentityServiceRedeemLinkCodeRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ListLinks":
      return async (
        ctx: T,
        service: IdentityServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, ListLinksRequest, ListLinksResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "ListLinks" };
        await events.onMatch(ctx);
        return handleIdentityServiceListLinksRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "Unlink":
      return async (
        ctx: T,
        service: IdentityServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, UnlinkRequest, UnlinkResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "Unlink" };
        await events.onMatch(ctx);
        return handleIdentityServiceUnlinkRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "GetPreferences":
      return async (
        ctx: T,
        service: IdentityServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          GetPreferencesRequest,
          GetPreferencesResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "GetPreferences" };
        await events.onMatch(ctx);
        return handleIdentityServiceGetPreferencesRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "SetLanguage":
      return async (
        ctx: T,
        service: IdentityServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, SetLanguageRequest, SetLanguageResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "SetLanguage" };
        await events.onMatch(ctx);
        return handleIdentityServiceSetLanguageRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    default:
      events.onNotFound();
      const msg = `no handler found`;
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}

function handleIdentityServiceCreateLinkCodeRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, CreateLinkCodeRequest, CreateLinkCodeResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleIdentityServiceCreateLinkCodeJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleIdentityServiceCreateLinkCodeProtobuf<T>(
        ctx,
        service,
        data,
        interceptors
      );
    default:
      const msg = "unexpected Content-Type";
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}

function handleIdentityServiceRedeemLinkCodeRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, RedeemLinkCodeRequest, RedeemLinkCodeResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleIdentityServiceRedeemLinkCodeJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleIdentityServiceRedeemLinkCodeProtobuf<T>(
        ctx,
        service,
        data,
        interceptors
      );
    default:
      const msg = "unexpected Content-Type";
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}

function handleIdentityServiceListLinksRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListLinksRequest, ListLinksResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleIdentityServiceListLinksJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleIdentityServiceListLinksProtobuf<T>(
        ctx,
        service,
        data,
        interceptors
      );
    default:
      const msg = "unexpected Content-Type";
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}

function handleIdentityServiceUnlinkRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnlinkRequest, UnlinkResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleIdentityServiceUnlinkJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleIdentityServiceUnlinkProtobuf<T>(
        ctx,
        service,
        data,
        interceptors
      );
    default:
      const msg = "unexpected Content-Type";
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}

function handleIdentityServiceGetPreferencesRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetPreferencesRequest, GetPreferencesResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleIdentityServiceGetPreferencesJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleIdentityServiceGetPreferencesProtobuf<T>(
        ctx,
        service,
        data,
        interceptors
      );
    default:
      const msg = "unexpected Content-Type";
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}

function handleIdentityServiceSetLanguageRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, SetLanguageRequest, SetLanguageResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleIdentityServiceSetLanguageJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleIdentityServiceSetLanguageProtobuf<T>(
        ctx,
        service,
        data,
        interceptors
      );
    default:
      const msg = "unexpected Content-Type";
      throw new TwirpError(TwirpErrorCode.BadRoute, msg);
  }
}
async function handleIdentityServiceCreateLinkCodeJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, CreateLinkCodeRequest, CreateLinkCodeResponse>[]
) {
  let request: CreateLinkCodeRequest;
  let response: CreateLinkCodeResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = CreateLinkCodeRequest.fromJson(body, {
      ignoreUnknownFields: true,
    });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      CreateLinkCodeRequest,
      CreateLinkCodeResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.CreateLinkCode(ctx, inputReq);
    });
  } else {
    response = await service.CreateLinkCode(ctx, request!);
  }

  return JSON.stringify(
    CreateLinkCodeResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleIdentityServiceRedeemLinkCodeJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, RedeemLinkCodeRequest, RedeemLinkCodeResponse>[]
) {
  let request: RedeemLinkCodeRequest;
  let response: RedeemLinkCodeResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = RedeemLinkCodeRequest.fromJson(body, {
      ignoreUnknownFields: true,
    });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      RedeemLinkCodeRequest,
      RedeemLinkCodeResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.RedeemLinkCode(ctx, inputReq);
    });
  } else {
    response = await service.RedeemLinkCode(ctx, request!);
  }

  return JSON.stringify(
    RedeemLinkCodeResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleIdentityServiceListLinksJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListLinksRequest, ListLinksResponse>[]
) {
  let request: ListLinksRequest;
  let response: ListLinksResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ListLinksRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListLinksRequest,
      ListLinksResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListLinks(ctx, inputReq);
    });
  } else {
    response = await service.ListLinks(ctx, request!);
  }

  return JSON.stringify(
    ListLinksResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleIdentityServiceUnlinkJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnlinkRequest, UnlinkResponse>[]
) {
  let request: UnlinkRequest;
  let response: UnlinkResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = UnlinkRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      UnlinkRequest,
      UnlinkResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.Unlink(ctx, inputReq);
    });
  } else {
    response = await service.Unlink(ctx, request!);
  }

  return JSON.stringify(
    UnlinkResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleIdentityServiceGetPreferencesJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetPreferencesRequest, GetPreferencesResponse>[]
) {
  let request: GetPreferencesRequest;
  let response: GetPreferencesResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = GetPreferencesRequest.fromJson(body, {
      ignoreUnknownFields: true,
    });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetPreferencesRequest,
      GetPreferencesResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetPreferences(ctx, inputReq);
    });
  } else {
    response = await service.GetPreferences(ctx, request!);
  }

  return JSON.stringify(
    GetPreferencesResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleIdentityServiceSetLanguageJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, SetLanguageRequest, SetLanguageResponse>[]
) {
  let request: SetLanguageRequest;
  let response: SetLanguageResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = SetLanguageRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      SetLanguageRequest,
      SetLanguageResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.SetLanguage(ctx, inputReq);
    });
  } else {
    response = await service.SetLanguage(ctx, request!);
  }

  return JSON.stringify(
    SetLanguageResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}
async function handleIdentityServiceCreateLinkCodeProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, CreateLinkCodeRequest, CreateLinkCodeResponse>[]
) {
  let request: CreateLinkCodeRequest;
  let response: CreateLinkCodeResponse;

  try {
    request = CreateLinkCodeRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      CreateLinkCodeRequest,
      CreateLinkCodeResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.CreateLinkCode(ctx, inputReq);
    });
  } else {
    response = await service.CreateLinkCode(ctx, request!);
  }

  return Buffer.from(CreateLinkCodeResponse.toBinary(response));
}

async function handleIdentityServiceRedeemLinkCodeProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, RedeemLinkCodeRequest, RedeemLinkCodeResponse>[]
) {
  let request: RedeemLinkCodeRequest;
  let response: RedeemLinkCodeResponse;

  try {
    request = RedeemLinkCodeRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      RedeemLinkCodeRequest,
      RedeemLinkCodeResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.RedeemLinkCode(ctx, inputReq);
    });
  } else {
    response = await service.RedeemLinkCode(ctx, request!);
  }

  return Buffer.from(RedeemLinkCodeResponse.toBinary(response));
}

async function handleIdentityServiceListLinksProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListLinksRequest, ListLinksResponse>[]
) {
  let request: ListLinksRequest;
  let response: ListLinksResponse;

  try {
    request = ListLinksRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListLinksRequest,
      ListLinksResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListLinks(ctx, inputReq);
    });
  } else {
    response = await service.ListLinks(ctx, request!);
  }

  return Buffer.from(ListLinksResponse.toBinary(response));
}

async function handleIdentityServiceUnlinkProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnlinkRequest, UnlinkResponse>[]
) {
  let request: UnlinkRequest;
  let response: UnlinkResponse;

  try {
    request = UnlinkRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      UnlinkRequest,
      UnlinkResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.Unlink(ctx, inputReq);
    });
  } else {
    response = await service.Unlink(ctx, request!);
  }

  return Buffer.from(UnlinkResponse.toBinary(response));
}

async function handleIdentityServiceGetPreferencesProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetPreferencesRequest, GetPreferencesResponse>[]
) {
  let request: GetPreferencesRequest;
  let response: GetPreferencesResponse;

  try {
    request = GetPreferencesRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetPreferencesRequest,
      GetPreferencesResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetPreferences(ctx, inputReq);
    });
  } else {
    response = await service.GetPreferences(ctx, request!);
  }

  return Buffer.from(GetPreferencesResponse.toBinary(response));
}

async function handleIdentityServiceSetLanguageProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: IdentityServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, SetLanguageRequest, SetLanguageResponse>[]
) {
  let request: SetLanguageRequest;
  let response: SetLanguageResponse;

  try {
    request = SetLanguageRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      SetLanguageRequest,
      SetLanguageResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.SetLanguage(ctx, inputReq);
    });
  } else {
    response = await service.SetLanguage(ctx, request!);
  }

  return Buffer.from(SetLanguageResponse.toBinary(response));
}
