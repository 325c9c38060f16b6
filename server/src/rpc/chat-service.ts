import type { ChatServiceTwirp, GetSessionResponse } from '@parley/rpc';
import type { TwirpContext } from 'twirp-ts';
import type { ConversationService } from '../conversations/conversation-service.ts';
import { ValidationError } from '../errors/app-error.ts';
import type { ToolRunner } from '../tools/tool-runner.ts';
import type { Idempotency } from '../turns/idempotency.ts';
import type { TurnEngine } from '../turns/turn-engine.ts';
import type { TurnGate } from '../turns/turn-gate.ts';
import { withErrorTranslation } from './error-translation.ts';
import { requestContext } from './request-context.ts';
import { continueResponse, startResponse } from './turn-wire.ts';
import { continueTurn, startTurn } from './unary-turns.ts';
import { type ChatServiceLimits, chatOf, ownerOf as ownerOfClient, validId } from './validation.ts';
import {
  decodeConversationCursor,
  decodeMessageCursor,
  encodeConversationCursor,
  encodeMessageCursor,
  toWireAttachment,
  toWireConversation,
  toWireMessage,
} from './wire.ts';

export type { ChatServiceLimits };

export interface ChatServiceDeps {
  service: ConversationService;
  /** For DeleteConversation; the turn-taking calls go through the engine. */
  idempotency: Idempotency;
  /** Runs StartConversation and ContinueConversation: the one turn engine, shared with streaming. */
  engine: TurnEngine;
  limits: ChatServiceLimits;
  /** Client policy and usage charging, around every turn. */
  gate: TurnGate;
  /** What ListTools reports: the tools of the calling client's turns. */
  tools: ToolCatalog;
}

/** The part of the tool registry ListTools needs. */
export type ToolCatalog = Pick<ToolRunner, 'definitions'>;

/**
 * The Twirp face of {@link ConversationService}: validates requests, derives the owner from the
 * authenticated client and the session, maps records to the wire, and routes every failure through
 * {@link withErrorTranslation} so no internal text reaches a client.
 */
export function createChatService(deps: ChatServiceDeps): ChatServiceTwirp {
  const { service, idempotency } = deps;
  const handlers: ChatServiceTwirp = {
    // JSON callers of these two are served by unary-turns.ts's route; protobuf callers come here.
    async StartConversation(ctx, req) {
      return startResponse((await startTurn(deps, requestContext(ctx.req), req)).final);
    },

    async ContinueConversation(ctx, req) {
      const { started, final } = await continueTurn(deps, requestContext(ctx.req), req);
      return continueResponse(started, final);
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
      return idempotency.run(call, requestContext(ctx.req).logger, async () => {
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

    async GetAttachment(ctx, req) {
      const owner = ownerOf(ctx, req.session);
      const id = validId(req.attachmentId, 'attachment_id');
      const found = await service.attachment(owner, id);
      return {
        attachment: toWireAttachment(found.meta),
        data: found.data,
        conversationId: found.conversationId,
      };
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

function pageSize(requested: number, fallback: number, max: number): number {
  if (requested < 0) {
    throw new ValidationError('page_size', 'must not be negative', { max_page_size: String(max) });
  }
  return requested === 0 ? fallback : Math.min(requested, max);
}

function ownerOf(ctx: TwirpContext, session: Parameters<typeof ownerOfClient>[1]) {
  return ownerOfClient(requestContext(ctx.req).clientId, session);
}
