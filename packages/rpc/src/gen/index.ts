export * from "./google/protobuf/timestamp";
export * from "./parley/usage/v1/usage";
export * from "./parley/admin/v1/admin";
export * from "./parley/chat/v1/chat";
export * from "./parley/usage/v1/usage.twirp";
export * from "./parley/admin/v1/admin.twirp";
export * from "./parley/chat/v1/chat.twirp";