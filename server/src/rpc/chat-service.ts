import {
  type ChatServiceTwirp,
  ContinueConversationResponse,
  DeleteConversationResponse,
  type GetSessionResponse,
  type SessionMetadata,
  StartConversationResponse,
} from '@parley/rpc';
import type { TwirpContext } from 'twirp-ts';
import type { ConversationService, TurnResult } from '../conversations/conversation-service.ts';
import type { Owner } from '../conversations/conversation-store.ts';
import type { ChatRef } from '../conversations/session-manager.ts';
import { tooLong, ValidationError } from '../errors/app-error.ts';
import type { ToolRunner } from '../tools/tool-runner.ts';
import { withErrorTranslation } from './error-translation.ts';
import type { Idempotency } from './idempotency.ts';
import { requestContext } from './request-context.ts';
import type { TurnGate } from './turn-gate.ts';
import {
  decodeConversationCursor,
  decodeMessageCursor,
  encodeConversationCursor,
  encodeMessageCursor,
  toWireConversation,
  toWireMessage,
  toWireUsage,
} from './wire.ts';

export interface ChatServiceLimits {
  maxMessageChars: number;
}

export interface ChatServiceDeps {
  service: ConversationService;
  idempotency: Idempotency;
  limits: ChatServiceLimits;
  /** Client policy, the turn's deadline and usage charging, around every turn. */
  turns: TurnGate;
  /** What ListTools reports: the tools of the calling client's turns. */
  tools: ToolCatalog;
}

/** The part of the tool registry ListTools needs. */
export type ToolCatalog = Pick<ToolRunner, 'definitions'>;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const PLATFORM = /^[a-z0-9_-]{1,32}$/;
const MAX_FIELD = 128;

/**
 * The Twirp face of {@link ConversationService}: validates requests, derives the owner from the
 * authenticated client and the session, maps records to the wire, and routes every failure through
 * {@link withErrorTranslation} so no internal text reaches a client.
 */
export function createChatService(deps: ChatServiceDeps): ChatServiceTwirp {
  const { service, idempotency, limits, turns } = deps;
  const handlers: ChatServiceTwirp = {
    async StartConversation(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const message = req.message.trim() ? validMessage(req.message, limits) : undefined;
      const chat = chatOf(req.session);
      const systemPrompt = optionalText(req.systemPrompt, 'system_prompt', limits.maxMessageChars);
      const model = optionalText(req.model, 'model', 100);
      const call = { owner, method: 'StartConversation', idempotencyKey: req.requestId };
      return idempotency.run(call, StartConversationResponse, async () => {
        const admitted = await turns.admit(owner, {
          ...(model ? { model } : {}),
          ...(systemPrompt ? { systemPrompt } : {}),
          newConversation: true,
          turn: message !== undefined,
        });
        const result = await turns.run(owner, (signal) =>
          service.start({
            owner,
            ...(chat ? { chat } : {}),
            ...(message ? { message } : {}),
            ...admitted,
            signal,
          }),
        );
        const response: StartConversationResponse = { conversation: toWireConversation(result.conversation) };
        if (result.turn) {
          response.reply = toWireMessage(result.turn.reply);
          response.usage = toWireUsage(result.turn.usage);
        }
        return response;
      });
    },

    async ContinueConversation(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const message = validMessage(req.message, limits);
      const conversationId = req.conversationId ? validId(req.conversationId, 'conversation_id') : undefined;
      const chat = chatOf(req.session);
      const call = { owner, method: 'ContinueConversation', idempotencyKey: req.requestId };
      return idempotency.run(call, ContinueConversationResponse, async (retryOfFailure) => {
        await turns.admit(owner, {});
        const turn = await turns.run(owner, (signal) =>
          service.continue({
            owner,
            message,
            retryOfFailure,
            signal,
            ...(conversationId ? { conversationId } : {}),
            ...(chat ? { chat } : {}),
          }),
        );
        return turnResponse(turn);
      });
    },

    async ListConversations(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const limit = pageSize(req.pageSize, 20, 100);
      const after = decodeConversationCursor(req.pageToken);
      const page = await service.list(owner, { limit: limit + 1, ...(after ? { after } : {}) });
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return {
        conversations: items.map(toWireConversation),
        nextPageToken: page.length > limit && last ? encodeConversationCursor(last) : '',
      };
    },

    async DescribeConversation(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const id = validId(req.conversationId, 'conversation_id');
      const limit = pageSize(req.pageSize, 100, 500);
      const afterSeq = decodeMessageCursor(req.pageToken);
      const { conversation, messages } = await service.describe(owner, id, { afterSeq, limit: limit + 1 });
      const items = messages.slice(0, limit);
      const last = items.at(-1);
      return {
        conversation: toWireConversation(conversation),
        messages: items.map(toWireMessage),
        nextPageToken: messages.length > limit && last ? encodeMessageCursor(last.seq) : '',
      };
    },

    async DeleteConversation(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const id = validId(req.conversationId, 'conversation_id');
      const chat = chatOf(req.session);
      const call = { owner, method: 'DeleteConversation', idempotencyKey: req.requestId };
      return idempotency.run(call, DeleteConversationResponse, async () => {
        await service.delete(owner, id, chat);
        return {};
      });
    },

    async SwitchConversation(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const id = validId(req.conversationId, 'conversation_id');
      const chat = chatOf(req.session);
      if (!chat) throw new ValidationError('session.chat_id', 'is required to switch a chat’s conversation');
      return { conversation: toWireConversation(await service.switchTo(owner, id, chat)) };
    },

    async GetSession(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const chat = chatOf(req.session);
      if (!chat) throw new ValidationError('session.chat_id', 'is required to look up a chat’s conversation');
      const current = await service.current(owner, chat);
      const response: GetSessionResponse = {};
      if (current) response.conversation = toWireConversation(current);
      return response;
    },

    async ListTools(ctx) {
      const definitions = deps.tools.definitions(requestContext(ctx.req).clientId);
      const tools = definitions.map(({ name, description, source }) => ({
        name,
        description,
        source: source ?? 'builtin',
      }));
      return { tools };
    },
  };
  return withErrorTranslation(handlers);
}

