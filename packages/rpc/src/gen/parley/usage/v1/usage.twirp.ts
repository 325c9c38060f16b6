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
import { GetUsageRequest, GetUsageResponse } from "./usage";

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

export interface UsageServiceClient {
  GetUsage(request: GetUsageRequest): Promise<GetUsageResponse>;
}

export class UsageServiceClientJSON implements UsageServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.GetUsage.bind(this);
  }
  GetUsage(request: GetUsageRequest): Promise<GetUsageResponse> {
    const data = GetUsageRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.usage.v1.UsageService",
      "GetUsage",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      GetUsageResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }
}

export class UsageServiceClientProtobuf implements UsageServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.GetUsage.bind(this);
  }
  GetUsage(request: GetUsageRequest): Promise<GetUsageResponse> {
    const data = GetUsageRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.usage.v1.UsageService",
      "GetUsage",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      GetUsageResponse.fromBinary(data as Uint8Array)
    );
  }
}

//==================================//
//          Server Code             //
//==================================//

export interface UsageServiceTwirp<T extends TwirpContext = TwirpContext> {
  GetUsage(ctx: T, request: GetUsageRequest): Promise<GetUsageResponse>;
}

export enum UsageServiceMethod {
  GetUsage = "GetUsage",
}

export const UsageServiceMethodList = [UsageServiceMethod.GetUsage];

export function createUsageServiceServer<T extends TwirpContext = TwirpContext>(
  service: UsageServiceTwirp<T>
) {
  return new TwirpServer<UsageServiceTwirp, T>({
    service,
    packageName: "parley.usage.v1",
    serviceName: "UsageService",
    methodList: UsageServiceMethodList,
    matchRoute: matchUsageServiceRoute,
  });
}

function matchUsageServiceRoute<T extends TwirpContext = TwirpContext>(
  method: string,
  events: RouterEvents<T>
) {
  switch (method) {
    case "GetUsage":
      return async (
        ctx: T,
        service: UsageServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, GetUsageRequest, GetUsageResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "GetUsage" };
        await events.onMatch(ctx);
        return handleUsageServiceGetUsageRequest(
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

function handleUsageServiceGetUsageRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: UsageServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetUsageRequest, GetUsageResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleUsageServiceGetUsageJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleUsageServiceGetUsageProtobuf<T>(
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
async function handleUsageServiceGetUsageJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: UsageServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetUsageRequest, GetUsageResponse>[]
) {
  let request: GetUsageRequest;
  let response: GetUsageResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = GetUsageRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetUsageRequest,
      GetUsageResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetUsage(ctx, inputReq);
    });
  } else {
    response = await service.GetUsage(ctx, request!);
  }

  return JSON.stringify(
    GetUsageResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}
async function handleUsageServiceGetUsageProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: UsageServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetUsageRequest, GetUsageResponse>[]
) {
  let request: GetUsageRequest;
  let response: GetUsageResponse;

  try {
    request = GetUsageRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetUsageRequest,
      GetUsageResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetUsage(ctx, inputReq);
    });
  } else {
    response = await service.GetUsage(ctx, request!);
  }

  return Buffer.from(GetUsageResponse.toBinary(response));
}
