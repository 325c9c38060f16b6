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
  StartConversationRequest,
  StartConversationResponse,
  ContinueConversationRequest,
  ContinueConversationResponse,
  ListConversationsRequest,
  ListConversationsResponse,
  DescribeConversationRequest,
  DescribeConversationResponse,
  DeleteConversationRequest,
  DeleteConversationResponse,
  SwitchConversationRequest,
  SwitchConversationResponse,
  GetSessionRequest,
  GetSessionResponse,
  ListToolsRequest,
  ListToolsResponse,
  GetAttachmentRequest,
  GetAttachmentResponse,
} from "./chat";

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

export interface ChatServiceClient {
  StartConversation(
    request: StartConversationRequest
  ): Promise<StartConversationResponse>;
  ContinueConversation(
    request: ContinueConversationRequest
  ): Promise<ContinueConversationResponse>;
  ListConversations(
    request: ListConversationsRequest
  ): Promise<ListConversationsResponse>;
  DescribeConversation(
    request: DescribeConversationRequest
  ): Promise<DescribeConversationResponse>;
  DeleteConversation(
    request: DeleteConversationRequest
  ): Promise<DeleteConversationResponse>;
  SwitchConversation(
    request: SwitchConversationRequest
  ): Promise<SwitchConversationResponse>;
  GetSession(request: GetSessionRequest): Promise<GetSessionResponse>;
  ListTools(request: ListToolsRequest): Promise<ListToolsResponse>;
  GetAttachment(request: GetAttachmentRequest): Promise<GetAttachmentResponse>;
}

export class ChatServiceClientJSON implements ChatServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.StartConversation.bind(this);
    this.ContinueConversation.bind(this);
    this.ListConversations.bind(this);
    this.DescribeConversation.bind(this);
    this.DeleteConversation.bind(this);
    this.SwitchConversation.bind(this);
    this.GetSession.bind(this);
    this.ListTools.bind(this);
    this.GetAttachment.bind(this);
  }
  StartConversation(
    request: StartConversationRequest
  ): Promise<StartConversationResponse> {
    const data = StartConversationRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "StartConversation",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      StartConversationResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  ContinueConversation(
    request: ContinueConversationRequest
  ): Promise<ContinueConversationResponse> {
    const data = ContinueConversationRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "ContinueConversation",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ContinueConversationResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  ListConversations(
    request: ListConversationsRequest
  ): Promise<ListConversationsResponse> {
    const data = ListConversationsRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "ListConversations",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ListConversationsResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  DescribeConversation(
    request: DescribeConversationRequest
  ): Promise<DescribeConversationResponse> {
    const data = DescribeConversationRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "DescribeConversation",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      DescribeConversationResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  DeleteConversation(
    request: DeleteConversationRequest
  ): Promise<DeleteConversationResponse> {
    const data = DeleteConversationRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "DeleteConversation",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      DeleteConversationResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  SwitchConversation(
    request: SwitchConversationRequest
  ): Promise<SwitchConversationResponse> {
    const data = SwitchConversationRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "SwitchConversation",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      SwitchConversationResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  GetSession(request: GetSessionRequest): Promise<GetSessionResponse> {
    const data = GetSessionRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "GetSession",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      GetSessionResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  ListTools(request: ListToolsRequest): Promise<ListToolsResponse> {
    const data = ListToolsRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "ListTools",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ListToolsResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  GetAttachment(request: GetAttachmentRequest): Promise<GetAttachmentResponse> {
    const data = GetAttachmentRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "GetAttachment",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      GetAttachmentResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }
}

export class ChatServiceClientProtobuf implements ChatServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.StartConversation.bind(this);
    this.ContinueConversation.bind(this);
    this.ListConversations.bind(this);
    this.DescribeConversation.bind(this);
    this.DeleteConversation.bind(this);
    this.SwitchConversation.bind(this);
    this.GetSession.bind(this);
    this.ListTools.bind(this);
    this.GetAttachment.bind(this);
  }
  StartConversation(
    request: StartConversationRequest
  ): Promise<StartConversationResponse> {
    const data = StartConversationRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "StartConversation",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      StartConversationResponse.fromBinary(data as Uint8Array)
    );
  }

  ContinueConversation(
    request: ContinueConversationRequest
  ): Promise<ContinueConversationResponse> {
    const data = ContinueConversationRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "ContinueConversation",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ContinueConversationResponse.fromBinary(data as Uint8Array)
    );
  }

  ListConversations(
    request: ListConversationsRequest
  ): Promise<ListConversationsResponse> {
    const data = ListConversationsRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "ListConversations",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ListConversationsResponse.fromBinary(data as Uint8Array)
    );
  }

  DescribeConversation(
    request: DescribeConversationRequest
  ): Promise<DescribeConversationResponse> {
    const data = DescribeConversationRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "DescribeConversation",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      DescribeConversationResponse.fromBinary(data as Uint8Array)
    );
  }

  DeleteConversation(
    request: DeleteConversationRequest
  ): Promise<DeleteConversationResponse> {
    const data = DeleteConversationRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "DeleteConversation",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      DeleteConversationResponse.fromBinary(data as Uint8Array)
    );
  }

  SwitchConversation(
    request: SwitchConversationRequest
  ): Promise<SwitchConversationResponse> {
    const data = SwitchConversationRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "SwitchConversation",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      SwitchConversationResponse.fromBinary(data as Uint8Array)
    );
  }

  GetSession(request: GetSessionRequest): Promise<GetSessionResponse> {
    const data = GetSessionRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "GetSession",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      GetSessionResponse.fromBinary(data as Uint8Array)
    );
  }

  ListTools(request: ListToolsRequest): Promise<ListToolsResponse> {
    const data = ListToolsRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "ListTools",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ListToolsResponse.fromBinary(data as Uint8Array)
    );
  }

  GetAttachment(request: GetAttachmentRequest): Promise<GetAttachmentResponse> {
    const data = GetAttachmentRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.chat.v1.ChatService",
      "GetAttachment",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      GetAttachmentResponse.fromBinary(data as Uint8Array)
    );
  }
}

