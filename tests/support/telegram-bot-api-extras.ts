// What the Telegram emulator's front adds to telegram-test-api: `sendMessageDraft` (Bot API 9.5) for
// streaming replies, `setMyCommands`/`getMyCommands` with `language_code` (a command menu per language),
// injected 429s, chats that refuse the bot (403, "chat not found"), and a timestamped record of every call
// the bot makes.

/** One Bot API call the bot made, as the front saw it. */
export interface BotApiCall {
  method: string;
  params: Record<string, unknown>;
  /** `Date.now()` when it arrived: throttling tests compare these. */
  at: number;
  /** The HTTP status the bot got. */
  status: number;
}

/** A draft shown by `sendMessageDraft`. */
export interface DraftRecord {
  chatId: number;
  draftId: number;
  text: string;
  parseMode?: string;
  at: number;
}

export interface InjectedFailure {
  /** Seconds Telegram tells the bot to wait (`parameters.retry_after`). */
  retryAfter: number;
  /** How many calls in a row fail (default 1). */
  times?: number;
  /** Only calls to this chat fail (default: any chat). */
  chatId?: number;
}

/** How a chat refuses the bot: Telegram's answers for a user who blocked it, a group that kicked it. */
export interface Refusal {
  /** 403 (blocked, kicked) by default; 400 for "chat not found". */
  code?: number;
  description?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

const DRAFT_MAX_CHARS = 4096;
/** Bot API limits of a command menu. */
const COMMAND = /^[a-z0-9_]{1,32}$/;
const MAX_COMMANDS = 100;
const MAX_DESCRIPTION = 256;

/** One entry of a command menu, as setMyCommands takes it. */
export interface BotCommandRecord {
  command: string;
  description: string;
}

export class BotApiExtras {
  readonly calls: BotApiCall[] = [];
  readonly drafts: DraftRecord[] = [];
  private readonly chatTypes = new Map<number, string>();
  private readonly failures = new Map<string, { retryAfter: number; remaining: number; chatId?: number }>();
  private readonly refusals = new Map<number, Required<Refusal>>();
  /**
   * Command menus by scope and `language_code`: `''` or `'ru'` for the default scope ('' = every language
   * without its own), `chat:<id>|<language>` for one chat's menu.
   */
  readonly menus = new Map<string, BotCommandRecord[]>();

  /** Remembers each chat's type from the updates handed to the bot: only private chats take drafts. */
  learnChats(updates: unknown[]): void {
    for (const update of updates as Array<Record<string, { chat?: { id?: number; type?: string } }>>) {
      for (const key of ['message', 'edited_message']) {
        const chat = update[key]?.chat;
        if (typeof chat?.id === 'number' && chat.type) this.chatTypes.set(chat.id, chat.type);
      }
    }
  }

  failNext(method: string, failure: InjectedFailure): void {
    const { retryAfter, times = 1, chatId } = failure;
    this.failures.set(method, { retryAfter, remaining: times, ...(chatId === undefined ? {} : { chatId }) });
  }

  /** Every call naming `chatId` is refused from now on, until {@link accept}. */
  refuse(chatId: number, refusal: Refusal = {}): void {
    const { code = 403, description = 'Forbidden: bot was blocked by the user' } = refusal;
    this.refusals.set(chatId, { code, description });
  }

  accept(chatId: number): void {
    this.refusals.delete(chatId);
  }

