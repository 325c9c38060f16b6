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
  GetUsageReportRequest,
  GetUsageReportResponse,
  ListTopUsersRequest,
  ListTopUsersResponse,
  BlockUserRequest,
  BlockUserResponse,
  UnblockUserRequest,
  UnblockUserResponse,
  ListBlockedUsersRequest,
  ListBlockedUsersResponse,
  SetUserBudgetRequest,
  SetUserBudgetResponse,
  ListLinkedPeopleRequest,
  ListLinkedPeopleResponse,
  UnlinkIdentityRequest,
  UnlinkIdentityResponse,
} from "./admin";

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

export interface AdminServiceClient {
  GetUsageReport(
    request: GetUsageReportRequest
  ): Promise<GetUsageReportResponse>;
  ListTopUsers(request: ListTopUsersRequest): Promise<ListTopUsersResponse>;
  BlockUser(request: BlockUserRequest): Promise<BlockUserResponse>;
  UnblockUser(request: UnblockUserRequest): Promise<UnblockUserResponse>;
  ListBlockedUsers(
    request: ListBlockedUsersRequest
  ): Promise<ListBlockedUsersResponse>;
  SetUserBudget(request: SetUserBudgetRequest): Promise<SetUserBudgetResponse>;
  ListLinkedPeople(
    request: ListLinkedPeopleRequest
  ): Promise<ListLinkedPeopleResponse>;
  UnlinkIdentity(
    request: UnlinkIdentityRequest
  ): Promise<UnlinkIdentityResponse>;
}

export class AdminServiceClientJSON implements AdminServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.GetUsageReport.bind(this);
    this.ListTopUsers.bind(this);
    this.BlockUser.bind(this);
    this.UnblockUser.bind(this);
    this.ListBlockedUsers.bind(this);
    this.SetUserBudget.bind(this);
    this.ListLinkedPeople.bind(this);
    this.UnlinkIdentity.bind(this);
  }
  GetUsageReport(
    request: GetUsageReportRequest
  ): Promise<GetUsageReportResponse> {
    const data = GetUsageReportRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "GetUsageReport",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      GetUsageReportResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  ListTopUsers(request: ListTopUsersRequest): Promise<ListTopUsersResponse> {
    const data = ListTopUsersRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "ListTopUsers",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ListTopUsersResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  BlockUser(request: BlockUserRequest): Promise<BlockUserResponse> {
    const data = BlockUserRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "BlockUser",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      BlockUserResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  UnblockUser(request: UnblockUserRequest): Promise<UnblockUserResponse> {
    const data = UnblockUserRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "UnblockUser",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      UnblockUserResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  ListBlockedUsers(
    request: ListBlockedUsersRequest
  ): Promise<ListBlockedUsersResponse> {
    const data = ListBlockedUsersRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "ListBlockedUsers",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ListBlockedUsersResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  SetUserBudget(request: SetUserBudgetRequest): Promise<SetUserBudgetResponse> {
    const data = SetUserBudgetRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "SetUserBudget",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      SetUserBudgetResponse.fromJson(data as any, { ignoreUnknownFields: true })
    );
  }

  ListLinkedPeople(
    request: ListLinkedPeopleRequest
  ): Promise<ListLinkedPeopleResponse> {
    const data = ListLinkedPeopleRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "ListLinkedPeople",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      ListLinkedPeopleResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }

  UnlinkIdentity(
    request: UnlinkIdentityRequest
  ): Promise<UnlinkIdentityResponse> {
    const data = UnlinkIdentityRequest.toJson(request, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    });
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "UnlinkIdentity",
      "application/json",
      data as object
    );
    return promise.then((data) =>
      UnlinkIdentityResponse.fromJson(data as any, {
        ignoreUnknownFields: true,
      })
    );
  }
}

export class AdminServiceClientProtobuf implements AdminServiceClient {
  private readonly rpc: Rpc;
  constructor(rpc: Rpc) {
    this.rpc = rpc;
    this.GetUsageReport.bind(this);
    this.ListTopUsers.bind(this);
    this.BlockUser.bind(this);
    this.UnblockUser.bind(this);
    this.ListBlockedUsers.bind(this);
    this.SetUserBudget.bind(this);
    this.ListLinkedPeople.bind(this);
    this.UnlinkIdentity.bind(this);
  }
  GetUsageReport(
    request: GetUsageReportRequest
  ): Promise<GetUsageReportResponse> {
    const data = GetUsageReportRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "GetUsageReport",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      GetUsageReportResponse.fromBinary(data as Uint8Array)
    );
  }

  ListTopUsers(request: ListTopUsersRequest): Promise<ListTopUsersResponse> {
    const data = ListTopUsersRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "ListTopUsers",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ListTopUsersResponse.fromBinary(data as Uint8Array)
    );
  }

  BlockUser(request: BlockUserRequest): Promise<BlockUserResponse> {
    const data = BlockUserRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "BlockUser",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      BlockUserResponse.fromBinary(data as Uint8Array)
    );
  }

  UnblockUser(request: UnblockUserRequest): Promise<UnblockUserResponse> {
    const data = UnblockUserRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "UnblockUser",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      UnblockUserResponse.fromBinary(data as Uint8Array)
    );
  }

  ListBlockedUsers(
    request: ListBlockedUsersRequest
  ): Promise<ListBlockedUsersResponse> {
    const data = ListBlockedUsersRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "ListBlockedUsers",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ListBlockedUsersResponse.fromBinary(data as Uint8Array)
    );
  }

  SetUserBudget(request: SetUserBudgetRequest): Promise<SetUserBudgetResponse> {
    const data = SetUserBudgetRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "SetUserBudget",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      SetUserBudgetResponse.fromBinary(data as Uint8Array)
    );
  }

  ListLinkedPeople(
    request: ListLinkedPeopleRequest
  ): Promise<ListLinkedPeopleResponse> {
    const data = ListLinkedPeopleRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "ListLinkedPeople",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      ListLinkedPeopleResponse.fromBinary(data as Uint8Array)
    );
  }

  UnlinkIdentity(
    request: UnlinkIdentityRequest
  ): Promise<UnlinkIdentityResponse> {
    const data = UnlinkIdentityRequest.toBinary(request);
    const promise = this.rpc.request(
      "parley.admin.v1.AdminService",
      "UnlinkIdentity",
      "application/protobuf",
      data
    );
    return promise.then((data) =>
      UnlinkIdentityResponse.fromBinary(data as Uint8Array)
    );
  }
}