//==================================//
//          Server Code             //
//==================================//

export interface ChatServiceTwirp<T extends TwirpContext = TwirpContext> {
  StartConversation(
    ctx: T,
    request: StartConversationRequest
  ): Promise<StartConversationResponse>;
  ContinueConversation(
    ctx: T,
    request: ContinueConversationRequest
  ): Promise<ContinueConversationResponse>;
  ListConversations(
    ctx: T,
    request: ListConversationsRequest
  ): Promise<ListConversationsResponse>;
  DescribeConversation(
    ctx: T,
    request: DescribeConversationRequest
  ): Promise<DescribeConversationResponse>;
  DeleteConversation(
    ctx: T,
    request: DeleteConversationRequest
  ): Promise<DeleteConversationResponse>;
  SwitchConversation(
    ctx: T,
    request: SwitchConversationRequest
  ): Promise<SwitchConversationResponse>;
  GetSession(ctx: T, request: GetSessionRequest): Promise<GetSessionResponse>;
  ListTools(ctx: T, request: ListToolsRequest): Promise<ListToolsResponse>;
  GetAttachment(
    ctx: T,
    request: GetAttachmentRequest
  ): Promise<GetAttachmentResponse>;
}

export enum ChatServiceMethod {
  StartConversation = "StartConversation",
  ContinueConversation = "ContinueConversation",
  ListConversations = "ListConversations",
  DescribeConversation = "DescribeConversation",
  DeleteConversation = "DeleteConversation",
  SwitchConversation = "SwitchConversation",
  GetSession = "GetSession",
  ListTools = "ListTools",
  GetAttachment = "GetAttachment",
}

export const ChatServiceMethodList = [
  ChatServiceMethod.StartConversation,
  ChatServiceMethod.ContinueConversation,
  ChatServiceMethod.ListConversations,
  ChatServiceMethod.DescribeConversation,
  ChatServiceMethod.DeleteConversation,
  ChatServiceMethod.SwitchConversation,
  ChatServiceMethod.GetSession,
  ChatServiceMethod.ListTools,
  ChatServiceMethod.GetAttachment,
];