function turnResponse(turn: TurnResult): ContinueConversationResponse {
  return {
    conversationId: turn.conversation.id,
    reply: toWireMessage(turn.reply),
    usage: toWireUsage(turn.usage),
    toolsUsed: turn.toolsUsed,
    newConversation: turn.isNew,
  };
}

function ownerOf(ctx: TwirpContext, session: SessionMetadata | undefined): Owner {
  const userId = session?.userId ?? '';
  if (userId.length > MAX_FIELD) throw tooLong('session.user_id', MAX_FIELD);
  return { clientId: requestContext(ctx.req).clientId, userId };
}

function chatOf(session: SessionMetadata | undefined): ChatRef | undefined {
  if (!session?.chatId) return undefined;
  if (session.chatId.length > MAX_FIELD) {
    throw tooLong('session.chat_id', MAX_FIELD);
  }
  if (!PLATFORM.test(session.platform)) {
    throw new ValidationError('session.platform', 'is required with chat_id and must match [a-z0-9_-]{1,32}');
  }
  return { platform: session.platform, chatId: session.chatId };
}

function validMessage(message: string, limits: ChatServiceLimits): string {
  if (!message.trim()) throw new ValidationError('message', 'must not be empty');
  if (message.length > limits.maxMessageChars) {
    throw tooLong('message', limits.maxMessageChars);
  }
  return message;
}

function optionalText(value: string, field: string, max: number): string | undefined {
  if (!value.trim()) return undefined;
  if (value.length > max) throw tooLong(field, max);
  return value;
}

function validId(id: string, field: string): string {
  if (!id) throw new ValidationError(field, 'is required');
  if (!ID.test(id)) throw new ValidationError(field, 'is not a valid id');
  return id;
}

function pageSize(requested: number, fallback: number, max: number): number {
  if (requested < 0) {
    throw new ValidationError('page_size', 'must not be negative', { max_page_size: String(max) });
  }
  return requested === 0 ? fallback : Math.min(requested, max);
}