//==================================//
//          Server Code             //
//==================================//

export interface AdminServiceTwirp<T extends TwirpContext = TwirpContext> {
  GetUsageReport(
    ctx: T,
    request: GetUsageReportRequest
  ): Promise<GetUsageReportResponse>;
  ListTopUsers(
    ctx: T,
    request: ListTopUsersRequest
  ): Promise<ListTopUsersResponse>;
  BlockUser(ctx: T, request: BlockUserRequest): Promise<BlockUserResponse>;
  UnblockUser(
    ctx: T,
    request: UnblockUserRequest
  ): Promise<UnblockUserResponse>;
  ListBlockedUsers(
    ctx: T,
    request: ListBlockedUsersRequest
  ): Promise<ListBlockedUsersResponse>;
  SetUserBudget(
    ctx: T,
    request: SetUserBudgetRequest
  ): Promise<SetUserBudgetResponse>;
  ListLinkedPeople(
    ctx: T,
    request: ListLinkedPeopleRequest
  ): Promise<ListLinkedPeopleResponse>;
  UnlinkIdentity(
    ctx: T,
    request: UnlinkIdentityRequest
  ): Promise<UnlinkIdentityResponse>;
}

export enum AdminServiceMethod {
  GetUsageReport = "GetUsageReport",
  ListTopUsers = "ListTopUsers",
  BlockUser = "BlockUser",
  UnblockUser = "UnblockUser",
  ListBlockedUsers = "ListBlockedUsers",
  SetUserBudget = "SetUserBudget",
  ListLinkedPeople = "ListLinkedPeople",
  UnlinkIdentity = "UnlinkIdentity",
}

export const AdminServiceMethodList = [
  AdminServiceMethod.GetUsageReport,
  AdminServiceMethod.ListTopUsers,
  AdminServiceMethod.BlockUser,
  AdminServiceMethod.UnblockUser,
  AdminServiceMethod.ListBlockedUsers,
  AdminServiceMethod.SetUserBudget,
  AdminServiceMethod.ListLinkedPeople,
  AdminServiceMethod.UnlinkIdentity,
];