export function createChatServiceServer<T extends TwirpContext = TwirpContext>(
  service: ChatServiceTwirp<T>
) {
  return new TwirpServer<ChatServiceTwirp, T>({
    service,
    packageName: "parley.chat.v1",
    serviceName: "ChatService",
    methodList: ChatServiceMethodList,
    matchRoute: matchChatServiceRoute,
  });
}

function matchChatServiceRoute<T extends TwirpContext = TwirpContext>(
  method: string,
  events: RouterEvents<T>
) {
  switch (method) {
    case "StartConversation":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          StartConversationRequest,
          StartConversationResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "StartConversation" };
        await events.onMatch(ctx);
        return handleChatServiceStartConversationRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ContinueConversation":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          ContinueConversationRequest,
          ContinueConversationResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "ContinueConversation" };
        await events.onMatch(ctx);
        return handleChatServiceContinueConversationRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ListConversations":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          ListConversationsRequest,
          ListConversationsResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "ListConversations" };
        await events.onMatch(ctx);
        return handleChatServiceListConversationsRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "DescribeConversation":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          DescribeConversationRequest,
          DescribeConversationResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "DescribeConversation" };
        await events.onMatch(ctx);
        return handleChatServiceDescribeConversationRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "DeleteConversation":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          DeleteConversationRequest,
          DeleteConversationResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "DeleteConversation" };
        await events.onMatch(ctx);
        return handleChatServiceDeleteConversationRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "SwitchConversation":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          SwitchConversationRequest,
          SwitchConversationResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "SwitchConversation" };
        await events.onMatch(ctx);
        return handleChatServiceSwitchConversationRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "GetSession":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, GetSessionRequest, GetSessionResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "GetSession" };
        await events.onMatch(ctx);
        return handleChatServiceGetSessionRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ListTools":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, ListToolsRequest, ListToolsResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "ListTools" };
        await events.onMatch(ctx);
        return handleChatServiceListToolsRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "GetAttachment":
      return async (
        ctx: T,
        service: ChatServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          GetAttachmentRequest,
          GetAttachmentResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "GetAttachment" };
        await events.onMatch(ctx);
        return handleChatServiceGetAttachmentRequest(
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

function handleChatServiceStartConversationRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    StartConversationRequest,
    StartConversationResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceStartConversationJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceStartConversationProtobuf<T>(
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

function handleChatServiceContinueConversationRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ContinueConversationRequest,
    ContinueConversationResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceContinueConversationJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceContinueConversationProtobuf<T>(
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

function handleChatServiceListConversationsRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListConversationsRequest,
    ListConversationsResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceListConversationsJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceListConversationsProtobuf<T>(
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

function handleChatServiceDescribeConversationRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    DescribeConversationRequest,
    DescribeConversationResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceDescribeConversationJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceDescribeConversationProtobuf<T>(
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

function handleChatServiceDeleteConversationRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    DeleteConversationRequest,
    DeleteConversationResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceDeleteConversationJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceDeleteConversationProtobuf<T>(
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

function handleChatServiceSwitchConversationRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    SwitchConversationRequest,
    SwitchConversationResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceSwitchConversationJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceSwitchConversationProtobuf<T>(
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

function handleChatServiceGetSessionRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetSessionRequest, GetSessionResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceGetSessionJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceGetSessionProtobuf<T>(
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

function handleChatServiceListToolsRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListToolsRequest, ListToolsResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceListToolsJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceListToolsProtobuf<T>(
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

function handleChatServiceGetAttachmentRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetAttachmentRequest, GetAttachmentResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleChatServiceGetAttachmentJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleChatServiceGetAttachmentProtobuf<T>(
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
async function handleChatServiceStartConversationJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    StartConversationRequest,
    StartConversationResponse
  >[]
) {
  let request: StartConversationRequest;
  let response: StartConversationResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = StartConversationRequest.fromJson(body, {
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
      StartConversationRequest,
      StartConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.StartConversation(ctx, inputReq);
    });
  } else {
    response = await service.StartConversation(ctx, request!);
  }

  return JSON.stringify(
    StartConversationResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceContinueConversationJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ContinueConversationRequest,
    ContinueConversationResponse
  >[]
) {
  let request: ContinueConversationRequest;
  let response: ContinueConversationResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ContinueConversationRequest.fromJson(body, {
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
      ContinueConversationRequest,
      ContinueConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ContinueConversation(ctx, inputReq);
    });
  } else {
    response = await service.ContinueConversation(ctx, request!);
  }

  return JSON.stringify(
    ContinueConversationResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceListConversationsJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListConversationsRequest,
    ListConversationsResponse
  >[]
) {
  let request: ListConversationsRequest;
  let response: ListConversationsResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ListConversationsRequest.fromJson(body, {
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
      ListConversationsRequest,
      ListConversationsResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListConversations(ctx, inputReq);
    });
  } else {
    response = await service.ListConversations(ctx, request!);
  }

  return JSON.stringify(
    ListConversationsResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceDescribeConversationJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    DescribeConversationRequest,
    DescribeConversationResponse
  >[]
) {
  let request: DescribeConversationRequest;
  let response: DescribeConversationResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = DescribeConversationRequest.fromJson(body, {
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
      DescribeConversationRequest,
      DescribeConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.DescribeConversation(ctx, inputReq);
    });
  } else {
    response = await service.DescribeConversation(ctx, request!);
  }

  return JSON.stringify(
    DescribeConversationResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceDeleteConversationJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    DeleteConversationRequest,
    DeleteConversationResponse
  >[]
) {
  let request: DeleteConversationRequest;
  let response: DeleteConversationResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = DeleteConversationRequest.fromJson(body, {
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
      DeleteConversationRequest,
      DeleteConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.DeleteConversation(ctx, inputReq);
    });
  } else {
    response = await service.DeleteConversation(ctx, request!);
  }

  return JSON.stringify(
    DeleteConversationResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceSwitchConversationJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    SwitchConversationRequest,
    SwitchConversationResponse
  >[]
) {
  let request: SwitchConversationRequest;
  let response: SwitchConversationResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = SwitchConversationRequest.fromJson(body, {
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
      SwitchConversationRequest,
      SwitchConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.SwitchConversation(ctx, inputReq);
    });
  } else {
    response = await service.SwitchConversation(ctx, request!);
  }

  return JSON.stringify(
    SwitchConversationResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceGetSessionJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetSessionRequest, GetSessionResponse>[]
) {
  let request: GetSessionRequest;
  let response: GetSessionResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = GetSessionRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetSessionRequest,
      GetSessionResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetSession(ctx, inputReq);
    });
  } else {
    response = await service.GetSession(ctx, request!);
  }

  return JSON.stringify(
    GetSessionResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceListToolsJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListToolsRequest, ListToolsResponse>[]
) {
  let request: ListToolsRequest;
  let response: ListToolsResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ListToolsRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListToolsRequest,
      ListToolsResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListTools(ctx, inputReq);
    });
  } else {
    response = await service.ListTools(ctx, request!);
  }

  return JSON.stringify(
    ListToolsResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleChatServiceGetAttachmentJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetAttachmentRequest, GetAttachmentResponse>[]
) {
  let request: GetAttachmentRequest;
  let response: GetAttachmentResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = GetAttachmentRequest.fromJson(body, {
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
      GetAttachmentRequest,
      GetAttachmentResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetAttachment(ctx, inputReq);
    });
  } else {
    response = await service.GetAttachment(ctx, request!);
  }

  return JSON.stringify(
    GetAttachmentResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}
async function handleChatServiceStartConversationProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    StartConversationRequest,
    StartConversationResponse
  >[]
) {
  let request: StartConversationRequest;
  let response: StartConversationResponse;

  try {
    request = StartConversationRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      StartConversationRequest,
      StartConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.StartConversation(ctx, inputReq);
    });
  } else {
    response = await service.StartConversation(ctx, request!);
  }

  return Buffer.from(StartConversationResponse.toBinary(response));
}

async function handleChatServiceContinueConversationProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ContinueConversationRequest,
    ContinueConversationResponse
  >[]
) {
  let request: ContinueConversationRequest;
  let response: ContinueConversationResponse;

  try {
    request = ContinueConversationRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ContinueConversationRequest,
      ContinueConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ContinueConversation(ctx, inputReq);
    });
  } else {
    response = await service.ContinueConversation(ctx, request!);
  }

  return Buffer.from(ContinueConversationResponse.toBinary(response));
}

async function handleChatServiceListConversationsProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListConversationsRequest,
    ListConversationsResponse
  >[]
) {
  let request: ListConversationsRequest;
  let response: ListConversationsResponse;

  try {
    request = ListConversationsRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListConversationsRequest,
      ListConversationsResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListConversations(ctx, inputReq);
    });
  } else {
    response = await service.ListConversations(ctx, request!);
  }

  return Buffer.from(ListConversationsResponse.toBinary(response));
}

async function handleChatServiceDescribeConversationProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    DescribeConversationRequest,
    DescribeConversationResponse
  >[]
) {
  let request: DescribeConversationRequest;
  let response: DescribeConversationResponse;

  try {
    request = DescribeConversationRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      DescribeConversationRequest,
      DescribeConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.DescribeConversation(ctx, inputReq);
    });
  } else {
    response = await service.DescribeConversation(ctx, request!);
  }

  return Buffer.from(DescribeConversationResponse.toBinary(response));
}

async function handleChatServiceDeleteConversationProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    DeleteConversationRequest,
    DeleteConversationResponse
  >[]
) {
  let request: DeleteConversationRequest;
  let response: DeleteConversationResponse;

  try {
    request = DeleteConversationRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      DeleteConversationRequest,
      DeleteConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.DeleteConversation(ctx, inputReq);
    });
  } else {
    response = await service.DeleteConversation(ctx, request!);
  }

  return Buffer.from(DeleteConversationResponse.toBinary(response));
}

async function handleChatServiceSwitchConversationProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    SwitchConversationRequest,
    SwitchConversationResponse
  >[]
) {
  let request: SwitchConversationRequest;
  let response: SwitchConversationResponse;

  try {
    request = SwitchConversationRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      SwitchConversationRequest,
      SwitchConversationResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.SwitchConversation(ctx, inputReq);
    });
  } else {
    response = await service.SwitchConversation(ctx, request!);
  }

  return Buffer.from(SwitchConversationResponse.toBinary(response));
}

async function handleChatServiceGetSessionProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetSessionRequest, GetSessionResponse>[]
) {
  let request: GetSessionRequest;
  let response: GetSessionResponse;

  try {
    request = GetSessionRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetSessionRequest,
      GetSessionResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetSession(ctx, inputReq);
    });
  } else {
    response = await service.GetSession(ctx, request!);
  }

  return Buffer.from(GetSessionResponse.toBinary(response));
}

async function handleChatServiceListToolsProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListToolsRequest, ListToolsResponse>[]
) {
  let request: ListToolsRequest;
  let response: ListToolsResponse;

  try {
    request = ListToolsRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListToolsRequest,
      ListToolsResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListTools(ctx, inputReq);
    });
  } else {
    response = await service.ListTools(ctx, request!);
  }

  return Buffer.from(ListToolsResponse.toBinary(response));
}

async function handleChatServiceGetAttachmentProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: ChatServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetAttachmentRequest, GetAttachmentResponse>[]
) {
  let request: GetAttachmentRequest;
  let response: GetAttachmentResponse;

  try {
    request = GetAttachmentRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetAttachmentRequest,
      GetAttachmentResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetAttachment(ctx, inputReq);
    });
  } else {
    response = await service.GetAttachment(ctx, request!);
  }

  return Buffer.from(GetAttachmentResponse.toBinary(response));
}
