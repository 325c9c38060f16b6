export * from "./google/protobuf/timestamp";
export * from "./parley/chat/v1/chat";
export * from "./parley/chat/v1/chat.twirp";