  /** Answers a call the front handles itself (a refusal, a due failure, a draft); undefined to pass it on. */
  intercept(method: string, params: Record<string, unknown>): Answer | undefined {
    const refusal = this.refusals.get(Number(params.chat_id));
    if (refusal) {
      const { code, description } = refusal;
      return { status: code, body: { ok: false, error_code: code, description } };
    }
    const failure = this.failures.get(method);
    const applies = failure?.chatId === undefined || failure.chatId === Number(params.chat_id);
    if (failure && failure.remaining > 0 && applies) {
      failure.remaining--;
      return {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${failure.retryAfter}`,
          parameters: { retry_after: failure.retryAfter },
        },
      };
    }
    if (method === 'sendMessageDraft') return this.draft(params);
    if (method === 'setMyCommands') return this.setCommands(params);
    if (method === 'getMyCommands') {
      const language = typeof params.language_code === 'string' ? params.language_code : '';
      const key = menuKey(params.scope, language);
      return { status: 200, body: { ok: true, result: (key && this.menus.get(key)) ?? [] } };
    }
    return undefined;
  }

  record(method: string, params: Record<string, unknown>, at: number, status: number): void {
    this.calls.push({ method, params, at, status });
  }

  /** Telegram's checks: valid commands and descriptions, a two-letter language code or none. */
  private setCommands(params: Record<string, unknown>): Answer {
    const commands = typeof params.commands === 'string' ? parseJson(params.commands) : params.commands;
    if (!isCommandList(commands)) return badRequest('BOT_COMMAND_INVALID');
    const language = params.language_code ?? '';
    if (typeof language !== 'string' || !/^([a-z]{2})?$/.test(language)) {
      return badRequest('LANG_CODE_INVALID');
    }
    const key = menuKey(params.scope, language);
    if (key === undefined) return badRequest('the emulator keeps the default and chat scopes only');
    this.menus.set(
      key,
      commands.map(({ command, description }) => ({ command, description })),
    );
    return { status: 200, body: { ok: true, result: true } };
  }

  private draft(params: Record<string, unknown>): Answer {
    const chatId = Number(params.chat_id);
    const draftId = Number(params.draft_id);
    const text = typeof params.text === 'string' ? params.text : '';
    if (!Number.isInteger(chatId)) return badRequest('chat_id is empty');
    if (!Number.isInteger(draftId) || draftId === 0) return badRequest('draft_id must be non-zero');
    if (text.length === 0) return badRequest('text is empty');
    if (text.length > DRAFT_MAX_CHARS) return badRequest('text is too long');
    // Telegram's ids: users (private chats) are positive, groups and channels negative.
    const type = this.chatTypes.get(chatId) ?? (chatId > 0 ? 'private' : 'group');
    if (type !== 'private') return badRequest('TEXTDRAFT_PEER_INVALID');
    const parseMode = typeof params.parse_mode === 'string' ? params.parse_mode : undefined;
    this.drafts.push({ chatId, draftId, text, ...(parseMode ? { parseMode } : {}), at: Date.now() });
    return { status: 200, body: { ok: true, result: true } };
  }
}

function isCommandList(value: unknown): value is BotCommandRecord[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_COMMANDS &&
    value.every(
      (c: Partial<BotCommandRecord>) =>
        typeof c?.command === 'string' &&
        COMMAND.test(c.command) &&
        typeof c.description === 'string' &&
        c.description.length >= 1 &&
        c.description.length <= MAX_DESCRIPTION,
    )
  );
}

/** Where a menu is kept: the default scope by language, a chat's as `chat:<id>|<language>`. */
function menuKey(scope: unknown, language: string): string | undefined {
  const parsed = typeof scope === 'string' ? parseJson(scope) : scope;
  if (parsed === undefined || JSON.stringify(parsed) === '{"type":"default"}') return language;
  const chat = parsed as { type?: unknown; chat_id?: unknown };
  if (chat.type === 'chat' && Number.isInteger(Number(chat.chat_id)))
    return `chat:${chat.chat_id}|${language}`;
  return undefined;
}

function badRequest(reason: string): Answer {
  return { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: ${reason}` } };
}

/** The method of a Bot API URL (`/bot<token>/<method>`), or undefined. */
export function botApiMethod(url: string | undefined): string | undefined {
  return /^\/bot[^/]+\/([A-Za-z]+)/.exec(url ?? '')?.[1];
}

/** A call's parameters: JSON bodies (telegraf's default) and query strings; multipart uploads as {}. */
export function botApiParams(url: string | undefined, body: Buffer): Record<string, unknown> {
  const query = Object.fromEntries(new URL(url ?? '/', 'http://front').searchParams);
  try {
    const parsed = JSON.parse(body.toString() || '{}') as unknown;
    return parsed && typeof parsed === 'object'
      ? { ...query, ...(parsed as Record<string, unknown>) }
      : query;
  } catch {
    return query;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