export function createAdminServiceServer<T extends TwirpContext = TwirpContext>(
  service: AdminServiceTwirp<T>
) {
  return new TwirpServer<AdminServiceTwirp, T>({
    service,
    packageName: "parley.admin.v1",
    serviceName: "AdminService",
    methodList: AdminServiceMethodList,
    matchRoute: matchAdminServiceRoute,
  });
}

function matchAdminServiceRoute<T extends TwirpContext = TwirpContext>(
  method: string,
  events: RouterEvents<T>
) {
  switch (method) {
    case "GetUsageReport":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          GetUsageReportRequest,
          GetUsageReportResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "GetUsageReport" };
        await events.onMatch(ctx);
        return handleAdminServiceGetUsageReportRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ListTopUsers":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          ListTopUsersRequest,
          ListTopUsersResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "ListTopUsers" };
        await events.onMatch(ctx);
        return handleAdminServiceListTopUsersRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "BlockUser":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, BlockUserRequest, BlockUserResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "BlockUser" };
        await events.onMatch(ctx);
        return handleAdminServiceBlockUserRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "UnblockUser":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<T, UnblockUserRequest, UnblockUserResponse>[]
      ) => {
        ctx = { ...ctx, methodName: "UnblockUser" };
        await events.onMatch(ctx);
        return handleAdminServiceUnblockUserRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ListBlockedUsers":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          ListBlockedUsersRequest,
          ListBlockedUsersResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "ListBlockedUsers" };
        await events.onMatch(ctx);
        return handleAdminServiceListBlockedUsersRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "SetUserBudget":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          SetUserBudgetRequest,
          SetUserBudgetResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "SetUserBudget" };
        await events.onMatch(ctx);
        return handleAdminServiceSetUserBudgetRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "ListLinkedPeople":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          ListLinkedPeopleRequest,
          ListLinkedPeopleResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "ListLinkedPeople" };
        await events.onMatch(ctx);
        return handleAdminServiceListLinkedPeopleRequest(
          ctx,
          service,
          data,
          interceptors
        );
      };
    case "UnlinkIdentity":
      return async (
        ctx: T,
        service: AdminServiceTwirp,
        data: Buffer,
        interceptors?: Interceptor<
          T,
          UnlinkIdentityRequest,
          UnlinkIdentityResponse
        >[]
      ) => {
        ctx = { ...ctx, methodName: "UnlinkIdentity" };
        await events.onMatch(ctx);
        return handleAdminServiceUnlinkIdentityRequest(
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

function handleAdminServiceGetUsageReportRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetUsageReportRequest, GetUsageReportResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceGetUsageReportJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceGetUsageReportProtobuf<T>(
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

function handleAdminServiceListTopUsersRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListTopUsersRequest, ListTopUsersResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceListTopUsersJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceListTopUsersProtobuf<T>(
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

function handleAdminServiceBlockUserRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, BlockUserRequest, BlockUserResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceBlockUserJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceBlockUserProtobuf<T>(
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

function handleAdminServiceUnblockUserRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnblockUserRequest, UnblockUserResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceUnblockUserJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceUnblockUserProtobuf<T>(
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

function handleAdminServiceListBlockedUsersRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListBlockedUsersRequest,
    ListBlockedUsersResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceListBlockedUsersJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceListBlockedUsersProtobuf<T>(
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

function handleAdminServiceSetUserBudgetRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, SetUserBudgetRequest, SetUserBudgetResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceSetUserBudgetJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceSetUserBudgetProtobuf<T>(
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

function handleAdminServiceListLinkedPeopleRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListLinkedPeopleRequest,
    ListLinkedPeopleResponse
  >[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceListLinkedPeopleJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceListLinkedPeopleProtobuf<T>(
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

function handleAdminServiceUnlinkIdentityRequest<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnlinkIdentityRequest, UnlinkIdentityResponse>[]
): Promise<string | Uint8Array> {
  switch (ctx.contentType) {
    case TwirpContentType.JSON:
      return handleAdminServiceUnlinkIdentityJSON<T>(
        ctx,
        service,
        data,
        interceptors
      );
    case TwirpContentType.Protobuf:
      return handleAdminServiceUnlinkIdentityProtobuf<T>(
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
async function handleAdminServiceGetUsageReportJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetUsageReportRequest, GetUsageReportResponse>[]
) {
  let request: GetUsageReportRequest;
  let response: GetUsageReportResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = GetUsageReportRequest.fromJson(body, {
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
      GetUsageReportRequest,
      GetUsageReportResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetUsageReport(ctx, inputReq);
    });
  } else {
    response = await service.GetUsageReport(ctx, request!);
  }

  return JSON.stringify(
    GetUsageReportResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceListTopUsersJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListTopUsersRequest, ListTopUsersResponse>[]
) {
  let request: ListTopUsersRequest;
  let response: ListTopUsersResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ListTopUsersRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListTopUsersRequest,
      ListTopUsersResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListTopUsers(ctx, inputReq);
    });
  } else {
    response = await service.ListTopUsers(ctx, request!);
  }

  return JSON.stringify(
    ListTopUsersResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceBlockUserJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, BlockUserRequest, BlockUserResponse>[]
) {
  let request: BlockUserRequest;
  let response: BlockUserResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = BlockUserRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      BlockUserRequest,
      BlockUserResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.BlockUser(ctx, inputReq);
    });
  } else {
    response = await service.BlockUser(ctx, request!);
  }

  return JSON.stringify(
    BlockUserResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceUnblockUserJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnblockUserRequest, UnblockUserResponse>[]
) {
  let request: UnblockUserRequest;
  let response: UnblockUserResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = UnblockUserRequest.fromJson(body, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the json request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      UnblockUserRequest,
      UnblockUserResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.UnblockUser(ctx, inputReq);
    });
  } else {
    response = await service.UnblockUser(ctx, request!);
  }

  return JSON.stringify(
    UnblockUserResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceListBlockedUsersJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListBlockedUsersRequest,
    ListBlockedUsersResponse
  >[]
) {
  let request: ListBlockedUsersRequest;
  let response: ListBlockedUsersResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ListBlockedUsersRequest.fromJson(body, {
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
      ListBlockedUsersRequest,
      ListBlockedUsersResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListBlockedUsers(ctx, inputReq);
    });
  } else {
    response = await service.ListBlockedUsers(ctx, request!);
  }

  return JSON.stringify(
    ListBlockedUsersResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceSetUserBudgetJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, SetUserBudgetRequest, SetUserBudgetResponse>[]
) {
  let request: SetUserBudgetRequest;
  let response: SetUserBudgetResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = SetUserBudgetRequest.fromJson(body, {
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
      SetUserBudgetRequest,
      SetUserBudgetResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.SetUserBudget(ctx, inputReq);
    });
  } else {
    response = await service.SetUserBudget(ctx, request!);
  }

  return JSON.stringify(
    SetUserBudgetResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceListLinkedPeopleJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListLinkedPeopleRequest,
    ListLinkedPeopleResponse
  >[]
) {
  let request: ListLinkedPeopleRequest;
  let response: ListLinkedPeopleResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = ListLinkedPeopleRequest.fromJson(body, {
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
      ListLinkedPeopleRequest,
      ListLinkedPeopleResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListLinkedPeople(ctx, inputReq);
    });
  } else {
    response = await service.ListLinkedPeople(ctx, request!);
  }

  return JSON.stringify(
    ListLinkedPeopleResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}

async function handleAdminServiceUnlinkIdentityJSON<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnlinkIdentityRequest, UnlinkIdentityResponse>[]
) {
  let request: UnlinkIdentityRequest;
  let response: UnlinkIdentityResponse;

  try {
    const body = JSON.parse(data.toString() || "{}");
    request = UnlinkIdentityRequest.fromJson(body, {
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
      UnlinkIdentityRequest,
      UnlinkIdentityResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.UnlinkIdentity(ctx, inputReq);
    });
  } else {
    response = await service.UnlinkIdentity(ctx, request!);
  }

  return JSON.stringify(
    UnlinkIdentityResponse.toJson(response, {
      useProtoFieldName: true,
      emitDefaultValues: false,
    }) as string
  );
}
async function handleAdminServiceGetUsageReportProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, GetUsageReportRequest, GetUsageReportResponse>[]
) {
  let request: GetUsageReportRequest;
  let response: GetUsageReportResponse;

  try {
    request = GetUsageReportRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      GetUsageReportRequest,
      GetUsageReportResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.GetUsageReport(ctx, inputReq);
    });
  } else {
    response = await service.GetUsageReport(ctx, request!);
  }

  return Buffer.from(GetUsageReportResponse.toBinary(response));
}

async function handleAdminServiceListTopUsersProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, ListTopUsersRequest, ListTopUsersResponse>[]
) {
  let request: ListTopUsersRequest;
  let response: ListTopUsersResponse;

  try {
    request = ListTopUsersRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListTopUsersRequest,
      ListTopUsersResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListTopUsers(ctx, inputReq);
    });
  } else {
    response = await service.ListTopUsers(ctx, request!);
  }

  return Buffer.from(ListTopUsersResponse.toBinary(response));
}

async function handleAdminServiceBlockUserProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, BlockUserRequest, BlockUserResponse>[]
) {
  let request: BlockUserRequest;
  let response: BlockUserResponse;

  try {
    request = BlockUserRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      BlockUserRequest,
      BlockUserResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.BlockUser(ctx, inputReq);
    });
  } else {
    response = await service.BlockUser(ctx, request!);
  }

  return Buffer.from(BlockUserResponse.toBinary(response));
}

async function handleAdminServiceUnblockUserProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnblockUserRequest, UnblockUserResponse>[]
) {
  let request: UnblockUserRequest;
  let response: UnblockUserResponse;

  try {
    request = UnblockUserRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      UnblockUserRequest,
      UnblockUserResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.UnblockUser(ctx, inputReq);
    });
  } else {
    response = await service.UnblockUser(ctx, request!);
  }

  return Buffer.from(UnblockUserResponse.toBinary(response));
}

async function handleAdminServiceListBlockedUsersProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListBlockedUsersRequest,
    ListBlockedUsersResponse
  >[]
) {
  let request: ListBlockedUsersRequest;
  let response: ListBlockedUsersResponse;

  try {
    request = ListBlockedUsersRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListBlockedUsersRequest,
      ListBlockedUsersResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListBlockedUsers(ctx, inputReq);
    });
  } else {
    response = await service.ListBlockedUsers(ctx, request!);
  }

  return Buffer.from(ListBlockedUsersResponse.toBinary(response));
}

async function handleAdminServiceSetUserBudgetProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, SetUserBudgetRequest, SetUserBudgetResponse>[]
) {
  let request: SetUserBudgetRequest;
  let response: SetUserBudgetResponse;

  try {
    request = SetUserBudgetRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      SetUserBudgetRequest,
      SetUserBudgetResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.SetUserBudget(ctx, inputReq);
    });
  } else {
    response = await service.SetUserBudget(ctx, request!);
  }

  return Buffer.from(SetUserBudgetResponse.toBinary(response));
}

async function handleAdminServiceListLinkedPeopleProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<
    T,
    ListLinkedPeopleRequest,
    ListLinkedPeopleResponse
  >[]
) {
  let request: ListLinkedPeopleRequest;
  let response: ListLinkedPeopleResponse;

  try {
    request = ListLinkedPeopleRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      ListLinkedPeopleRequest,
      ListLinkedPeopleResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.ListLinkedPeople(ctx, inputReq);
    });
  } else {
    response = await service.ListLinkedPeople(ctx, request!);
  }

  return Buffer.from(ListLinkedPeopleResponse.toBinary(response));
}

async function handleAdminServiceUnlinkIdentityProtobuf<
  T extends TwirpContext = TwirpContext
>(
  ctx: T,
  service: AdminServiceTwirp,
  data: Buffer,
  interceptors?: Interceptor<T, UnlinkIdentityRequest, UnlinkIdentityResponse>[]
) {
  let request: UnlinkIdentityRequest;
  let response: UnlinkIdentityResponse;

  try {
    request = UnlinkIdentityRequest.fromBinary(data);
  } catch (e) {
    if (e instanceof Error) {
      const msg = "the protobuf request could not be decoded";
      throw new TwirpError(TwirpErrorCode.Malformed, msg).withCause(e, true);
    }
  }

  if (interceptors && interceptors.length > 0) {
    const interceptor = chainInterceptors(...interceptors) as Interceptor<
      T,
      UnlinkIdentityRequest,
      UnlinkIdentityResponse
    >;
    response = await interceptor(ctx, request!, (ctx, inputReq) => {
      return service.UnlinkIdentity(ctx, inputReq);
    });
  } else {
    response = await service.UnlinkIdentity(ctx, request!);
  }

  return Buffer.from(UnlinkIdentityResponse.toBinary(response));
}
